#!/usr/bin/env bash
# PostgreSQL from the Debian package, as a private cluster on loopback with its data in the state folder.
# usage: postgres.sh setup|start|stop|health
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGDATA="$STATE_DIR/postgres/data"
PGRUN="$STATE_DIR/postgres/run"   # unix socket dir, so we never collide with a system cluster's socket
PGLOG="$LOG_DIR/postgres.log"

pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] || die "PostgreSQL server binaries not found: apt-get install postgresql"
  printf '%s' "$d"
}
BIN="$(pg_bindir)"

# The server refuses to run as root, so as root we run it as the Debian 'postgres' user.
as_pg() {  # from / so the postgres user never needs to enter the caller's folder
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

setup() {
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  mkdir -p "$PGDATA" "$PGRUN" "$LOG_DIR"
  touch "$PGLOG"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$STATE_DIR/postgres" "$PGLOG"
    runuser -u postgres -- test -w "$PGDATA" || die "user 'postgres' cannot reach $PGDATA \
(a parent folder is not traversable); set CS_STATE_DIR to a folder it can reach, e.g. /var/tmp/customersignal"
  fi
  local pw; pw="$(mktemp)"; printf '%s\n' "$PG_PASSWORD" >"$pw"; chmod 644 "$pw"
  as_pg "$BIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pw" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$LOG_DIR/postgres-initdb.log" 2>&1 \
    || { rm -f "$pw"; cat "$LOG_DIR/postgres-initdb.log" >&2; die "initdb failed"; }
  rm -f "$pw"
  cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PGRUN'
max_connections = 200
shared_buffers = 256MB
fsync = on
log_min_duration_statement = 1000
CONF
}

bootstrap_roles() {  # idempotent: the owner role and database the migrations run as
  local psql=("$BIN/psql" -h "$PGRUN" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
  as_pg "${psql[@]}" -d postgres <<SQL
SELECT 'CREATE ROLE $PG_USER LOGIN CREATEDB CREATEROLE PASSWORD ''$PG_PASSWORD'''
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') \gexec
SELECT 'CREATE DATABASE $PG_DATABASE OWNER $PG_USER'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE') \gexec
SQL
  # hll is not a trusted extension: only a superuser (on RDS, rds_superuser) may create it. As a DBA would,
  # create it once here, in template1 too, so every database made later (the tests' included) has it and
  # migration 0009's CREATE EXTENSION IF NOT EXISTS finds it.
  local db
  for db in template1 "$PG_DATABASE"; do
    as_pg "${psql[@]}" -d "$db" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS hll' \
      || die "cannot create the hll extension in $db: is postgresql-15-hll installed? (make packages)"
  done
}

start() {
  if owned_alive postgres; then bootstrap_roles; return 0; fi
  if port_in_use "$PG_PORT"; then
    die "port $PG_PORT is in use by a process we did not start; stop it or set CS_PG_PORT"
  fi
  setup
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGLOG" 2>/dev/null || true
  # -p: the port set now wins over the one written at initdb, so changing CS_PG_PORT later just works
  as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -o "-p $PG_PORT" -w -t 60 start >/dev/null \
    || { tail -n 20 "$PGLOG" >&2; die "postgres did not start (log: $PGLOG)"; }
  head -n 1 "$PGDATA/postmaster.pid" >"$(pidfile postgres)"
  bootstrap_roles
}

stop() {
  owned_alive postgres || { rm -f "$(pidfile postgres)"; return 0; }
  as_pg "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null || stop_owned postgres 10
  rm -f "$(pidfile postgres)"
}

health() {
  owned_alive postgres || { say "not running (no live pid in $(pidfile postgres))"; return 1; }
  local out
  if out="$("$BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -d "$PG_DATABASE" 2>&1)"; then
    say "127.0.0.1:$PG_PORT, database $PG_DATABASE"
  else
    say "pid alive but not accepting connections: $out (log: $PGLOG)"; return 1
  fi
}

case "${1:-}" in
  setup) setup ;;
  start) start ;;
  stop) stop ;;
  health) health ;;
  *) die "usage: $0 setup|start|stop|health" ;;
esac
