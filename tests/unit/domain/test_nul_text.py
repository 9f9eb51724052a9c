"""NUL characters: found wherever JSON can carry them, never mistaken for an escaped backslash."""

from __future__ import annotations

import json

import orjson
import pytest

from customersignal.domain.deadletters import DeadLetter, DeadLetterReason
from customersignal.domain.ingest import plan_ingest
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.nul_text import field_with_nul, holds_nul
from customersignal.domain.record_decoding import decode_record
from tests.unit.properties.test_ingest_properties import PRINCIPAL, RECEIVED, TRACE_ID

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"a": "x\x00y"}, True),
        ({"x\x00": 1}, True),  # in a key
        ({"a": ["ok", {"deep": "\x00"}]}, True),
        ({"a": "\\u0000"}, False),  # a backslash, then the text u0000: storable
        ({"a": "\\\x00"}, True),  # a backslash, then a NUL
        ({"a": "plain"}, False),
    ],
)
def test_holds_nul(document: dict[str, object], expected: bool) -> None:
    assert holds_nul(orjson.dumps(document)) is expected
    assert holds_nul(json.dumps(document).encode()) is expected  # the stdlib escapes the same way


def test_the_field_named_is_the_top_level_one_holding_it() -> None:
    assert field_with_nul({"user_id": "u", "properties": {"a": {"b": "\x00"}}}) == "properties"
    assert field_with_nul({"clean": 1}) is None


def test_an_event_with_a_nul_is_rejected_alone_naming_its_field() -> None:
    clean = {"event_id": "5f0c1e0b-1f3e-4a7e-9a57-5f9b8f3b2f11", "event_type": "a", "user_id": "u"}
    dirty = {**clean, "event_id": "5f0c1e0b-1f3e-4a7e-9a57-5f9b8f3b2f12", "properties": {"p": "\x00"}}
    body = json.dumps({"events": [clean, dirty]}).encode()
    plan = plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED, trace_id=TRACE_ID)
    assert [(r.status, r.code, r.field) for r in plan.results] == [
        ("accepted", None, None),
        ("rejected", "invalid_value", "events[1].properties"),
    ]


def test_a_record_with_a_nul_is_a_dead_letter_not_a_failed_batch() -> None:
    value = json.dumps({"v": 1, "event": {"user_id": "u\x00"}}).encode()
    letter = decode_record(KafkaRecord("events_raw", 0, 7, 0, b"k", value, ()))
    assert isinstance(letter, DeadLetter)
    assert letter.reason is DeadLetterReason.SCHEMA_INVALID
    assert "NUL" in letter.error


@pytest.mark.parametrize(
    ("offset", "accepted"), [("+14:00", True), ("-12:00", True), ("+21:35", False), ("-15:00", False)]
)
def test_utc_offsets_outside_real_zones_are_refused_per_event(offset: str, accepted: bool) -> None:
    # Postgres refuses offsets past 15:59: accepted, such a time would fail its aggregator batch on every retry
    event = {"event_id": "5f0c1e0b-1f3e-4a7e-9a57-5f9b8f3b2f13", "event_type": "a", "user_id": "u"}
    event["timestamp"] = f"2026-11-26T09:32:38{offset}"
    plan = plan_ingest(json.dumps(event).encode(), principal=PRINCIPAL, received_at=RECEIVED, trace_id=TRACE_ID)
    [result] = plan.results
    if accepted:
        assert result.status == "accepted", result
    else:
        assert (result.status, result.code, result.field) == ("rejected", "invalid_value", "timestamp")


def test_a_record_with_an_impossible_utc_offset_is_a_dead_letter() -> None:
    ids = ["5f0c1e0b-1f3e-4a7e-9a57-5f9b8f3b2f1" + str(n) for n in range(3)]
    event = {"event_id": ids[2], "event_type": "a", "user_id": "u", "timestamp": "0127-02-28T09:32:38+21:35"}
    envelope = {"v": 1, "tenant_id": ids[0], "project_id": ids[1], "received_at": "2026-11-27T12:00:00Z"}
    envelope |= {"occurred_at": "2026-11-27T12:00:00Z", "trace_id": "0" * 32, "event": event}
    letter = decode_record(KafkaRecord("events_raw", 0, 8, 0, b"k", json.dumps(envelope).encode(), ()))
    assert isinstance(letter, DeadLetter)
    assert letter.reason is DeadLetterReason.SCHEMA_INVALID
    assert "event.timestamp" in letter.error
