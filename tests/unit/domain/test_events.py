"""The event model: which events are valid, and the code, field path and message of each rejection."""

from __future__ import annotations

import re
from typing import Any

import pytest

from customersignal.domain import events as events_module
from customersignal.domain.events import (
    EVENT_TYPE_PATTERN,
    PYDANTIC_ERROR_CODES,
    SYSTEM_EVENT_TYPES,
    EventErrorCode,
    IncomingEvent,
)
from tests.unit.domain.support import event, plan

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("event_type", "valid"),
    [
        pytest.param("Order Completed", True, id="words and a space"),
        pytest.param("a", True, id="one character"),
        pytest.param("7", True, id="starts with a digit"),
        pytest.param("checkout:step_2/payment-v1.0", True, id="every allowed punctuation mark"),
        pytest.param("x" * 128, True, id="128 characters"),
        pytest.param("x" * 129, False, id="129 characters"),
        pytest.param("", False, id="empty"),
        pytest.param(" Signup", False, id="leading space"),
        pytest.param("Signup ", False, id="trailing space"),
        pytest.param("_private", False, id="leading underscore"),
        pytest.param("Signed Up (Web)", False, id="parentheses"),
        pytest.param("Käufe", False, id="non-ASCII letter"),
        pytest.param("tab\there", False, id="tab"),
        pytest.param("$identify", True, id="system type identify"),
        pytest.param("$alias", True, id="system type alias"),
        pytest.param("$pageview", False, id="unknown $ type"),
        pytest.param("$identify ", False, id="system type with trailing space"),
        pytest.param("$", False, id="a lone dollar"),
    ],
)
def test_event_type_rules(event_type: str, valid: bool) -> None:
    # Given an event with this event_type
    # When the request is planned
    result = plan(event(event_type=event_type)).results[0]
    # Then it is accepted exactly when the documented rule allows it
    assert (result.status == "accepted") is valid, result.message
    if not valid:
        assert (result.code, result.field) == (EventErrorCode.INVALID_VALUE, "event_type")


def test_the_documented_pattern_is_the_enforced_one() -> None:
    # Given the module's documentation; Then it shows the very regex the model enforces
    assert EVENT_TYPE_PATTERN in (events_module.__doc__ or "")
    # And the only $ names it admits are the system types
    assert all(re.fullmatch(EVENT_TYPE_PATTERN, name) for name in SYSTEM_EVENT_TYPES)
    assert not re.fullmatch(EVENT_TYPE_PATTERN, "$track")


@pytest.mark.parametrize(
    ("fields", "code", "field", "says"),
    [
        pytest.param({"event_id": None}, "missing_field", "event_id", "event_id is required", id="no event_id"),
        pytest.param({"event_type": None}, "missing_field", "event_type", "event_type is required", id="no type"),
        pytest.param({"event_id": "order-42"}, "invalid_value", "event_id", "must be a UUID", id="not a UUID"),
        pytest.param({"event_id": 42}, "invalid_type", "event_id", "not a number", id="event_id a number"),
        pytest.param(
            {"event_id": "00000000-0000-0000-0000-000000000000"},
            "invalid_value",
            "event_id",
            "nil UUID",
            id="nil UUID",
        ),
        pytest.param({"event_type": 7}, "invalid_type", "event_type", "not a number", id="type a number"),
        pytest.param({"event_type": "$pageview"}, "invalid_value", "event_type", "'$'", id="reserved prefix"),
        pytest.param({"user_id": None}, "missing_identity", "user_id", "user_id or anonymous_id", id="no identity"),
        pytest.param({"user_id": ""}, "invalid_value", "user_id", "1-255 characters", id="empty user_id"),
        pytest.param({"anonymous_id": "a" * 256}, "invalid_value", "anonymous_id", "1-255", id="long anonymous_id"),
        pytest.param({"user_id": 12345}, "invalid_type", "user_id", "not a number", id="numeric user_id"),
        pytest.param(
            {"timestamp": "2024-05-01T12:00:00"},
            "invalid_value",
            "timestamp",
            "no timezone offset",
            id="naive timestamp",
        ),
        pytest.param(
            {"sent_at": "2024-05-01 12:00:00"}, "invalid_value", "sent_at", "no timezone offset", id="naive sent_at"
        ),
        pytest.param({"timestamp": "2024-05-01"}, "invalid_value", "timestamp", "no timezone", id="a date only"),
        pytest.param({"timestamp": "yesterday"}, "invalid_value", "timestamp", "not an ISO 8601", id="not a date"),
        pytest.param({"timestamp": 1714564800}, "invalid_type", "timestamp", "ISO 8601 string", id="unix seconds"),
        pytest.param({"timestamp": "1714564800"}, "invalid_value", "timestamp", "ISO 8601", id="unix in a string"),
        pytest.param({"properties": []}, "invalid_type", "properties", "JSON object, not an array", id="array props"),
        pytest.param({"context": "web"}, "invalid_type", "context", "not a string", id="string context"),
        pytest.param({"extra": 1}, "unknown_field", "extra", "not a field", id="unknown field"),
        pytest.param({"eventType": "x"}, "unknown_field", "eventType", "properties", id="camelCase field"),
    ],
)
def test_rejections_name_code_field_and_reason(fields: dict[str, Any], code: str, field: str, says: str) -> None:
    # Given a single event with one thing wrong
    document = event(**fields)
    # When the request is planned
    result = plan(document).results[0]
    # Then the rejection names the stable code, the field (no prefix: it is a single event) and the reason
    assert result.status == "rejected"
    assert (result.code, result.field) == (code, field)
    assert says in (result.message or "")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"timestamp": "2024-05-01T12:00:00"}, "events[3].timestamp", id="naive timestamp"),
        pytest.param({"event_id": None}, "events[3].event_id", id="missing event_id"),
        pytest.param({"surprise": True}, "events[3].surprise", id="unknown field"),
        pytest.param({"user_id": None}, "events[3].user_id", id="missing identity"),
    ],
)
def test_field_paths_in_a_batch_carry_the_index(fields: dict[str, Any], field: str) -> None:
    # Given a batch whose fourth event has a problem
    events = [event(n) for n in range(5)]
    events[3] = event(3, **fields)
    # When it is planned
    results = plan({"events": events}).results
    # Then only that event is rejected, with the dotted path of the field inside the batch
    assert [r.status for r in results] == ["accepted"] * 3 + ["rejected", "accepted"]
    assert results[3].field == field


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param("2024-05-01T11:59:00Z", id="Z"),
        pytest.param("2024-05-01T13:59:00+02:00", id="offset"),
        pytest.param("2024-05-01T11:59:00.123Z", id="milliseconds"),
        pytest.param("2024-05-01T11:59:00.1234567Z", id="seven fractional digits (.NET)"),
        pytest.param("2024-05-01 11:59:00+00:00", id="space separator"),
        pytest.param("20240501T115900Z", id="basic format"),
    ],
)
def test_iso_8601_timestamps_with_an_offset_are_accepted(timestamp: str) -> None:
    # Given a timestamp in one of the ISO 8601 forms clients send
    # When it is planned
    result = plan(event(timestamp=timestamp)).results[0]
    # Then the event is accepted
    assert result.status == "accepted", result.message


def test_the_first_problem_is_reported_and_the_rest_counted() -> None:
    # Given an event with three problems
    document = {"event_id": "nope", "event_type": "", "user_id": "u", "x": 1}
    # When it is planned
    result = plan(document).results[0]
    # Then the first (in field order) is reported, and the message says there are two more
    assert (result.code, result.field) == ("invalid_value", "event_id")
    assert (result.message or "").endswith("(2 more problems in this event)")


def test_every_mapped_code_is_a_documented_code() -> None:
    # Given the pydantic error table; Then it only produces codes of the documented set
    assert set(PYDANTIC_ERROR_CODES.values()) <= set(EventErrorCode)


def test_an_incoming_event_is_an_enveloped_event_with_defaults() -> None:
    # Given the smallest valid event
    # When it is validated on its own
    validated = IncomingEvent.model_validate({"event_id": event(0)["event_id"], "event_type": "x", "anonymous_id": "a"})
    # Then properties and context default to empty objects, and times to None
    assert (validated.properties, validated.context, validated.timestamp, validated.sent_at) == ({}, {}, None, None)
