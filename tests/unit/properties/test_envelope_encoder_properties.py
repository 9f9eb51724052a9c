"""EnvelopeEncoder writes exactly the bytes of kafka_value() and kafka_key(), whatever the envelopes: one
request's (sharing tenant, project, receive time and trace) or a mix of several."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customersignal.domain.envelope import Envelope, EnvelopedEvent, EnvelopeEncoder

pytestmark = pytest.mark.unit

offsets = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
moments = st.datetimes(datetime(1, 1, 2), datetime(9998, 12, 30), timezones=offsets)  # microseconds 0 included
awkward = st.text(max_size=12) | st.sampled_from([',"event":', '"}', "\\u0000x", "é", "\u2028"])
values = awkward | st.integers() | st.floats(allow_nan=False) | st.booleans()
events = st.builds(
    EnvelopedEvent,
    event_id=st.uuids(),
    event_type=awkward.filter(bool),
    user_id=st.none() | awkward,
    timestamp=st.none() | moments,
    properties=st.dictionaries(awkward, values, max_size=3),
)


@st.composite
def one_request(draw: st.DrawFn) -> list[Envelope]:
    tenant, project, received = draw(st.uuids()), draw(st.uuids()), draw(moments)
    trace = draw(st.text("0123456789abcdef", min_size=32, max_size=32))
    return [
        Envelope(
            tenant_id=tenant,
            project_id=project,
            received_at=received,
            occurred_at=draw(moments),
            is_late=draw(st.booleans()),
            trace_id=trace,
            event=draw(events),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]


@given(st.lists(one_request(), min_size=1, max_size=3), st.sampled_from([1, 3]))
@settings(max_examples=300, deadline=None)
def test_records_are_kafka_value_and_kafka_key_byte_for_byte(requests: list[list[Envelope]], spread: int) -> None:
    # requests one after another, then the same envelopes interleaved (nothing shared from one to the next)
    in_order = [envelope for request in requests for envelope in request]
    interleaved = [envelope for group in zip(*requests, strict=False) for envelope in group]
    for envelopes in (in_order, interleaved):
        encoder = EnvelopeEncoder()
        for envelope in envelopes:
            assert encoder.record(envelope, spread) == (envelope.kafka_value(), envelope.kafka_key(spread))


def test_a_request_built_from_one_principal_shares_its_fields() -> None:
    # the plan builds every envelope of a request from the same objects: the encoder serialises them once
    now, tenant, project = datetime.now(UTC), uuid.uuid4(), uuid.uuid4()
    envelopes = [
        Envelope(
            tenant_id=tenant,
            project_id=project,
            received_at=now,
            occurred_at=now - timedelta(seconds=n),
            trace_id="ab" * 16,
            event=EnvelopedEvent(event_id=uuid.uuid4(), event_type="signup"),
        )
        for n in range(3)
    ]
    encoder = EnvelopeEncoder()
    assert [encoder.record(e) for e in envelopes] == [(e.kafka_value(), e.kafka_key()) for e in envelopes]
    assert all(e.tenant_id is tenant and e.received_at is now for e in envelopes)
