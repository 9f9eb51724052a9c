"""Broker readiness and idempotent topic creation (confluent-kafka AdminClient).

Run as a module by the local stack:
``python -m customersignal.adapters.kafka_admin [--timeout S]`` waits for the broker and creates the topics;
``--check`` only reports whether the broker answers and the topics exist (for ``make status``).
"""

from __future__ import annotations

import argparse
import sys
import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ClusterMetadata, NewTopic

from customersignal.settings import KafkaSettings
from customersignal.topology import required_topics


def admin_client(bootstrap: str) -> AdminClient:
    # log_level 0 silences librdkafka's "connection refused" lines while a broker boots
    return AdminClient({"bootstrap.servers": bootstrap, "socket.connection.setup.timeout.ms": 2000, "log_level": 0})


def wait_for_broker(admin: AdminClient, timeout_s: float) -> ClusterMetadata:
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            metadata = admin.list_topics(timeout=3)
            if metadata.brokers:
                return metadata
        except KafkaException as exc:
            last_error = exc
        time.sleep(0.5)
    raise TimeoutError(f"no Kafka metadata within {timeout_s}s (last error: {last_error})")


def ensure_topics(
    admin: AdminClient, partitions_by_topic: dict[str, int], timeout_s: float = 30.0, replication_factor: int = 1
) -> None:
    """Create missing topics (replication 1 locally) and wait until every partition has a leader."""
    new = [
        NewTopic(name, num_partitions=n, replication_factor=replication_factor)
        for name, n in partitions_by_topic.items()
    ]
    for future in admin.create_topics(new, operation_timeout=timeout_s).values():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _all_led(admin.list_topics(timeout=5), partitions_by_topic):
            return
        time.sleep(0.3)
    raise TimeoutError(f"topics not ready within {timeout_s}s: {partitions_by_topic}")


def _all_led(metadata: ClusterMetadata, partitions_by_topic: dict[str, int]) -> bool:
    for name, count in partitions_by_topic.items():
        topic = metadata.topics.get(name)
        if topic is None or topic.error is not None or len(topic.partitions) < count:
            return False
        if any(p.leader < 0 for p in topic.partitions.values()):
            return False
    return True


def missing_topics(metadata: ClusterMetadata, partitions_by_topic: dict[str, int]) -> list[str]:
    return [name for name in partitions_by_topic if not _all_led(metadata, {name: partitions_by_topic[name]})]


def check(settings: KafkaSettings) -> int:
    try:
        metadata = admin_client(settings.kafka_bootstrap).list_topics(timeout=3)
    except KafkaException as exc:
        print(f"no metadata from {settings.kafka_bootstrap}: {exc}")
        return 1
    missing = missing_topics(metadata, required_topics(settings))
    if missing:
        print(f"broker answers, but topics are missing or incomplete: {missing} (run make services)")
        return 1
    events = metadata.topics[settings.kafka_events_topic]
    print(f"{settings.kafka_bootstrap}, {len(events.partitions)} partitions in {settings.kafka_events_topic}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Wait for Kafka and create CustomerSignal's topics.")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the broker")
    parser.add_argument("--check", action="store_true", help="only check; create nothing")
    args = parser.parse_args(argv)
    settings = KafkaSettings()
    if args.check:
        return check(settings)
    started = time.monotonic()
    admin = admin_client(settings.kafka_bootstrap)
    try:
        wait_for_broker(admin, args.timeout)
        topics = required_topics(settings)
        ensure_topics(admin, topics)
    except (TimeoutError, KafkaException) as exc:
        print(f"kafka at {settings.kafka_bootstrap} not ready: {exc}", file=sys.stderr)
        return 1
    print(f"kafka ready at {settings.kafka_bootstrap} after {time.monotonic() - started:.1f}s; topics {topics}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
