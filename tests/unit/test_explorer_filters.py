"""Explorer filters and cursors: defaults, property values, and cursors that refuse to be forged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from customersignal.domain.errors import MalformedRequest
from customersignal.domain.explorer import (
    decode_event_cursor,
    event_cursor,
    letter_cursor,
    parse_event_filter,
    parse_letter_filter,
)
from customersignal.domain.query_params import QueryParams

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def test_the_default_range_is_the_last_day_and_the_next_hour() -> None:
    where, limit = parse_event_filter(QueryParams({}), NOW)
    assert (where.start, where.end, limit) == (NOW - timedelta(days=1), NOW + timedelta(hours=1), 50)
    assert (where.event_types, where.user_id, where.property_match, where.after) == ((), None, None, None)


@pytest.mark.parametrize(("value", "match"), [("42", 42), ("true", True), ('"42"', "42"), ("pro", "pro")])
def test_a_property_value_is_json_when_it_parses(value: str, match: object) -> None:
    where, _ = parse_event_filter(QueryParams({"property": "plan", "value": value}), NOW)
    assert where.property_match == {"plan": match}


def test_cursors_round_trip_and_forgeries_are_400s() -> None:
    event_id = uuid.uuid4()
    moment = NOW - timedelta(microseconds=5)
    assert decode_event_cursor(event_cursor(moment, event_id)) == (moment, event_id)
    where, _ = parse_letter_filter(QueryParams({"cursor": letter_cursor(17), "status": "all"}))
    assert (where.after_id, where.status) == (17, None)
    for forged in ("abc", letter_cursor(3), "eyJhdCI6MX0"):
        with pytest.raises(MalformedRequest) as refused:
            parse_event_filter(QueryParams({"cursor": forged}), NOW)
        assert refused.value.field == "cursor"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"from": "0001-01-01T00:00:00+00:59"}, "invalid_from"),  # before year 1 once in UTC (found by fuzzing)
        ({"from": "9999-12-31T23:59:59Z"}, "invalid_from"),
        ({"reason": "bad\x00reason"}, "invalid_reason"),  # Postgres refuses NUL (found by fuzzing)
    ],
)
def test_query_values_postgres_or_datetime_cannot_take_are_400s(raw: dict[str, str], code: str) -> None:
    params = QueryParams(raw)
    with pytest.raises(MalformedRequest) as refused:
        params.timestamp("from") if "from" in raw else params.text("reason")
    assert refused.value.code == code
