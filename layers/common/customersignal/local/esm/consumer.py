"""The Kafka side of a poller: the consumer's settings, where it starts, and records as ``RecordData``.

Offsets are committed by hand, only after the function succeeded (``enable.auto.commit`` off): "Lambda
reads each partition sequentially and commits offsets after each batch is processed successfully"
(aws.md §1.4). Where a partition starts (kafka-consumer-group-id): "if you specify a consumer group ID,
and Kafka finds a valid existing consumer group with the same ID, Lambda ignores the StartingPosition
for your event source mapping. Instead, Lambda begins processing records according to the committed
offset of the consumer group." Otherwise TRIM_HORIZON is the oldest retained record, LATEST the end of
the partition, AT_TIMESTAMP the first record at or after StartingPositionTimestamp (the end if none).

Docs silent, our choices: a partition of an existing group that has no committed offset starts at the
StartingPosition; the start offsets a new group resolves are committed at once, so a restarted emulator
resumes there as a long-lived mapping would (LATEST would otherwise skip what arrived while it was down).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from customersignal.local.esm.events import TIMESTAMP_TYPES, RecordData

if TYPE_CHECKING:
    from confluent_kafka._types import HeadersType

log = logging.getLogger(__name__)

Assigned = Callable[[dict[tuple[str, int], int]], None]


def consumer_config(bootstrap: str, group: str, client_id: str, timeout_s: int) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": client_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": False,
        # static membership: a restarted emulator (same group and source) takes its partitions back at once,
        # without waiting for the crashed member's session to time out and the group to rebalance
        "group.instance.id": f"{group}/{client_id}",
        # and if it is not restarted, the group moves its partitions on within seconds, not 45 s
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1500,
        # one invocation may run up to the function timeout between two polls
        "max.poll.interval.ms": max(300_000, (timeout_s + 60) * 1000),
        "log_level": 3,
        "error_cb": lambda error: log.warning("kafka: %s", error),
    }


def _headers(headers: HeadersType | None) -> tuple[tuple[str, bytes], ...]:
    # a consumed message's headers are a list (repeated names kept); a null value becomes no bytes
    pairs = headers.items() if isinstance(headers, dict) else headers or []
    return tuple((name, value.encode() if isinstance(value, str) else value or b"") for name, value in pairs)


def to_record(message: Message) -> RecordData:
    timestamp_type, timestamp_ms = message.timestamp()
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    assert topic is not None
    assert partition is not None
    assert offset is not None
    return RecordData(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp_ms=timestamp_ms,
        value=message.value(),
        key=message.key(),
        headers=_headers(message.headers()),
        timestamp_type=TIMESTAMP_TYPES.get(timestamp_type, "CREATE_TIME"),
    )


def start_offsets(
    consumer: Consumer, partitions: list[TopicPartition], position: str, timestamp_s: float | None
) -> tuple[list[TopicPartition], list[TopicPartition]]:
    """(where each partition starts, the starts to commit now because the group had none for them)."""
    committed = consumer.committed(partitions, timeout=10)
    starts: list[TopicPartition] = []
    fresh: list[TopicPartition] = []
    for tp in committed:
        if tp.offset >= 0:  # the group's own offset wins over StartingPosition
            starts.append(TopicPartition(tp.topic, tp.partition, tp.offset))
            continue
        low, high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=10)
        offset = {"TRIM_HORIZON": low, "LATEST": high}.get(position)
        if offset is None:  # AT_TIMESTAMP
            wanted = TopicPartition(tp.topic, tp.partition, int((timestamp_s or 0) * 1000))
            found = consumer.offsets_for_times([wanted], timeout=10)[0].offset
            offset = high if found < 0 else found  # no record at or after it (OFFSET_END): the end
        start = TopicPartition(tp.topic, tp.partition, offset)
        starts.append(start)
        fresh.append(start)
    return starts, fresh


def subscribe(
    consumer: Consumer,
    topics: tuple[str, ...],
    position: str,
    timestamp_s: float | None,
    on_assigned: Assigned,
    on_revoked: Callable[[list[TopicPartition]], None],
) -> None:
    """Subscribe; on each assignment, position every partition (``start_offsets``) before fetching."""

    def assign(c: Consumer, partitions: list[TopicPartition]) -> None:
        starts, fresh = start_offsets(c, partitions, position, timestamp_s)
        if fresh:
            try:
                c.commit(offsets=fresh, asynchronous=False)
            except KafkaException as exc:
                log.warning("could not record the starting offsets of %s: %s", fresh, exc)
        c.assign(starts)
        on_assigned({(tp.topic, tp.partition): tp.offset for tp in starts})

    def revoke(c: Consumer, partitions: list[TopicPartition]) -> None:
        on_revoked(partitions)
        c.unassign()

    consumer.subscribe(list(topics), on_assign=assign, on_revoke=revoke)


def lag(consumer: Consumer, committed: dict[tuple[str, int], int]) -> dict[str, int]:
    """``"<topic>-<partition>"`` -> end offset minus committed offset, for the assigned partitions."""
    out: dict[str, int] = {}
    for (topic, partition), offset in sorted(committed.items()):
        # the end offset from the consumer's last fetch response: a broker query here would block the
        # poller (seconds per partition while it is fetching); a partition never fetched yet is left out
        try:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
        except KafkaException:
            continue
        if high >= 0:
            out[f"{topic}-{partition}"] = max(0, high - offset)
    return out
