#!/usr/bin/env bash
# The native local stack: Kafka, Postgres, Redis and the AWS endpoint, without Docker.
# usage: stack.sh up|down|status|setup [postgres|redis|kafka|aws|api|esm|scheduler ...]   (default: all seven)
# The first four are the backing services (`make services`); api and esm (the Kafka event-source mapping
# that feeds the aggregator) and scheduler (the alert evaluator's schedule) are the application (`make up`),
# so they come after the services.
# Idempotent: `up` leaves running services alone, `down` stops only what `up` started (pid files).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE="$ROOT/infra/local"
ALL=(postgres redis kafka aws api esm scheduler)
cmd="${1:-status}"; shift || true
services=("$@"); [ ${#services[@]} -eq 0 ] && services=("${ALL[@]}")

for s in "${services[@]}"; do
  case "$s" in kafka|postgres|redis|aws|api|esm|scheduler) ;;
    *) die "unknown service '$s' (postgres, redis, kafka, aws, api, esm, scheduler)";; esac
done

case "$cmd" in
  setup)
    for s in "${services[@]}"; do "$HERE/$s.sh" setup; done ;;
  up)
    for s in "${services[@]}"; do
      printf '%-9s ' "$s"
      if "$HERE/$s.sh" health >/dev/null 2>&1; then
        # a running Postgres still gets what newer code needs of it (roles, the hll extension): idempotent
        if [ "$s" = postgres ] && ! "$HERE/$s.sh" start >"$LOG_DIR/$s-start.log" 2>&1; then
          say "FAILED"; cat "$LOG_DIR/$s-start.log" >&2; exit 1
        fi
        say "already up"; continue
      fi
      "$HERE/$s.sh" start >"$LOG_DIR/$s-start.log" 2>&1 || { say "FAILED"; cat "$LOG_DIR/$s-start.log" >&2; exit 1; }
      say "up ($("$HERE/$s.sh" health 2>&1 | tail -n 1))"
    done ;;
  down)
    # reverse order: producers of data stop before the stores they write to
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do
      s="${services[$i]}"; printf '%-9s ' "$s"
      if owned_alive "$s"; then "$HERE/$s.sh" stop; say "stopped"; else say "not running"; fi
    done ;;
  status)
    bad=0
    for s in "${services[@]}"; do
      if out="$("$HERE/$s.sh" health 2>&1)"; then
        printf '%-9s healthy    %s\n' "$s" "$(tail -n 1 <<<"$out")"
      else
        printf '%-9s UNHEALTHY  %s\n' "$s" "$(tail -n 1 <<<"$out")"; bad=1
      fi
    done
    exit "$bad" ;;
  *) die "usage: $0 up|down|status|setup [service ...]" ;;
esac
