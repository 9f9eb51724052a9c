#!/usr/bin/env bash
# Redis from the Debian package, on loopback, with its data in the state folder.
# usage: redis.sh setup|start|stop|health
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RDATA="$STATE_DIR/redis"

setup() {
  command -v redis-server >/dev/null || die "redis-server not found: apt-get install redis-server"
  mkdir -p "$RDATA"
}

start() {
  owned_alive redis && return 0
  if port_in_use "$REDIS_PORT"; then
    die "port $REDIS_PORT is in use by a process we did not start; stop it or set CS_REDIS_URL"
  fi
  setup
  # The hot store can always be rebuilt from Postgres, so snapshots are a convenience, not durability.
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$RDATA" --daemonize yes \
    --pidfile "$(pidfile redis)" --logfile "$LOG_DIR/redis.log" --save 300 100 --appendonly no \
    --protected-mode yes
  wait_until 10 redis-cli -p "$REDIS_PORT" ping || die "redis did not answer PING (log: $LOG_DIR/redis.log)"
}

health() {
  owned_alive redis || { say "not running (no live pid in $(pidfile redis))"; return 1; }
  local out
  out="$(redis-cli -p "$REDIS_PORT" ping 2>&1)" || true
  if [ "$out" = PONG ]; then say "127.0.0.1:$REDIS_PORT"; else say "pid alive but PING said: $out"; return 1; fi
}

case "${1:-}" in
  setup) setup ;;
  start) start ;;
  stop) stop_owned redis 15 ;;
  health) health ;;
  *) die "usage: $0 setup|start|stop|health" ;;
esac
