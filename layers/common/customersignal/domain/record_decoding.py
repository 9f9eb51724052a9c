"""Kafka record → envelope, or the reason it is a dead letter. Pure: no lookups, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError

from customersignal.domain.deadletters import DeadLetter, DeadLetterReason
from customersignal.domain.envelope import Envelope
from customersignal.domain.events import EVENT_TYPE_MAX_LENGTH, IDENTITY_MAX_LENGTH, MAX_UTC_OFFSET
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.nul_text import NUL_MESSAGE, holds_nul
from customersignal.domain.timecorrect import FIRST_YEAR, LAST_YEAR

ZERO = timedelta(0)


@dataclass(frozen=True)
class DecodedRecord:
    record: KafkaRecord
    envelope: Envelope


def decode_record(record: KafkaRecord) -> DecodedRecord | DeadLetter:
    if record.value is None:
        return DeadLetter.of(record, DeadLetterReason.DECODE_ERROR, "the record has no value, or it is not base64")
    if holds_nul(record.value):  # Postgres would refuse the whole batch's statement, on every retry
        return DeadLetter.of(record, DeadLetterReason.SCHEMA_INVALID, f"a string {NUL_MESSAGE}")
    try:
        envelope = Envelope.model_validate_json(record.value)
    except ValidationError as exc:
        reason = DeadLetterReason.SCHEMA_INVALID
        first = exc.errors(include_url=False)[0]
        if first["type"] in ("json_invalid", "json_type"):
            reason = DeadLetterReason.DECODE_ERROR
        return DeadLetter.of(record, reason, _describe(exc))
    problem = _refused_downstream(envelope)
    if problem is not None:
        return DeadLetter.of(record, DeadLetterReason.SCHEMA_INVALID, problem)
    return DecodedRecord(record, envelope)


def _refused_downstream(envelope: Envelope) -> str | None:
    """What the schema reads but Postgres, the catalog or the bucketing would refuse on every retry of the
    batch: attribute reads and comparisons of parsed values, no second pass over the JSON."""
    event = envelope.event
    for name, moment in (
        ("occurred_at", envelope.occurred_at),
        ("received_at", envelope.received_at),
        ("event.timestamp", event.timestamp),
        ("event.sent_at", event.sent_at),
    ):
        if moment is not None and abs(moment.utcoffset() or ZERO) > MAX_UTC_OFFSET:  # Postgres: past 15:59
            return f"{name}: UTC offset out of range (at most 14:00 either way)"
    # Python moves these two to UTC (buckets, freshness), which overflows at the ends of its calendar
    if not FIRST_YEAR <= envelope.occurred_at.year <= LAST_YEAR:
        return f"occurred_at: out of range (years {FIRST_YEAR} to {LAST_YEAR})"
    if not FIRST_YEAR <= envelope.received_at.year <= LAST_YEAR:
        return f"received_at: out of range (years {FIRST_YEAR} to {LAST_YEAR})"
    if not 0 < len(event.event_type) <= EVENT_TYPE_MAX_LENGTH:
        return f"event.event_type: must be 1-{EVENT_TYPE_MAX_LENGTH} characters"
    if event.user_id is None and event.anonymous_id is None:  # events_identity_check
        return "event: needs a user_id or an anonymous_id"
    # the user key is in the unique-user primary keys, and btree refuses index rows past 2704 bytes
    for name, identity in (("event.user_id", event.user_id), ("event.anonymous_id", event.anonymous_id)):
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
