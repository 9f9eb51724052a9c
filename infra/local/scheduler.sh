#!/usr/bin/env bash
# EventBridge schedules, locally: every Schedule event in template.yaml (the alert evaluator, every minute)
# invokes its handler in-process at its rate (customersignal.local.schedule). Start it after the stores.
# usage: scheduler.sh setup|start|stop|health
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCHEDULE_TEMPLATE="${CS_SCHEDULE_TEMPLATE:-$ROOT/template.yaml}"

start() {
  owned_alive scheduler && return 0
  cd "$ROOT"
  # a local stack may deliver webhooks to http://127.0.0.1 receivers; a deployment never sets this
  CS_WEBHOOK_LOCAL_MODE="${CS_WEBHOOK_LOCAL_MODE:-true}" \
    POWERTOOLS_METRICS_DISABLED="${POWERTOOLS_METRICS_DISABLED:-true}" setsid nohup "$PY" \
    -m customersignal.local.schedule --template "$SCHEDULE_TEMPLATE" >"$LOG_DIR/scheduler.log" 2>&1 &
  echo $! >"$(pidfile scheduler)"
  wait_until 20 started || { tail -n 30 "$LOG_DIR/scheduler.log" >&2; stop_owned scheduler 10; die "the scheduler did not start"; }
}

started() { owned_alive scheduler && grep -q '^scheduling ' "$LOG_DIR/scheduler.log"; }

health() {
  owned_alive scheduler || { say "not running (no live pid in $(pidfile scheduler))"; return 1; }
  say "$(grep -m1 '^scheduling ' "$LOG_DIR/scheduler.log" | cut -c12-); last: $(grep -E 'Function\.|failed' "$LOG_DIR/scheduler.log" | tail -n 1 | cut -c1-80)"
}

case "${1:-}" in
  setup) ;;
  start) start ;;
  stop) stop_owned scheduler 60 ;;
  health) health ;;
  *) die "usage: $0 setup|start|stop|health" ;;
esac
