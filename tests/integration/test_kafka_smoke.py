"""The real Kafka broker: topics as MSK would have them, and the client behaviour we build on."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from customersignal.settings import PlatformSettings
from customersignal.topology import required_topics
from tests.support.waits import scaled, wait_for

pytestmark = pytest.mark.integration


def idempotent_producer(bootstrap: str) -> Producer:
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5})


def group_consumer(bootstrap: str, group: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,
        }
    )


def consume(consumer: Consumer, count: int, base_s: float = 30.0) -> list[Message]:
    """``count`` messages (the first call also waits for the group to assign partitions)."""
    messages: list[Message] = []

    def more() -> list[Message]:
        for message in consumer.consume(num_messages=count - len(messages), timeout=0.5):
            assert message.error() is None, message.error()
            messages.append(message)
        return messages

    return wait_for(
        more, lambda got: len(got) >= count, f"{count} messages", base_s=base_s, first_interval_s=0.0, show=len
    )


def test_the_stack_created_the_topics_explicitly(kafka_admin: AdminClient, settings: PlatformSettings) -> None:
    # Given the local stack is up / When we read the cluster metadata
    metadata = kafka_admin.list_topics(timeout=scaled(10))
    # Then events_raw and the DLQ exist with the partition counts the topology declares
    for name, partitions in required_topics(settings).items():
        assert len(metadata.topics[name].partitions) == partitions


def test_broker_does_not_auto_create_topics(kafka_admin: AdminClient, settings: PlatformSettings) -> None:
    # Given a topic nobody created
    missing = f"never-created-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "message.timeout.ms": 3000})
    errors: list[KafkaError | None] = []
    # When we produce to it
    producer.produce(missing, b"x", on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(scaled(10))
    # Then delivery fails and the broker still has no such topic (as on MSK)
    assert len(errors) == 1
    assert errors[0] is not None
    assert missing not in kafka_admin.list_topics(timeout=scaled(10)).topics


def test_idempotent_produce_consume_round_trip_keeps_key_value_and_headers(
    kafka_topic: Callable[[int], str], consumer_group: str, settings: PlatformSettings
) -> None:
    # Given a topic with 3 partitions and 30 keyed messages sent by an idempotent producer
    topic = kafka_topic(3)
    producer = idempotent_producer(settings.kafka_bootstrap)
    failures: list[KafkaError] = []
    sent = {f"v{i}".encode(): f"tenant-{i % 5}".encode() for i in range(30)}
    for value, key in sent.items():
        producer.produce(
            topic,
            key=key,
            value=value,
            headers=[("schema", b"1")],
            on_delivery=lambda err, _m: failures.append(err) if err else None,
        )
    # When all of them are acknowledged and read back
    assert producer.flush(scaled(15)) == 0
    assert failures == []
    consumer = group_consumer(settings.kafka_bootstrap, consumer_group)
    consumer.subscribe([topic])
    received = consume(consumer, 30)
    consumer.close()
    # Then each arrives once, with its key and headers, and one key always maps to one partition
    assert {m.value(): m.key() for m in received} == sent
    assert all(m.headers() == [("schema", b"1")] for m in received)
    partitions_by_key: dict[bytes | None, set[int | None]] = {}
    for message in received:
        partitions_by_key.setdefault(message.key(), set()).add(message.partition())
    assert all(len(parts) == 1 for parts in partitions_by_key.values())


def test_consumer_group_resumes_from_its_committed_offsets(
    kafka_topic: Callable[[int], str], consumer_group: str, settings: PlatformSettings
) -> None:
    # Given 20 messages in a 2-partition topic
    topic = kafka_topic(2)
    producer = idempotent_producer(settings.kafka_bootstrap)
    for i in range(20):
        producer.produce(topic, key=str(i % 4).encode(), value=str(i).encode())
    assert producer.flush(scaled(15)) == 0
    # When a first consumer reads 12 of them, commits exactly those, and leaves
    first = group_consumer(settings.kafka_bootstrap, consumer_group)
    first.subscribe([topic])
    head = consume(first, 12)
    last_by_partition: dict[int, int] = {}
    for message in head:
        partition, offset = message.partition(), message.offset()
        assert partition is not None
        assert offset is not None
        last_by_partition[partition] = max(last_by_partition.get(partition, -1), offset)
    first.commit(offsets=[TopicPartition(topic, p, o + 1) for p, o in last_by_partition.items()], asynchronous=False)
    first.close()
    # Then a second consumer in the same group gets exactly the other 8, and nothing twice
    second = group_consumer(settings.kafka_bootstrap, consumer_group)
    second.subscribe([topic])
    tail = consume(second, 8)
    extra = second.poll(2.0)
    second.close()
    assert len(head) == 12
    assert sorted(int(m.value() or b"") for m in head + tail) == list(range(20))
    assert extra is None or extra.error() is not None
