"""Browse dead letters and replay them into ``events_raw`` once their cause is fixed.

A replay produces the original key, value and headers again (plus ``cs-replay-of: topic/partition/
offset``), waits for Kafka's acknowledgement, and only then marks the letters ``replayed``. An
interruption between the two leaves them ``new``, and replaying them again is harmless: the aggregator
counts each (tenant, event id) once. A letter whose cause remains is dead-lettered again, as a new letter.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pg8000.native
from confluent_kafka import KafkaError, Message, Producer

from customersignal.adapters.kafka_producer import reliable_producer_config
from customersignal.domain.errors import Unavailable
from customersignal.settings import KafkaSettings

REPLAY_HEADER = "cs-replay-of"

SELECT_LETTERS = """
SELECT id, tenant_id::text, reason_code, error_text, source_topic, source_partition, source_offset, key, value,
       headers, received_at, status
FROM dead_letters
WHERE (CAST(:status AS text) IS NULL OR status = :status)
  AND (CAST(:reason AS text) IS NULL OR reason_code = :reason)
  AND (CAST(:tenant AS uuid) IS NULL OR tenant_id = CAST(:tenant AS uuid))
  AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[])))
  AND id > :after
ORDER BY id
LIMIT :limit
"""
MARK_REPLAYED = (
    "UPDATE dead_letters SET status = 'replayed', replayed_at = now() WHERE id = ANY(CAST(:ids AS bigint[]))"
)


@dataclass(frozen=True)
class StoredLetter:
    id: int
    tenant_id: str | None
    reason_code: str
    error_text: str
    source: str  # topic/partition/offset
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    received_at: datetime
    status: str


@dataclass(frozen=True)
class LetterFilter:
    status: str | None = "new"
    reason: str | None = None
    tenant_id: str | None = None
    ids: Sequence[int] | None = None


def find_letters(
    db: pg8000.native.Connection, where: LetterFilter, *, after: int = 0, limit: int = 100
) -> list[StoredLetter]:
    rows = db.run(
        SELECT_LETTERS,
        status=where.status,
        reason=where.reason,
        tenant=where.tenant_id,
        ids=list(where.ids) if where.ids else None,
        after=after,
        limit=limit,
    )
    return [_letter(row) for row in rows]


def mark_replayed(db: pg8000.native.Connection, ids: Sequence[int]) -> None:
    db.run(MARK_REPLAYED, ids=list(ids))


def _letter(row: Sequence[Any]) -> StoredLetter:
    ident, tenant, reason, error, topic, partition, offset, key, value, headers, received, status = row
    return StoredLetter(
        id=ident,
        tenant_id=tenant,
        reason_code=reason,
        error_text=error,
        source=f"{topic}/{partition}/{offset}",
        key=None if key is None else bytes(key),
        value=None if value is None else bytes(value),
        headers=[(h["key"], base64.b64decode(h["value"])) for h in headers],
        received_at=received,
        status=status,
    )


class LetterReplayer:
    def __init__(self, settings: KafkaSettings, connection: dict[str, Any]) -> None:
        self._topic = settings.kafka_events_topic
        self._timeout_s = max(10.0, settings.kafka_produce_timeout_ms / 1000)
        self._producer = Producer(reliable_producer_config(settings, connection, "customersignal-dlq-replay"))

    def replay(self, letters: Sequence[StoredLetter]) -> None:
        """Return once Kafka holds every letter again; raise ``Unavailable`` otherwise."""
        errors: list[KafkaError] = []

        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                errors.append(error)

        for letter in letters:
            headers: list[tuple[str, str | bytes | None]] = [(k, v) for k, v in letter.headers]
            headers.append((REPLAY_HEADER, letter.source.encode()))
            self._producer.produce(
                self._topic, key=letter.key, value=letter.value, headers=headers, on_delivery=on_delivery
            )
        undelivered = self._producer.flush(self._timeout_s)
        if undelivered or errors:
            reason = errors[0].str() if errors else f"{undelivered} not acknowledged"
            raise Unavailable("kafka_unavailable", f"Kafka did not take the replayed letters ({reason})", None, 5)

    def close(self) -> None:
        self._producer.flush(5)
