#!/usr/bin/env bash
# Apache Kafka, single-node KRaft (broker + controller), from Maven Central jars. No Docker.
# usage: kafka.sh setup|start|stop|health
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONF="$ROOT/infra/local/kafka"
LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
DATA="$STATE_DIR/kafka/data"
KLOGS="$LOG_DIR/kafka"
PROPS="$STATE_DIR/kafka/server.properties"
BOOT="127.0.0.1:$KAFKA_PORT"
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
JVM_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true"
LOGCFG="-Dlog4j2.configurationFile=$CONF/log4j2.properties -Dkafka.logs.dir=$KLOGS"
# the heap after each collection, as Kafka's own start scripts log it: `make soak` reads the live heap here
GCLOG="-Xlog:gc:file=$KLOGS/gc.log:time,uptime:filecount=5,filesize=10M"

setup() {
  if compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then return 0; fi
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch the Kafka jars: apt-get install maven"
  command -v java >/dev/null || die "Java 17+ is needed for Kafka: apt-get install openjdk-17-jre-headless"
  say "  fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  mkdir -p "$LIBS.tmp" "$KLOGS"
  mvn -B -f "$CONF/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$KLOGS/mvn.log" 2>&1 \
    || { tail -n 30 "$KLOGS/mvn.log" >&2; die "Maven could not fetch the Kafka jars (log: $KLOGS/mvn.log)"; }
  rm -rf "$LIBS" && mv "$LIBS.tmp" "$LIBS"
}

format_storage() {  # once per data folder: a formatted log dir keeps its cluster id across restarts
  mkdir -p "$DATA" "$KLOGS"
  sed -e "s#@DATA_DIR@#$DATA#" -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
      -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" "$CONF/server.properties" > "$PROPS"
  [ -f "$DATA/meta.properties" ] && return 0
  local cid
  # Kafka's own random ids never start with '-' (the CLI would read the id as an option); neither do ours
  cid="$("$PY" -c '
import base64, uuid
while (cid := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"):
    pass
print(cid)')"
  java -Xmx256m $LOGCFG -cp "$LIBS/*" kafka.tools.StorageTool format \
    --config "$PROPS" --cluster-id "$cid" >"$KLOGS/format.out" 2>&1 \
    || { cat "$KLOGS/format.out" >&2; die "kafka storage format failed (data: $DATA)"; }
}

ensure_topics() {  # topics exist only when created explicitly: auto-creation is off, as on MSK
  CS_KAFKA_BOOTSTRAP="$BOOT" "$PY" -m customersignal.adapters.kafka_admin --timeout "${CS_KAFKA_START_TIMEOUT:-120}"
}

start() {
  if owned_alive kafka; then ensure_topics >/dev/null && return 0; fi
  if port_in_use "$KAFKA_PORT"; then
    die "port $KAFKA_PORT is in use by a process we did not start; stop it or set CS_KAFKA_BOOTSTRAP"
  fi
  setup
  format_storage
  setsid nohup java $HEAP $JVM_OPTS $GCLOG $LOGCFG -cp "$LIBS/*" kafka.Kafka "$PROPS" >"$KLOGS/broker.out" 2>&1 &
  echo $! >"$(pidfile kafka)"
  if ! ensure_topics; then
    say "kafka did not become ready; last log lines:" >&2
    tail -n 30 "$KLOGS/server.log" "$KLOGS/broker.out" >&2 2>/dev/null || true
    stop_owned kafka 20
    exit 1
  fi
}

health() {
  owned_alive kafka || { say "not running (no live pid in $(pidfile kafka))"; return 1; }
  CS_KAFKA_BOOTSTRAP="$BOOT" "$PY" -m customersignal.adapters.kafka_admin --check
}

case "${1:-}" in
  setup) setup ;;
  start) start ;;
  stop) stop_owned kafka 30 ;;
  health) health ;;
  *) die "usage: $0 setup|start|stop|health" ;;
esac
