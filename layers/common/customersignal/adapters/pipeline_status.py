"""How far behind the aggregator is: consumer lag per partition, freshness per tenant, dead letters waiting.

Lag = the partition's end offset minus the consumer group's committed offset in Kafka (what the
event-source mapping commits after each successful batch), the same figure as Lambda's OffsetLag
metric. The Postgres offset fence is shown next to it: it can run ahead of Kafka's commit (a batch
applied, then the commit lost) but never behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pg8000.native
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

OFFSETS_TIMEOUT_S = 10


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    start_offset: int  # the oldest retained offset
    end_offset: int
    committed: int | None  # None: the group has committed nothing for this partition
    applied: int | None  # the Postgres fence (next unapplied offset)

    @property
    def lag(self) -> int:
        return self.end_offset - (self.committed if self.committed is not None else self.start_offset)


def partition_lags(connection: dict[str, Any], topic: str, group: str, fences: dict[int, int]) -> list[PartitionLag]:
    admin = AdminClient(connection)
    metadata = admin.list_topics(topic, timeout=OFFSETS_TIMEOUT_S)
    if topic not in metadata.topics or metadata.topics[topic].error is not None:
        raise LookupError(f"topic {topic} does not exist on {connection.get('bootstrap.servers')}")
    partitions = sorted(metadata.topics[topic].partitions)
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in partitions])
    committed: dict[int, int | None] = {p: None for p in partitions}
    result = admin.list_consumer_group_offsets([request], request_timeout=OFFSETS_TIMEOUT_S)[group].result()
    for tp in result.topic_partitions:
        committed[tp.partition] = tp.offset if tp.offset >= 0 else None
    reader = Consumer(connection | {"group.id": f"{group}-status", "enable.auto.commit": False})
    try:
        lags = []
        for p in partitions:
            low, high = reader.get_watermark_offsets(TopicPartition(topic, p), timeout=OFFSETS_TIMEOUT_S)
            lags.append(PartitionLag(p, low, high, committed[p], fences.get(p)))
        return lags
    finally:
        reader.close()


def topic_records(connection: dict[str, Any], topic: str) -> int:
    """Records a topic holds now (end minus oldest retained offset, over its partitions); 0 if it is absent."""
    admin = AdminClient(connection)
    metadata = admin.list_topics(topic, timeout=OFFSETS_TIMEOUT_S)
    if topic not in metadata.topics or metadata.topics[topic].error is not None:
        return 0
    reader = Consumer(connection | {"group.id": "customersignal-status", "enable.auto.commit": False})
    try:
        total = 0
        for p in metadata.topics[topic].partitions:
            low, high = reader.get_watermark_offsets(TopicPartition(topic, p), timeout=OFFSETS_TIMEOUT_S)
            total += high - low
        return total
    finally:
        reader.close()


def new_dead_letters(db: pg8000.native.Connection) -> int:
    """Dead letters nobody replayed or discarded yet (what `customersignal dlq list` shows)."""
    return int(db.run("SELECT count(*) FROM dead_letters WHERE status = 'new'")[0][0])


def offset_fences(db: pg8000.native.Connection, group: str, topic: str) -> dict[int, int]:
    rows = db.run(
        "SELECT partition, next_offset FROM consumer_offsets WHERE consumer_group = :g AND topic = :t", g=group, t=topic
    )
    return {partition: offset for partition, offset in rows}


def tenant_freshness(db: pg8000.native.Connection) -> list[tuple[str, datetime]]:
    rows = db.run(
        "SELECT t.slug, f.complete_up_to FROM tenant_freshness f JOIN tenants t ON t.id = f.tenant_id ORDER BY t.slug"
    )
    return [(slug, moment) for slug, moment in rows]
