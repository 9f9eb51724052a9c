#!/usr/bin/env bash
# The local AWS endpoint (SNS, SQS, SSM, Secrets Manager) on 127.0.0.1, port from LOCALSTACK_HOST (4566).
#   CS_AWS_EMULATOR=localstack (default): localstack-core on the host, in its own Python 3.13 virtualenv.
#   CS_AWS_EMULATOR=moto: moto in server mode, from the project virtualenv (light: ~50 MB).
# usage: aws.sh setup|start|stop|health
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LS_VENV="$CACHE_DIR/localstack-$LOCALSTACK_VERSION-venv"
LS_REQS="$ROOT/infra/local/localstack/requirements.txt"
ENDPOINT="http://127.0.0.1:$AWS_PORT"

find_python313() {
  local c
  for c in "${CS_PYTHON313:-}" "$(command -v pyenv >/dev/null && echo "$(pyenv root)/versions/3.13.0/bin/python3.13")" \
           "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13 2>/dev/null | sort -V | tail -n 1)" \
           "$(command -v python3.13 || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import sys; assert sys.version_info[:2] >= (3, 12)' 2>/dev/null \
      && { printf '%s' "$c"; return 0; }
  done
  return 1
}

setup() {
  if [ "$AWS_EMULATOR" = moto ]; then
    [ -x "$ROOT/.venv/bin/moto_server" ] || die "moto_server missing: run make setup"
    return 0
  fi
  [ "$AWS_EMULATOR" = localstack ] || die "CS_AWS_EMULATOR must be localstack or moto, not '$AWS_EMULATOR'"
  [ -x "$LS_VENV/bin/python" ] && [ -f "$LS_VENV/.installed" ] && return 0
  local py
  # localstack-core 2026.x uses PEP 695 syntax: it needs Python 3.12+ even though its metadata says 3.10.
  py="$(find_python313)" || die "LocalStack needs Python 3.13 (pyenv's 3.13.x); none found. \
Install one, or set CS_PYTHON313, or use CS_AWS_EMULATOR=moto"
  say "  installing localstack-core $LOCALSTACK_VERSION into $LS_VENV (once; about a minute)"
  rm -rf "$LS_VENV"
  "$py" -m venv "$LS_VENV"
  "$LS_VENV/bin/pip" install -q --disable-pip-version-check -r "$LS_REQS"
  touch "$LS_VENV/.installed"
}

start_localstack() {
  # hypercorn honours the host in GATEWAY_LISTEN (the default twisted server binds 0.0.0.0 here).
  # ANALYTICS/API endpoints point at a closed local port: nothing is phoned home. Its package downloads
  # (the Lambda runtime binary from GitHub, when a function is created) go through a proxy on that port,
  # so they fail at once instead of leaving the machine.
  # CS_LOCALSTACK_SERVICES: the deploy test needs CloudFormation, S3, Lambda... on a LocalStack of its own.
  mkdir -p "$STATE_DIR/localstack"
  env GATEWAY_LISTEN="127.0.0.1:$AWS_PORT" LOCALSTACK_HOST="127.0.0.1:$AWS_PORT" GATEWAY_SERVER=hypercorn \
    FILESYSTEM_ROOT="$STATE_DIR/localstack" DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 \
    ANALYTICS_API=http://127.0.0.1:9/ API_ENDPOINT=http://127.0.0.1:9/ \
    OUTBOUND_HTTP_PROXY=http://127.0.0.1:9 OUTBOUND_HTTPS_PROXY=http://127.0.0.1:9 \
    SERVICES="${CS_LOCALSTACK_SERVICES:-sns,sqs,ssm,secretsmanager,sts,iam,cloudwatch,events}" \
    setsid nohup "$LS_VENV/bin/python" -m localstack.runtime.main >"$LOG_DIR/aws.log" 2>&1 &
  echo $! >"$(pidfile aws)"
  echo localstack >"$RUN_DIR/aws.kind"
}

start_moto() {
  setsid nohup "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$AWS_PORT" >"$LOG_DIR/aws.log" 2>&1 &
  echo $! >"$(pidfile aws)"
  echo moto >"$RUN_DIR/aws.kind"
}

answers() {  # any emulator: an SNS ListTopics over the wire
  curl -fsS -m 3 -X POST -d 'Action=ListTopics&Version=2010-03-31' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0' \
    "$ENDPOINT/" >/dev/null
}

start() {
  owned_alive aws && return 0
  if port_in_use "$AWS_PORT"; then
    die "port $AWS_PORT is in use by a process we did not start; stop it or set LOCALSTACK_HOST"
  fi
  setup
  if [ "$AWS_EMULATOR" = moto ]; then start_moto; else start_localstack; fi
  if ! wait_until 90 answers; then
    tail -n 30 "$LOG_DIR/aws.log" >&2 || true
    stop_owned aws 10
    die "the AWS endpoint ($AWS_EMULATOR) did not answer on $ENDPOINT"
  fi
}

health() {
  owned_alive aws || { say "not running (no live pid in $(pidfile aws))"; return 1; }
  local kind; kind="$(cat "$RUN_DIR/aws.kind" 2>/dev/null || echo '?')"
  if answers; then say "$kind on $ENDPOINT"; else say "$kind pid alive but SNS does not answer on $ENDPOINT"; return 1; fi
}

case "${1:-}" in
  setup) setup ;;
  start) start ;;
  stop) stop_owned aws 15; rm -f "$RUN_DIR/aws.kind" ;;
  health) health ;;
  *) die "usage: $0 setup|start|stop|health" ;;
esac
