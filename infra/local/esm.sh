#!/usr/bin/env bash
# The Lambda event-source mapping for Kafka, locally: one poller per MSK / SelfManagedKafka event that
# template.yaml declares (the aggregator on events_raw), invoking the handler in-process with the exact
# AWS event, committing offsets only after success (customersignal.local.esm). Run it after kafka (and
# the stores its handler writes to): `make up` migrates the database before starting it.
# usage: esm.sh setup|start|stop|health
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ESM_TEMPLATE="${CS_ESM_TEMPLATE:-$ROOT/template.yaml}"
ESM_LOG_LEVEL="${CS_ESM_LOG_LEVEL:-info}"
# rewritten every second by the emulator; older than this means it is stuck or gone
STATUS_FILE="$RUN_DIR/esm-status.json"
STATUS_MAX_AGE_S=15

answers() { "$PY" -m customersignal.local.esm.status "$STATUS_FILE" "$STATUS_MAX_AGE_S"; }
# done waiting: it runs and reports, or it has already exited (a template or handler error, in the log)
settled() { ! owned_alive esm || answers; }

start() {
  owned_alive esm && return 0
  cd "$ROOT"
  rm -f "$STATUS_FILE"
  # EMF metrics go to stdout for CloudWatch on AWS; locally nothing reads them. The aggregator's alert fast
  # path delivers webhooks too, and checks their URLs as the scheduler does: local mode, as there
  CS_WEBHOOK_LOCAL_MODE="${CS_WEBHOOK_LOCAL_MODE:-true}" \
    POWERTOOLS_METRICS_DISABLED="${POWERTOOLS_METRICS_DISABLED:-true}" setsid nohup "$PY" \
    -m customersignal.local.esm --template "$ESM_TEMPLATE" --status-file "$STATUS_FILE" \
    --log-level "$ESM_LOG_LEVEL" >"$LOG_DIR/esm.log" 2>&1 &
  echo $! >"$(pidfile esm)"
  wait_until 60 settled || true
  if owned_alive esm && answers >/dev/null 2>&1; then return 0; fi
  tail -n 30 "$LOG_DIR/esm.log" >&2
  stop_owned esm 10
  die "the ESM emulator did not start (log: $LOG_DIR/esm.log)"
}

health() {
  owned_alive esm || { say "not running (no live pid in $(pidfile esm))"; return 1; }
  local out
  if out="$(answers 2>&1)"; then say "$out"; else say "pid alive but $out"; return 1; fi
}

case "${1:-}" in
  setup) ;;
  start) start ;;
  # the grace lets a running invocation finish and commit; after it, SIGKILL only means re-delivery
  stop) stop_owned esm 30 ;;
  health) health ;;
  *) die "usage: $0 setup|start|stop|health" ;;
esac
