"""Dead letters to the ``events_dlq`` topic: the original key, value and headers, plus why.

Headers added (all UTF-8): ``cs-dlq-reason`` (the reason code), ``cs-dlq-error`` (the error text),
``cs-dlq-source-topic``, ``cs-dlq-source-partition`` and ``cs-dlq-source-offset``. A consumer can tell a
re-delivered letter by its source position, which is what the ``dead_letters`` table is unique on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from customersignal.adapters.kafka_producer import reliable_producer_config
from customersignal.domain.deadletters import DeadLetter
from customersignal.domain.errors import Unavailable
from customersignal.settings import KafkaSettings

RETRY_AFTER_S = 5
REASON_HEADER = "cs-dlq-reason"
ERROR_HEADER = "cs-dlq-error"
SOURCE_TOPIC_HEADER = "cs-dlq-source-topic"
SOURCE_PARTITION_HEADER = "cs-dlq-source-partition"
SOURCE_OFFSET_HEADER = "cs-dlq-source-offset"


def dead_letter_headers(letter: DeadLetter) -> list[tuple[str, str | bytes | None]]:
    record = letter.record
    return [
        *record.headers,
        (REASON_HEADER, letter.reason.value.encode()),
        (ERROR_HEADER, letter.error.encode()),
        (SOURCE_TOPIC_HEADER, record.topic.encode()),
        (SOURCE_PARTITION_HEADER, str(record.partition).encode()),
        (SOURCE_OFFSET_HEADER, str(record.offset).encode()),
    ]


class KafkaDeadLetterPublisher:
    """``DeadLetterPublisher``; one per container, used by one invocation at a time (Lambda's model)."""

    def __init__(self, settings: KafkaSettings, connection: dict[str, Any], *, client_id: str) -> None:
        self._topic = settings.kafka_dlq_topic
        self._timeout_s = settings.kafka_produce_timeout_ms / 1000
        self._producer = Producer(reliable_producer_config(settings, connection, client_id))

    def publish(self, letters: Sequence[DeadLetter]) -> None:
        errors: list[KafkaError] = []

        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                errors.append(error)

        try:
            for letter in letters:
                self._producer.produce(
                    self._topic,
                    key=letter.record.key,
                    value=letter.record.value,
                    headers=dead_letter_headers(letter),
                    on_delivery=on_delivery,
                )
        except (BufferError, KafkaException) as exc:
            raise Unavailable("kafka_unavailable", f"could not queue dead letters: {exc}", None, RETRY_AFTER_S) from exc
        undelivered = self._producer.flush(self._timeout_s)
        if undelivered or errors:
            reason = errors[0].str() if errors else f"{undelivered} not acknowledged in time"
            raise Unavailable("kafka_unavailable", f"dead letters not stored in Kafka ({reason})", None, RETRY_AFTER_S)

    def close(self, timeout_s: float = 5.0) -> int:
        remaining = int(self._producer.flush(timeout_s))
        if remaining:
            self._producer.purge()
        return remaining
