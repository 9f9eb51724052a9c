"""The aggregator's fast decoding path accepts a strict subset of what the pydantic envelope accepts, and
gives the same row: whatever it takes, pydantic would have taken with the same values."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from customersignal.domain.envelope import Envelope
from customersignal.domain.event_row import EventRow
from customersignal.domain.record_decoding import row_of
from customersignal.domain.record_fast_path import fast_row
from tests.unit.domain.test_record_decoding_postgres import TENANT, raw_envelope

pytestmark = pytest.mark.unit


def same_row(fast: EventRow, slow: EventRow | None) -> bool:
    """Equal values; the COPY text of the times and the JSON may differ in form only (Z or +00:00, trailing
    zeros, 6.1e-5 or 6.1e-05): Postgres reads the same values from both."""
    assert slow is not None
    times = [(None if t == "\\N" else datetime.fromisoformat(t)) for t in fast.copy_times.split("\t")]
    slow_times = [(None if t == "\\N" else datetime.fromisoformat(t)) for t in slow.copy_times.split("\t")]
    assert [t and t.utcoffset() for t in times] == [t and t.utcoffset() for t in slow_times]
    for name in ("properties_json", "context_json"):
        assert json.loads(getattr(fast, name)) == json.loads(getattr(slow, name))

    def blank(row: EventRow) -> EventRow:
        return row._replace(copy_times="", properties_json="", context_json="")

    return blank(fast) == blank(slow) and times == slow_times


def slow_row(value: bytes) -> EventRow | None:
    try:
        return row_of(Envelope.model_validate_json(value))
    except (ValidationError, ValueError):
        return None


def test_what_the_api_produces_takes_the_fast_path_with_the_same_row() -> None:
    value = raw_envelope(
        event__properties={"plan": "pro", "n": 3, "x": 1.5, "tags": ["a"], "q": 'say "hi"\\ \n'},
        event__context={"ip": "10.0.0.1"},
        event__timestamp="2026-12-07T09:59:58.123456Z",
        event__sent_at="2026-12-07T09:59:59.5-05:30",
    )
    row = fast_row(value)
    assert row is not None
    assert same_row(row, slow_row(value))
    assert orjson.loads(row.properties_json)["q"] == 'say "hi"\\ \n'


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"event__properties": {"big": 10**30}}, id="an integer past 64 bits (orjson reads a float)"),
        pytest.param({"event__properties": {"s": "a\u0000b"}}, id="a NUL escape"),
        pytest.param({"tenant_id": TENANT.upper()}, id="an upper-case UUID"),
        pytest.param({"tenant_id": TENANT.replace("-", "")}, id="a UUID without dashes"),
        pytest.param({"occurred_at": "2026-12-07 10:00:00+00:00"}, id="a space for the T"),
        pytest.param({"occurred_at": "2026-12-07T10:00:00.1234567Z"}, id="seven fraction digits"),
        pytest.param({"occurred_at": "2026-13-07T10:00:00Z"}, id="month 13"),
        pytest.param({"occurred_at": 1765100000}, id="unix time"),
        pytest.param({"v": True}, id="v as a boolean"),
        pytest.param({"is_late": 1}, id="is_late as a number"),
        pytest.param({"surprise": 1}, id="an unknown field"),
        pytest.param({"event__surprise": 1}, id="an unknown event field"),
        pytest.param({"trace_id": "A" * 32}, id="an upper-case trace id"),
        pytest.param({"event__properties": []}, id="properties as a list"),
        pytest.param({"event__user_id": 7}, id="a numeric user id"),
    ],
)
def test_anything_unusual_is_left_to_pydantic(changes: dict[str, Any]) -> None:
    assert fast_row(raw_envelope(**changes)) is None


def test_a_large_integer_is_kept_exactly_by_the_slow_path() -> None:
    row = slow_row(raw_envelope(event__properties={"big": 10**30}))
    assert row is not None
    assert row.properties_json == '{"big":1000000000000000000000000000000}'


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity"])
def test_numbers_pydantic_reads_but_jsonb_cannot_hold_are_refused(number: bytes) -> None:
    value = raw_envelope(event__properties={"x": 0}).replace(b'{"x":0}', b'{"x":' + number + b"}")
    assert fast_row(value) is None
    with pytest.raises(ValueError, match=r"event.properties: .*\(JSON has no NaN or Infinity\)"):
        row_of(Envelope.model_validate_json(value))


_TIMES = st.one_of(
    st.sampled_from(
        [
            "2026-12-07T10:00:00Z",
            "2026-12-07T10:00:00.5+01:00",
            "2026-12-07T10:00:00-14:00",
            "2026-12-07T10:00:00+15:30",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "2026-12-07T24:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-12-07 10:00:00Z",
            "2026-12-07T10:00Z",
            "2026-12-07T10:00:00",
            "2026-12-07T10:00:00+0100",
        ]
    ),
    st.integers(min_value=0, max_value=2**40),
    st.none(),
)
_IDS = st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.text(max_size=40), st.integers())
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "tenant_id": _IDS,
            "occurred_at": _TIMES,
            "received_at": _TIMES,
            "is_late": st.one_of(st.booleans(), st.integers(0, 1)),
            "v": st.one_of(st.just(1), st.just(2), st.booleans()),
            "event__event_id": _IDS,
            "event__event_type": st.one_of(st.text(max_size=5), st.integers()),
            "event__user_id": st.one_of(st.none(), st.text(max_size=5), st.integers()),
            "event__anonymous_id": st.one_of(st.none(), st.text(max_size=5)),
            "event__timestamp": _TIMES,
            "event__properties": st.dictionaries(st.text(max_size=5), _VALUES, max_size=4),
            "event__context": st.one_of(st.dictionaries(st.text(max_size=5), _VALUES, max_size=2), st.lists(_VALUES)),
        },
    )
)
def test_the_fast_path_accepts_nothing_pydantic_refuses_and_agrees_on_values(changes: dict[str, Any]) -> None:
    value = raw_envelope(**changes)
    fast = fast_row(value)
    if fast is not None:
        assert same_row(fast, slow_row(value))
