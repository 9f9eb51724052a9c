"""Kafka record → the event's row, or the reason it is a dead letter. Pure: no lookups, no I/O.

Most records take the fast path (``record_fast_path``: orjson and exact checks); the rest are decided by
the pydantic ``Envelope``, which also words every refusal. Either way the row then passes the checks that
the schema cannot express but Postgres, the catalog or the bucketing would enforce on every retry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from pydantic import ValidationError

from customersignal.domain.deadletters import DeadLetter, DeadLetterReason
from customersignal.domain.envelope import Envelope
from customersignal.domain.event_row import EventRow
from customersignal.domain.events import EVENT_TYPE_MAX_LENGTH, IDENTITY_MAX_LENGTH, MAX_UTC_OFFSET
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.nul_text import NUL_MESSAGE, holds_nul
from customersignal.domain.record_fast_path import NULL, fast_row
from customersignal.domain.timecorrect import FIRST_YEAR, LAST_YEAR

ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class DecodedRecord:
    record: KafkaRecord
    row: EventRow


def decode_record(record: KafkaRecord) -> DecodedRecord | DeadLetter:
    if record.value is None:
        return DeadLetter.of(record, DeadLetterReason.DECODE_ERROR, "the record has no value, or it is not base64")
    row = fast_row(record.value)
    if row is None:
        decoded = _decode_slowly(record, record.value)
        if isinstance(decoded, DeadLetter):
            return decoded
        row = decoded
    problem = _refused_downstream(row)
    if problem is not None:
        return DeadLetter.of(record, DeadLetterReason.SCHEMA_INVALID, problem)
    return DecodedRecord(record, row)


def _decode_slowly(record: KafkaRecord, value: bytes) -> EventRow | DeadLetter:
    if holds_nul(value):  # Postgres would refuse the whole batch's statement, on every retry
        return DeadLetter.of(record, DeadLetterReason.SCHEMA_INVALID, f"a string {NUL_MESSAGE}")
    try:
        envelope = Envelope.model_validate_json(value)
    except ValidationError as exc:
        reason = DeadLetterReason.SCHEMA_INVALID
        first = exc.errors(include_url=False)[0]
        if first["type"] in ("json_invalid", "json_type"):
            reason = DeadLetterReason.DECODE_ERROR
        return DeadLetter.of(record, reason, _describe(exc))
    try:
        return row_of(envelope)
    except ValueError as exc:
        return DeadLetter.of(record, DeadLetterReason.SCHEMA_INVALID, str(exc))


def row_of(envelope: Envelope) -> EventRow:
    """The row of a validated envelope; ``ValueError`` for what jsonb cannot hold (NaN, Infinity), which
    pydantic's JSON reader lets through."""
    event = envelope.event
    times = (envelope.occurred_at, event.timestamp, event.sent_at, envelope.received_at)
    return EventRow(
        str(envelope.tenant_id),
        str(envelope.project_id),
        str(event.event_id),
        event.event_type,
        event.user_id,
        event.anonymous_id,
        envelope.occurred_at,
        envelope.received_at,
        event.timestamp,
        event.sent_at,
        envelope.is_late,
        envelope.trace_id,
        _jsonb_text("event.properties", event.properties),
        _jsonb_text("event.context", event.context),
        event.properties,
        "\t".join(NULL if t is None else t.isoformat() for t in times),
    )


def _jsonb_text(name: str, value: dict[str, Any]) -> str:
    # json, not orjson: orjson writes NaN as null, and refuses integers past 64 bits
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError as exc:
        raise ValueError(f"{name}: {exc} (JSON has no NaN or Infinity)") from exc


def _refused_downstream(row: EventRow) -> str | None:
    """What the schema reads but Postgres, the catalog or the bucketing would refuse on every retry of the
    batch: attribute reads and comparisons of parsed values, no second pass over the JSON."""
    # Postgres refuses offsets past 15:59; UTC (most times, "Z") needs no look
    for name, moment in (
        ("occurred_at", row.occurred_at),
        ("received_at", row.received_at),
        ("event.timestamp", row.client_timestamp),
        ("event.sent_at", row.sent_at),
    ):
        if moment is not None and moment.tzinfo is not UTC and abs(moment.utcoffset() or ZERO) > MAX_UTC_OFFSET:
            return f"{name}: UTC offset out of range (at most 14:00 either way)"
    # Python moves these two to UTC (buckets, freshness), which overflows at the ends of its calendar
    if not FIRST_YEAR <= row.occurred_at.year <= LAST_YEAR:
        return f"occurred_at: out of range (years {FIRST_YEAR} to {LAST_YEAR})"
    if not FIRST_YEAR <= row.received_at.year <= LAST_YEAR:
        return f"received_at: out of range (years {FIRST_YEAR} to {LAST_YEAR})"
    if not 0 < len(row.event_type) <= EVENT_TYPE_MAX_LENGTH:
        return f"event.event_type: must be 1-{EVENT_TYPE_MAX_LENGTH} characters"
    if row.user_id is None and row.anonymous_id is None:  # events_identity_check
        return "event: needs a user_id or an anonymous_id"
    # identities are indexed (the explorer's user lookups), and btree refuses index rows past 2704 bytes
    for name, identity in (("event.user_id", row.user_id), ("event.anonymous_id", row.anonymous_id)):
        if identity is not None and len(identity) > IDENTITY_MAX_LENGTH:
            return f"{name}: must be at most {IDENTITY_MAX_LENGTH} characters"
    return None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        location = ".".join(str(part) for part in error["loc"]) or "(value)"
        parts.append(f"{location}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
