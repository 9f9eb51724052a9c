"""``python -m customersignal.local.esm``: run every Kafka event source of template.yaml against local Kafka.

    python -m customersignal.local.esm --template template.yaml [--function LOGICAL_ID] [--param K=V ...]
        [--topic NAME] [--consumer-group NAME] [--status-file PATH] [--log-level debug]

One poller (a thread) per source. SIGTERM or SIGINT: each poller finishes its running invocation,
commits, and closes; the process exits 0. SIGKILL loses nothing: uncommitted records are fetched again.
Exit 2: the template, the handler or the local stack needs fixing first (the message says how).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from confluent_kafka import KafkaException

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.kafka_admin import admin_client
from customersignal.local.esm.destinations import AwsDestination, Destination, KafkaTopicDestination
from customersignal.local.esm.intrinsics import Resolver, parse_overrides
from customersignal.local.esm.invoke import Invoker, load_handler
from customersignal.local.esm.poller import Poller
from customersignal.local.esm.sources import KafkaSource, kafka_sources, with_overrides
from customersignal.local.esm.status import summary_line, write_status
from customersignal.local.template import TemplateError, load_template
from customersignal.settings import AwsSettings, KafkaSettings

log = logging.getLogger("customersignal.local.esm")
USAGE_ERROR = 2
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m customersignal.local.esm",
        description="Poll the template's MSK / SelfManagedKafka event sources on local Kafka and invoke their "
        "handlers in-process, as Lambda's event-source mapping would.",
    )
    parser.add_argument("--template", type=Path, default=Path("template.yaml"), help="SAM template (template.yaml)")
    parser.add_argument("--function", help="only this function (logical id); default: every function with a source")
    parser.add_argument("--param", action="append", default=[], metavar="K=V", help="template parameter override")
    parser.add_argument("--topic", help="poll this topic instead of the template's Topics (tests)")
    parser.add_argument("--consumer-group", help="use this consumer group instead of ConsumerGroupId (tests)")
    parser.add_argument("--status-file", type=Path, help="write a JSON status here every second (esm.sh status)")
    parser.add_argument("--summary-interval", type=float, default=30.0, help="seconds between info summaries")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser.parse_args(argv)


def read_sources(args: argparse.Namespace) -> list[KafkaSource]:
    template_path = args.template.resolve()
    if not template_path.is_file():
        raise TemplateError(f"template {template_path} not found: run from the repository root or pass --template")
    template = load_template(template_path)
    resolver = Resolver(template, parse_overrides(args.param))
    sources = kafka_sources(template, resolver, template_path.parent, args.function)
    if (args.topic or args.consumer_group) and len(sources) > 1:
        raise TemplateError("--topic/--consumer-group apply to one source: choose it with --function")
    return [with_overrides(s, args.topic, args.consumer_group) for s in sources]


def check_kafka(bootstrap: str, sources: list[KafkaSource]) -> None:
    try:
        metadata = admin_client(bootstrap).list_topics(timeout=5)
    except KafkaException as exc:
        raise TemplateError(
            f"Kafka at {bootstrap} does not answer ({exc.args[0]}): start it with `make services` "
            "(or infra/local/stack.sh up kafka), or point CS_KAFKA_BOOTSTRAP at your broker"
        ) from exc
    for source in sources:
        on_failure = source.mapping.on_failure
        wanted = [*source.mapping.topics, *([on_failure.target] if on_failure and on_failure.kind == "kafka" else [])]
        for topic in wanted:
            if topic not in metadata.topics or metadata.topics[topic].error is not None:
                raise TemplateError(
                    f"{source.name}: topic {topic} does not exist on {bootstrap} (auto-creation is off, as on MSK); "
                    "`make services` creates events_raw and events_dlq, create any other topic yourself"
                )


def destination_for(source: KafkaSource, bootstrap: str) -> Destination | None:
    on_failure = source.mapping.on_failure
    if on_failure is None:
        return None
    if on_failure.kind == "kafka":
        return KafkaTopicDestination(on_failure.target, bootstrap)
    m = source.mapping
    origin = {"eventSourceArn": m.event_source_arn} if m.event_source_arn else {"bootstrapServers": bootstrap}
    return AwsDestination(on_failure.target, AwsClients(AwsSettings()), origin)


def build(args: argparse.Namespace, stop: threading.Event) -> list[Poller]:
    sources = read_sources(args)
    bootstrap = KafkaSettings().kafka_bootstrap
    check_kafka(bootstrap, sources)
    resolver = Resolver(load_template(args.template.resolve()), parse_overrides(args.param))
    pollers = []
    for source in sources:
        if not source.mapping.enabled:
            log.info("%s: Enabled is false, not polled", source.name)
            continue
        invoker = Invoker(load_handler(source.spec, resolver), source.spec)
        pollers.append(Poller(source, invoker, destination_for(source, bootstrap), bootstrap, stop))
        log.info(
            "%s: polling %s as group %s (%s) on %s",
            source.name,
            ",".join(source.mapping.topics),
            source.mapping.consumer_group,
            source.mapping.starting_position,
            bootstrap,
        )
    return pollers


def start(pollers: list[Poller], stop: threading.Event, failed: list[BaseException]) -> list[threading.Thread]:
    def run(poller: Poller) -> None:
        try:
            poller.run()
        except Exception as exc:  # reported, then the whole emulator stops
            log.exception("%s failed", poller.source.name)
            failed.append(exc)
            stop.set()

    threads = [threading.Thread(target=run, args=(p,), name=p.source.name) for p in pollers]
    for thread in threads:
        thread.start()
    return threads


def report(pollers: list[Poller], status_file: Path | None, state: str, *, summary: str | None) -> None:
    """Write the status file; with ``summary`` (a prefix), log each poller's summary line too."""
    if status_file is not None:
        write_status(status_file, [p.snapshot() for p in pollers], state=state)
    if summary is not None:
        for poller in pollers:
            log.info("%s%s", summary, summary_line(poller.snapshot()))


def supervise(pollers: list[Poller], stop: threading.Event, args: argparse.Namespace) -> int:
    """Run the pollers until they stop; meanwhile write the status file every second and log summaries."""
    failed: list[BaseException] = []
    threads = start(pollers, stop, failed)
    summary_at = time.monotonic()
    while any(t.is_alive() for t in threads) and not stop.is_set():
        stop.wait(1.0)
        due = time.monotonic() - summary_at >= args.summary_interval
        summary_at = time.monotonic() if due else summary_at
        report(pollers, args.status_file, "running", summary="" if due else None)
    for thread in threads:  # each finishes its running invocation and commits
        thread.join()
    report(pollers, args.status_file, "failed" if failed else "stopped", summary="final: ")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    # Our own handler, not propagated: the hosted handler's logging (Powertools configures the logger of
    # its service name, "customersignal", our parent) must not restyle or filter the emulator's lines.
    if not log.handlers:
        own = logging.StreamHandler(sys.__stderr__)  # the process's stderr, even if sys.stderr is swapped
        own.setFormatter(logging.Formatter(LOG_FORMAT))
        log.addHandler(own)
    log.propagate = False
    log.setLevel(args.log_level.upper())
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: finishing the running invocation, then stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        pollers = build(args, stop)
    except TemplateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if not pollers:
        print("error: every Kafka event source is disabled (Enabled: false); nothing to poll", file=sys.stderr)
        return USAGE_ERROR
    return supervise(pollers, stop, args)
