# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the scripts that source it
# Shared helpers for the native local stack scripts. Sourced, never executed.
# Every path and port comes from here, so `make status` and the tests agree on where things live.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Read .env like the application does (customersignal.settings): the environment wins over the file.
# CS_ENV_FILE names another file; set but empty, none is read (the tests' view of the defaults).
ENV_FILE="${CS_ENV_FILE-$ROOT/.env}"
if [ -n "$ENV_FILE" ] && [ -f "$ENV_FILE" ]; then
  while IFS='=' read -r key value; do
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    [ -n "${!key+x}" ] || export "$key=${value%%[[:space:]]#*}"
  done <"$ENV_FILE"
fi
STATE_DIR="${CS_STATE_DIR:-$ROOT/.state}"
CACHE_DIR="${CS_CACHE_DIR:-$ROOT/.cache}"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/logs"
PY="${CS_PYTHON:-$ROOT/.venv/bin/python}"

KAFKA_VERSION="${CS_KAFKA_VERSION:-4.1.2}"
# Ports come from the same variables the application reads, so the two can never disagree.
_bootstrap="${CS_KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
KAFKA_PORT="${_bootstrap##*:}"
KAFKA_CONTROLLER_PORT="${CS_KAFKA_CONTROLLER_PORT:-9093}"
PG_PORT="${CS_PG_PORT:-5433}"
PG_USER="${CS_PG_USER:-customersignal}"
PG_PASSWORD="${CS_PG_PASSWORD:-customersignal}"
PG_DATABASE="${CS_PG_DATABASE:-customersignal}"
_redis="${CS_REDIS_URL:-redis://127.0.0.1:6380/0}"; _redis="${_redis#*://}"; _redis="${_redis#*@}"; _redis="${_redis%%/*}"
REDIS_PORT="${_redis##*:}"
_aws="${CS_AWS_ENDPOINT_URL:-${AWS_ENDPOINT_URL:-http://${LOCALSTACK_HOST:-127.0.0.1:4566}}}"; _aws="${_aws#*://}"; _aws="${_aws%%/*}"
AWS_PORT="${_aws##*:}"; [ "$AWS_PORT" = "$_aws" ] && AWS_PORT=4566
# localstack (the user's choice for `make up`) or moto (lighter, what the tests start on their own port)
AWS_EMULATOR="${CS_AWS_EMULATOR:-localstack}"
LOCALSTACK_VERSION="${CS_LOCALSTACK_VERSION:-2026.3.0}"
API_PORT="${CS_API_PORT:-8000}"
# processes x threads: several processes with few threads each beat one process with many on 2 cores
# (the GIL), and 1 thread per process is exactly Lambda's one-invocation-per-container model
API_WORKERS="${CS_API_WORKERS:-3}"
API_CONCURRENCY="${CS_API_CONCURRENCY:-2}"

mkdir -p "$RUN_DIR" "$LOG_DIR"

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

pidfile() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# True when the process exists and is not a zombie: a process killed with SIGKILL stays in the table until
# its parent (here init, after the start script exited) reaps it, and must not count as running meanwhile.
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  case "$(ps -o stat= -p "$1" 2>/dev/null)" in Z*) return 1 ;; esac
}

# True when the pid file names a live process that we started.
owned_alive() {
  local f; f="$(pidfile "$1")"
  [ -f "$f" ] && pid_alive "$(cat "$f")"
}

port_in_use() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

# Daemons start under setsid: their own session, so a Ctrl-C or a closed terminal in the shell that ran
# `make up` cannot take them down with it.
# Stop a process we started: SIGTERM, wait, then SIGKILL. Never touches a process without our pid file.
stop_owned() {
  local name="$1" grace="${2:-30}" f pid
  f="$(pidfile "$name")"
  if ! owned_alive "$name"; then rm -f "$f"; return 0; fi
  pid="$(cat "$f")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 5))); do pid_alive "$pid" || break; sleep 0.2; done
  if pid_alive "$pid"; then
    say "  $name did not stop within ${grace}s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

wait_until() {  # wait_until SECONDS CMD...: poll every 0.25 s
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.25
  done
}
