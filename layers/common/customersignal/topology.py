"""The Kafka topics CustomerSignal needs, in one place.

Topics are created explicitly (auto-creation is off, as on MSK). Partitions of events_raw bound the
aggregator's parallelism: the event-source mapping runs at most one concurrent batch per partition.
"""

from __future__ import annotations

from customersignal.settings import KafkaSettings

EVENTS_PARTITIONS = 12
DLQ_PARTITIONS = 3


def required_topics(settings: KafkaSettings) -> dict[str, int]:
    return {settings.kafka_events_topic: EVENTS_PARTITIONS, settings.kafka_dlq_topic: DLQ_PARTITIONS}
