"""Kafka record → envelope, or the reason it is a dead letter. Pure: no lookups, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from customersignal.domain.deadletters import DeadLetter, DeadLetterReason
from customersignal.domain.envelope import Envelope
from customersignal.domain.events import MAX_UTC_OFFSET
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.nul_text import NUL_MESSAGE, holds_nul


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
    for name, moment in (("timestamp", envelope.event.timestamp), ("sent_at", envelope.event.sent_at)):
        offset = None if moment is None else moment.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:  # Postgres refuses past 15:59: the batch would fail
            return DeadLetter.of(record, DeadLetterReason.SCHEMA_INVALID, f"event.{name}: UTC offset out of range")
    return DecodedRecord(record, envelope)


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        location = ".".join(str(part) for part in error["loc"]) or "(value)"
        parts.append(f"{location}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
