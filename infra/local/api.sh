#!/usr/bin/env bash
# The HTTP API, locally: the same Chalice app object Lambda runs, behind an ASGI server that turns each
# request into the exact API Gateway REST proxy event (customersignal.local.gateway). template.yaml says
# which code and handler to load, as it does for Lambda.
# usage: api.sh setup|start|stop|health
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

API_URL="http://127.0.0.1:$API_PORT"

answers() { curl -fsS -m 3 "$API_URL/v1/openapi.json" >/dev/null; }

start() {
  owned_alive api && return 0
  if port_in_use "$API_PORT"; then
    die "port $API_PORT is in use by a process we did not start; stop it or set CS_API_PORT"
  fi
  cd "$ROOT"
  # the built dashboard on the same origin, as CloudFront serves it (make dashboard builds it)
  local site=()
  [ -f dashboard/dist/index.html ] && site=(--site dashboard/dist)
  # EMF metrics go to stdout for CloudWatch on AWS; locally nothing reads them. Local mode lets webhook
  # endpoints be http://127.0.0.1 receivers (a deployment never sets it).
  CS_WEBHOOK_LOCAL_MODE="${CS_WEBHOOK_LOCAL_MODE:-true}" POWERTOOLS_METRICS_DISABLED="${POWERTOOLS_METRICS_DISABLED:-true}" setsid nohup "$PY" \
    -m customersignal.local.serve --template template.yaml --function ApiFunction --host 127.0.0.1 \
    --port "$API_PORT" --workers "$API_WORKERS" --concurrency "$API_CONCURRENCY" --stats-dir "$RUN_DIR" "${site[@]}" \
    >"$LOG_DIR/api.log" 2>&1 &
  echo $! >"$(pidfile api)"
  wait_until 30 answers || { tail -n 30 "$LOG_DIR/api.log" >&2; stop_owned api 10; die "the API did not answer on $API_URL"; }
}

health() {
  owned_alive api || { say "not running (no live pid in $(pidfile api))"; return 1; }
  if answers; then say "$API_URL ($API_WORKERS workers x $API_CONCURRENCY threads)"; else say "pid alive but $API_URL does not answer"; return 1; fi
}

case "${1:-}" in
  setup) ;;
  start) start ;;
  stop) stop_owned api 15 ;;
  health) health ;;
  *) die "usage: $0 setup|start|stop|health" ;;
esac
