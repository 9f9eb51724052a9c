"""plan_ingest: request shapes and limits, per-event verdicts, duplicates, and the envelopes to produce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from customersignal.domain.errors import DomainError, MalformedRequest, PayloadTooLarge
from customersignal.domain.events import MAX_EVENT_BYTES, MAX_EVENTS_PER_REQUEST, MAX_REQUEST_BYTES
from customersignal.domain.ingest import IngestLimits, plan_ingest
from tests.unit.domain.support import PRINCIPAL, RECEIVED_AT, TRACE_ID, encode, event, event_id, plan

pytestmark = pytest.mark.unit


def _ingest(body: bytes) -> None:
    plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED_AT, trace_id=TRACE_ID)


def _padded(document: object, size: int) -> bytes:
    """``document`` as JSON, padded with whitespace to exactly ``size`` bytes."""
    body = encode(document)
    return body + b" " * (size - len(body))


def _event_of_size(n: int, size: int) -> dict[str, Any]:
    """An event whose compact JSON encoding is exactly ``size`` bytes."""
    document = event(n, properties={"pad": ""})
    document["properties"]["pad"] = "x" * (size - len(orjson.dumps(document)))
    assert len(orjson.dumps(document)) == size
    return document


@pytest.mark.parametrize(
    ("body", "error", "code", "field"),
    [
        pytest.param(b"{", MalformedRequest, "malformed_json", None, id="truncated JSON"),
        pytest.param(b"", MalformedRequest, "malformed_json", None, id="empty body"),
        pytest.param(b'{"event_type": "\xff"}', MalformedRequest, "malformed_json", None, id="not UTF-8"),
        pytest.param(b"[]", MalformedRequest, "invalid_body", None, id="a bare array"),
        pytest.param(b'"Signup"', MalformedRequest, "invalid_body", None, id="a string"),
        pytest.param(b"null", MalformedRequest, "invalid_body", None, id="null"),
        pytest.param(b'{"events": []}', MalformedRequest, "invalid_body", "events", id="no events"),
        pytest.param(b'{"events": {}}', MalformedRequest, "invalid_body", "events", id="events not an array"),
        pytest.param(b'{"events": null}', MalformedRequest, "invalid_body", "events", id="events null"),
        pytest.param(
            encode({"events": [event()], "sent_at": "2024-05-01T12:00:00Z"}),
            MalformedRequest,
            "invalid_body",
            "sent_at",
            id="a batch with another key",
        ),
        pytest.param(
            encode({"events": [event(n) for n in range(MAX_EVENTS_PER_REQUEST + 1)]}),
            PayloadTooLarge,
            "too_many_events",
            "events",
            id="501 events",
        ),
        pytest.param(
            _padded({"events": [event()]}, MAX_REQUEST_BYTES + 1),
            PayloadTooLarge,
            "request_too_large",
            None,
            id="1 MB + 1 byte",
        ),
    ],
)
def test_whole_request_errors(body: bytes, error: type[DomainError], code: str, field: str | None) -> None:
    # Given a body that can't be taken as a whole
    # When it is planned
    with pytest.raises(error) as raised:
        _ingest(body)
    # Then the request fails with the documented class, code and field, and a message for people
    assert (type(raised.value), raised.value.code, raised.value.field) == (error, code, field)
    assert raised.value.message


def test_exactly_500_events_in_exactly_1_mb_are_all_accepted() -> None:
    # Given 500 distinct valid events in a body of exactly 1,048,576 bytes
    body = _padded({"events": [event(n) for n in range(MAX_EVENTS_PER_REQUEST)]}, MAX_REQUEST_BYTES)
    # When it is planned
    result = plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED_AT, trace_id=TRACE_ID)
    # Then every event is accepted, in order
    assert (result.accepted, result.rejected) == (500, 0)
    assert [r.index for r in result.results] == list(range(500))


@pytest.mark.parametrize(
    ("size", "status"),
    [
        pytest.param(MAX_EVENT_BYTES - 1, "accepted", id="32 KB - 1"),
        pytest.param(MAX_EVENT_BYTES, "accepted", id="exactly 32 KB"),
        pytest.param(MAX_EVENT_BYTES + 1, "rejected", id="32 KB + 1"),
    ],
)
def test_the_32_kb_event_limit(size: int, status: str) -> None:
    # Given a batch with an event of this compact size between two small ones
    events = [event(0), _event_of_size(1, size), event(2)]
    # When it is planned
    results = plan({"events": events}).results
    # Then only the size decides the middle event's fate; its neighbours are accepted
    assert [r.status for r in results] == ["accepted", status, "accepted"]
    if status == "rejected":
        assert (results[1].code, results[1].field, results[1].event_id) == ("event_too_large", "events[1]", event_id(1))


def test_the_size_is_measured_compactly_not_as_sent() -> None:
    # Given an event at exactly 32 KB compact, sent with lots of whitespace
    body = encode(_event_of_size(0, MAX_EVENT_BYTES)).replace(b",", b" ,  ")
    # When it is planned
    result = plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED_AT, trace_id=TRACE_ID)
    # Then the whitespace doesn't count
    assert result.results[0].status == "accepted"


def test_an_event_nested_too_deeply_to_encode_is_rejected() -> None:
    # Given an event whose properties nest 300 arrays deep (legal JSON, but encoders stop at ~254 levels)
    body = b'{"event_id": "%s", "event_type": "x", "user_id": "u", "properties": {"deep": %s}}' % (
        event_id(0).encode(),
        b"[" * 300 + b"]" * 300,
    )
    # When it is planned
    result = plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED_AT, trace_id=TRACE_ID).results[0]
    # Then it is rejected on its own, instead of failing later when the envelope is serialised for Kafka
    assert (result.code, result.field) == ("event_too_large", None)
    assert "nested too deeply" in (result.message or "")


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        pytest.param(3, "a number", id="number"),
        pytest.param("Signup", "a string", id="string"),
        pytest.param([event()], "an array", id="array"),
        pytest.param(None, "null", id="null"),
    ],
)
def test_an_item_that_is_not_an_object(item: object, kind: str) -> None:
    # Given a batch whose second item is not an object
    # When it is planned
    results = plan({"events": [event(0), item, event(2)]}).results
    # Then that item alone is rejected as not_an_object, at its index
    assert [r.status for r in results] == ["accepted", "rejected", "accepted"]
    assert (results[1].code, results[1].field, results[1].event_id) == ("not_an_object", "events[1]", None)
    assert kind in (results[1].message or "")


def test_a_repeated_event_id_is_a_duplicate_of_the_accepted_one() -> None:
    # Given three events where the third repeats the first one's id (in upper case: the same UUID)
    events = [event(0), event(1), event(2, event_id=event_id(0).upper())]
    # When the batch is planned
    result = plan({"events": events})
    # Then the first is accepted and produced, the repeat rejected with a message saying the first got in
    third = result.results[2]
    assert (third.status, third.code, third.field, third.event_id) == (
        "rejected",
        "duplicate_event_id",
        "events[2].event_id",
        event_id(0),
    )
    assert "accepted" in (third.message or "")
    assert [str(e.event.event_id) for e in result.envelopes] == [event_id(0), event_id(1)]


def test_a_repeat_of_a_rejected_event_gets_its_own_chance() -> None:
    # Given an invalid event, then a corrected one with the same id
    events = [event(0, user_id=None), event(0)]
    # When the batch is planned
    results = plan({"events": events}).results
    # Then the first is rejected for its own reason and the second accepted: it is not a duplicate
    assert [(r.status, r.code) for r in results] == [("rejected", "missing_identity"), ("accepted", None)]


def test_a_future_event_is_rejected_and_a_late_one_flagged() -> None:
    # Given one event 2 h in the future and one 8 days old
    future = (RECEIVED_AT + timedelta(hours=2)).isoformat()
    old = (RECEIVED_AT - timedelta(days=8)).isoformat()
    # When the batch is planned
    result = plan({"events": [event(0, timestamp=future), event(1, timestamp=old)]})
    # Then the future one is rejected with its own code and the late one accepted and flagged
    first, second = result.results
    assert (first.code, first.field, first.event_id) == ("timestamp_in_future", "events[0].timestamp", event_id(0))
    assert "120 min" in (first.message or "")
    assert (second.status, second.is_late) == ("accepted", True)
    assert result.envelopes[0].is_late


def test_the_envelope_carries_the_principal_the_times_and_the_trace() -> None:
    # Given an event sent by a client whose clock is 2 h behind
    document = event(
        0,
        anonymous_id="anon-1",
        timestamp="2024-05-01T09:55:00Z",
        sent_at="2024-05-01T10:00:00Z",
        properties={"revenue": 12.5},
        context={"ip": "192.0.2.1"},
    )
    # When it is planned
    envelope = plan(document).envelopes[0]
    # Then the envelope is what Kafka gets: tenant and project from the key, corrected time, our trace id
    assert envelope.model_dump(mode="json") == {
        "v": 1,
        "tenant_id": str(PRINCIPAL.tenant_id),
        "project_id": str(PRINCIPAL.project_id),
        "received_at": "2024-05-01T12:00:00Z",
        "occurred_at": "2024-05-01T11:55:00Z",
        "is_late": False,
        "trace_id": TRACE_ID,
        "event": {
            "event_id": event_id(0),
            "event_type": "Order Completed",
            "user_id": "user-1",
            "anonymous_id": "anon-1",
            "timestamp": "2024-05-01T09:55:00Z",
            "sent_at": "2024-05-01T10:00:00Z",
            "properties": {"revenue": 12.5},
            "context": {"ip": "192.0.2.1"},
        },
    }
    assert orjson.loads(envelope.kafka_value()) == envelope.model_dump(mode="json")


def test_a_mixed_batch_keeps_request_order() -> None:
    # Given valid and invalid events interleaved
    events = [event(0), event(1, event_type=""), event(2), {"nope": True}, event(4)]
    # When it is planned
    result = plan({"events": events})
    # Then results follow the request order, and envelopes hold the accepted ones in the same order
    assert [(r.index, r.status) for r in result.results] == [
        (0, "accepted"),
        (1, "rejected"),
        (2, "accepted"),
        (3, "rejected"),
        (4, "accepted"),
    ]
    assert [str(e.event.event_id) for e in result.envelopes] == [event_id(0), event_id(2), event_id(4)]
    assert (result.accepted, result.rejected) == (3, 2)


def test_limits_can_be_tightened() -> None:
    # Given limits of 2 events and 200 bytes per event
    limits = IngestLimits(max_events=2, max_event_bytes=200)
    # When 3 events are sent, Then the count limit applies
    with pytest.raises(PayloadTooLarge, match="limit is 2"):
        plan({"events": [event(n) for n in range(3)]}, limits)
    # And a 201-byte event is too large under these limits
    assert plan(_event_of_size(0, 201), limits).results[0].code == "event_too_large"


@pytest.mark.parametrize(
    ("received_at", "trace_id"),
    [
        pytest.param(datetime(2024, 5, 1, 12), TRACE_ID, id="naive received_at"),
        pytest.param(RECEIVED_AT, "not-a-trace-id", id="bad trace id"),
        pytest.param(RECEIVED_AT, TRACE_ID.upper(), id="upper-case trace id"),
    ],
)
def test_bad_server_inputs_are_programming_errors(received_at: datetime, trace_id: str) -> None:
    # Given a server-side input that the caller must get right; When planning; Then it fails loudly
    with pytest.raises(ValueError, match=r"received_at|trace_id"):
        plan_ingest(encode(event()), principal=PRINCIPAL, received_at=received_at, trace_id=trace_id)


def test_a_received_at_in_another_zone_still_gives_utc_occurred_at() -> None:
    # Given the server time expressed with an offset
    local = RECEIVED_AT.astimezone(timezone(timedelta(hours=2)))
    # When an event without timestamp is planned
    envelope = plan_ingest(encode(event()), principal=PRINCIPAL, received_at=local, trace_id=TRACE_ID).envelopes[0]
    # Then occurred_at is that instant, in UTC
    assert envelope.occurred_at == RECEIVED_AT
    assert envelope.occurred_at.tzinfo is UTC
