"""Property tests of event parsing and time correction: any body, any clocks.

A body is either refused whole with a DomainError (mapped to a 4xx) or judged event by event, never an
unexpected exception; every accepted event's envelope serialises and reads back; and the corrected time does
not depend on the client's clock offset when both ``timestamp`` and ``sent_at`` are sent.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customersignal.domain.auth import Principal, Scope
from customersignal.domain.envelope import Envelope
from customersignal.domain.errors import DomainError
from customersignal.domain.ingest import plan_ingest
from customersignal.domain.timecorrect import LATE_AFTER, MAX_FUTURE_SKEW, correct_time

pytestmark = pytest.mark.unit

PRINCIPAL = Principal(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), frozenset({Scope.INGEST}), 1000.0, 2000)
RECEIVED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
OFFSETS = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
moments = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.sampled_from(OFFSETS))
# the whole calendar: schemathesis found a timestamp in year 522 with a sent_at in 8266 overflowing the
# correction (a 500); these keep every year in play
# (and any offset ISO 8601 allows, up to 23:59: past 14:00 the event is refused, as Postgres refuses past 15:59)
any_offsets = st.builds(
    timezone,
    st.timedeltas(timedelta(hours=-23, minutes=-59), timedelta(hours=23, minutes=59)).map(
        lambda d: timedelta(minutes=int(d.total_seconds() // 60))
    ),
)
any_moments = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=any_offsets)
# Postgres cannot store NUL, so the API refuses it (domain/nul_text.py): valid events leave it out
# (and lone surrogates are not Unicode text: JSON carrying one is refused whole as malformed)
storable = st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=20)
storable_values = storable | st.integers(-(2**53), 2**53) | st.booleans()
event_types = st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True)


def valid_event(draw: st.DrawFn) -> dict[str, object]:
    event: dict[str, object] = {
        "event_id": str(draw(st.uuids(version=4))),
        "event_type": draw(event_types),
        "user_id": draw(storable.filter(str.strip)),
        "properties": draw(
            st.dictionaries(storable.filter(bool), storable | st.integers() | st.booleans(), max_size=5)
        ),
    }
    if draw(st.booleans()):
        event["timestamp"] = (RECEIVED - draw(st.timedeltas(timedelta(0), timedelta(days=30)))).isoformat()
    return event


@given(st.one_of(json_values, st.dictionaries(st.sampled_from(["events", "event_id", "x"]), json_values)))
@settings(max_examples=500, deadline=None)
def test_any_json_body_is_refused_whole_or_judged_event_by_event(document: object) -> None:
    body = json.dumps(document).encode()
    try:
        plan = plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED, trace_id=TRACE_ID)
    except DomainError as refused:
        code = refused.code  # a machine-readable code for the whole request
        assert code
        return
    assert len(plan.envelopes) == sum(r.status == "accepted" for r in plan.results)
    assert [r.index for r in plan.results] == list(range(len(plan.results)))
    for result in plan.results:
        assert (result.status == "rejected") == (result.code is not None)


@given(st.binary(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_bytes_are_refused_or_judged_never_an_unexpected_error(body: bytes) -> None:
    with contextlib.suppress(DomainError):
        plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED, trace_id=TRACE_ID)


@given(st.lists(st.composite(lambda draw: valid_event(draw))(), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_valid_events_are_all_accepted_and_their_envelopes_read_back(events: list[dict[str, object]]) -> None:
    body = json.dumps({"events": events}).encode()
    plan = plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED, trace_id=TRACE_ID)
    distinct = len({e["event_id"] for e in events})
    assert plan.accepted == distinct  # a repeated id in one request is accepted once
    for envelope in plan.envelopes:
        value = envelope.kafka_value()
        again = Envelope.model_validate_json(value)  # what the aggregator reads
        assert again.kafka_value() == value  # the same bytes: nothing lost or reshaped on the way
        assert again.model_dump() == envelope.model_dump()
        assert again.tenant_id == PRINCIPAL.tenant_id


@given(moments, moments, st.timedeltas(timedelta(days=-3650), timedelta(days=3650)))
@settings(max_examples=500, deadline=None)
def test_corrected_time_ignores_the_client_clock_offset(
    timestamp: datetime, sent_at: datetime, offset: timedelta
) -> None:
    plain = correct_time(received_at=RECEIVED, timestamp=timestamp, sent_at=sent_at)
    skewed = correct_time(received_at=RECEIVED, timestamp=timestamp + offset, sent_at=sent_at + offset)
    assert skewed.occurred_at == plain.occurred_at
    assert plain.occurred_at.tzinfo is UTC
    assert plain.occurred_at == RECEIVED - (sent_at - timestamp)


@given(st.one_of(st.none(), moments), st.one_of(st.none(), moments))
@settings(max_examples=500, deadline=None)
def test_corrected_time_classification(timestamp: datetime | None, sent_at: datetime | None) -> None:
    result = correct_time(received_at=RECEIVED, timestamp=timestamp, sent_at=sent_at)
    if timestamp is None:
        assert result.occurred_at == RECEIVED
    elif sent_at is None:
        assert result.occurred_at == timestamp
    ahead = result.occurred_at - RECEIVED
    assert (result.ahead_by is not None) == (ahead > MAX_FUTURE_SKEW)
    assert result.is_late == (-ahead > LATE_AFTER)


@given(any_moments, any_moments)
@settings(max_examples=500, deadline=None)
def test_any_timestamp_and_sent_at_are_judged_never_an_error(timestamp: datetime, sent_at: datetime) -> None:
    event = {"event_id": str(uuid.uuid4()), "event_type": "signup", "user_id": "u1"}
    event |= {"timestamp": timestamp.isoformat(), "sent_at": sent_at.isoformat()}
    plan = plan_ingest(json.dumps(event).encode(), principal=PRINCIPAL, received_at=RECEIVED, trace_id=TRACE_ID)
    [result] = plan.results
    corrected = correct_time(received_at=RECEIVED, timestamp=timestamp, sent_at=sent_at)
    offsets_ok = all(abs(m.utcoffset() or timedelta(0)) <= timedelta(hours=14) for m in (timestamp, sent_at))
    if not offsets_ok:
        assert (result.status, result.code) == ("rejected", "invalid_value")
        assert result.field in ("timestamp", "sent_at")
    elif corrected.out_of_range:
        assert (result.status, result.code, result.field) == ("rejected", "invalid_value", "timestamp")
    else:
        assert result.status == "accepted" or result.code == "timestamp_in_future"


@given(st.composite(lambda draw: valid_event(draw))(), st.sampled_from(["user_id", "properties", "context"]))
@settings(max_examples=200, deadline=None)
def test_a_nul_anywhere_is_refused_for_that_event_and_names_the_field(event: dict[str, object], where: str) -> None:
    event = {**event, where: "a\x00b" if where == "user_id" else {"k": ["x", "\x00"]}}
    plan = plan_ingest(json.dumps(event).encode(), principal=PRINCIPAL, received_at=RECEIVED, trace_id=TRACE_ID)
    [result] = plan.results
    assert (result.status, result.code, result.field) == ("rejected", "invalid_value", where)
    assert plan.envelopes == []
