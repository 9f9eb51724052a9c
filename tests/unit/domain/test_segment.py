"""Segment-compatible endpoints: mapping of every call type and of batches, field paths in Segment's names,
derived event ids, and the answer Segment SDKs get."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import orjson
import pytest

from customersignal.domain.errors import DomainError, MalformedRequest, PayloadTooLarge
from customersignal.domain.ingest import IngestPlan
from customersignal.domain.segment import (
    MESSAGE_ID_NAMESPACE,
    MESSAGE_MODELS,
    SEGMENT_IGNORED_FIELDS,
    MessageType,
    SegmentCall,
    event_id_for,
    plan_segment,
    segment_response_body,
    segment_response_status,
)
from tests.unit.domain.support import PRINCIPAL, RECEIVED_AT, TRACE_ID, encode

pytestmark = pytest.mark.unit

MID = "ajs-next-1700000000000-6a3f1c2e-5b7d-4e8f-9a01-23456789abcd"
MID_UUID = "2608bacc-08ca-599e-bd1d-dafaa0cc28c8"  # uuid5(MESSAGE_ID_NAMESPACE, MID): pinned, so it can't drift
UUID_MID = "6f1e0c8e-3a0b-4d5e-9f7a-1b2c3d4e5f60"


def segment(call: SegmentCall, document: object) -> IngestPlan:
    return plan_segment(encode(document), call=call, principal=PRINCIPAL, received_at=RECEIVED_AT, trace_id=TRACE_ID)


def message(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"messageId": MID, "userId": "user-1"}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


@pytest.mark.parametrize(
    ("call", "fields", "event_type", "properties"),
    [
        pytest.param(
            "track",
            {"event": "Order Completed", "properties": {"revenue": 12.5}},
            "Order Completed",
            {"revenue": 12.5},
            id="track: event is the type",
        ),
        pytest.param(
            "identify", {"traits": {"email": "a@example.com"}}, "$identify", {"email": "a@example.com"}, id="identify"
        ),
        pytest.param(
            "page",
            {"name": "Pricing", "category": "Docs", "properties": {"url": "/pricing"}},
            "$page",
            {"url": "/pricing", "name": "Pricing", "category": "Docs"},
            id="page: name and category kept",
        ),
        pytest.param("screen", {"name": "Settings", "properties": {}}, "$screen", {"name": "Settings"}, id="screen"),
        pytest.param(
            "group",
            {"groupId": "acme", "traits": {"plan": "pro"}},
            "$group",
            {"plan": "pro", "groupId": "acme"},
            id="group: traits and groupId",
        ),
        pytest.param("alias", {"previousId": "anon-7"}, "$alias", {"previousId": "anon-7"}, id="alias: previousId"),
        pytest.param(
            "page",
            {"name": "Home", "properties": {"name": "overridden"}},
            "$page",
            {"name": "Home"},
            id="a top-level field wins over a same-named property",
        ),
        pytest.param(
            "track",
            {"event": "Signup", "traits": {"plan": "pro"}},
            "Signup",
            {"traits": {"plan": "pro"}},
            id="traits on a track call kept as properties.traits",
        ),
        pytest.param(
            "identify",
            {"traits": None, "properties": {"x": 1}},
            "$identify",
            {"properties": {"x": 1}},
            id="properties on identify kept as properties.properties",
        ),
    ],
)
def test_each_call_maps_onto_the_event_model(
    call: MessageType, fields: dict[str, Any], event_type: str, properties: dict[str, Any]
) -> None:
    # Given a Segment message of this call type
    # When it is posted to its endpoint
    result = segment(call, message(**fields))
    # Then it is accepted with the mapped type and properties, and the derived id
    assert result.results[0].status == "accepted", result.results[0].message
    mapped = result.envelopes[0].event
    assert (mapped.event_type, mapped.properties, mapped.user_id) == (event_type, properties, "user-1")
    assert str(mapped.event_id) == result.results[0].event_id == MID_UUID


def test_the_common_fields_map_too() -> None:
    # Given a track message with every common field, sent by a client whose clock is 2 h ahead
    document = message(
        event="Signup",
        userId=42,
        anonymousId="anon-1",
        timestamp="2024-05-01T13:58:00Z",
        sentAt="2024-05-01T14:00:00Z",
        context={"library": {"name": "analytics-python", "version": "2.3.3"}},
    )
    # When it is posted
    envelope = segment("track", document).envelopes[0]
    # Then ids, times and context are ours, the numeric userId a string, and the time corrected
    assert envelope.event.model_dump(mode="json", include={"user_id", "anonymous_id", "timestamp", "sent_at"}) == {
        "user_id": "42",
        "anonymous_id": "anon-1",
        "timestamp": "2024-05-01T13:58:00Z",
        "sent_at": "2024-05-01T14:00:00Z",
    }
    assert envelope.event.context == {"library": {"name": "analytics-python", "version": "2.3.3"}}
    assert envelope.occurred_at == RECEIVED_AT - timedelta(minutes=2)


def test_known_extras_are_ignored() -> None:
    # Given a message carrying every field that Segment SDKs add and we don't store
    extras = {
        "integrations": {"All": True},
        "_metadata": {"bundled": ["Segment.io"]},
        "writeKey": "wk",
        "receivedAt": "2024-05-01T12:00:00Z",
        "originalTimestamp": "2024-05-01T11:00:00Z",
        "channel": "server",
        "version": 2,
        "options": {},
        "projectId": "p1",
    }
    assert set(extras) == SEGMENT_IGNORED_FIELDS
    # When it is posted with a timestamp of its own
    result = segment("track", message(event="Signup", timestamp="2024-05-01T11:59:00Z", **extras))
    # Then it is accepted, and none of the extras is stored
    assert result.results[0].status == "accepted"
    stored = result.envelopes[0].event.model_dump()
    assert not set(extras) & (set(stored) | set(stored["properties"]) | set(stored["context"]))
    assert stored["timestamp"].isoformat() == "2024-05-01T11:59:00+00:00"


def test_original_timestamp_stands_in_for_a_missing_timestamp() -> None:
    # Given a message with originalTimestamp only
    # When it is posted
    envelope = segment("track", message(event="Signup", originalTimestamp="2024-05-01T11:00:00Z")).envelopes[0]
    # Then it is the event's timestamp
    assert envelope.occurred_at == RECEIVED_AT - timedelta(hours=1)


@pytest.mark.parametrize(
    ("call", "fields", "code", "field"),
    [
        pytest.param("track", {"event": "x", "messageId": None}, "missing_field", "messageId", id="no messageId"),
        pytest.param("track", {"event": "x", "messageId": 7}, "invalid_type", "messageId", id="numeric messageId"),
        pytest.param("track", {"event": "x", "messageId": ""}, "invalid_value", "messageId", id="empty messageId"),
        pytest.param("track", {"event": "x", "type": "identify"}, "invalid_value", "type", id="wrong endpoint"),
        pytest.param("track", {"event": "x", "foo": 1}, "unknown_field", "foo", id="unknown field"),
        pytest.param("identify", {"event": "x"}, "unknown_field", "event", id="event on identify"),
        pytest.param("track", {}, "missing_field", "event", id="track without event"),
        pytest.param("track", {"event": "$pageview"}, "invalid_value", "event", id="reserved event name"),
        pytest.param("group", {}, "missing_field", "groupId", id="group without groupId"),
        pytest.param("alias", {}, "missing_field", "previousId", id="alias without previousId"),
        pytest.param("track", {"event": "x", "userId": None}, "missing_identity", "userId", id="no identity"),
        pytest.param("identify", {"traits": ["a"]}, "invalid_type", "traits", id="traits not an object"),
        pytest.param("track", {"event": "x", "properties": "p"}, "invalid_type", "properties", id="bad properties"),
        pytest.param(
            "track", {"event": "x", "timestamp": "2024-05-01T11:00:00"}, "invalid_value", "timestamp", id="naive"
        ),
        pytest.param(
            "track",
            {"event": "x", "originalTimestamp": "2024-05-01T11:00:00"},
            "invalid_value",
            "originalTimestamp",
            id="naive originalTimestamp",
        ),
        pytest.param(
            "track",
            {"event": "x", "timestamp": "2024-05-01T14:00:00Z"},
            "timestamp_in_future",
            "timestamp",
            id="2 h in the future",
        ),
    ],
)
def test_rejections_use_segment_names(call: MessageType, fields: dict[str, Any], code: str, field: str) -> None:
    # Given a Segment message with one thing wrong
    # When it is posted to its endpoint
    result = segment(call, message(**fields)).results[0]
    # Then the rejection's field is named the Segment way
    assert (result.status, result.code, result.field) == ("rejected", code, field)


def test_the_identity_message_uses_segment_names() -> None:
    # Given a track message without userId or anonymousId; When posted
    result = segment("track", message(event="x", userId=None)).results[0]
    # Then the message speaks Segment
    assert (result.message or "").startswith("userId or anonymousId is required")


def _batch_items() -> list[dict[str, Any]]:
    return [
        {"type": "track", "messageId": "m0", "userId": "u", "event": "Signup"},
        {"type": "identify", "messageId": "m1", "userId": "u", "traits": {"plan": "pro"}, "sentAt": None},
        {
            "type": "page",
            "messageId": "m2",
            "anonymousId": "a",
            "name": "Home",
            "timestamp": "2024-05-01T09:59:00Z",
            "sentAt": "2024-05-01T10:00:00Z",
            "context": {"own": True},
        },
    ]


def test_a_batch_maps_each_item_by_its_type_and_shares_sent_at_and_context() -> None:
    # Given a batch whose client clock is 2 h behind, with batch-level sentAt and context
    items = _batch_items()
    items[0]["timestamp"] = "2024-05-01T09:58:00Z"
    document = {
        "batch": items,
        "sentAt": "2024-05-01T10:00:00Z",
        "context": {"library": {"name": "analytics-python"}},
        "writeKey": "wk",
        "messageId": "batch-level ids are ignored",
    }
    # When it is posted to /v1/batch
    result = segment("batch", document)
    # Then every item is accepted under its own type
    assert [r.status for r in result.results] == ["accepted"] * 3
    assert [e.event.event_type for e in result.envelopes] == ["Signup", "$identify", "$page"]
    # And items without sentAt/context take the batch's, while an item's own values win
    first, second, third = result.envelopes
    assert first.occurred_at == RECEIVED_AT - timedelta(minutes=2)
    assert first.event.context == second.event.context == {"library": {"name": "analytics-python"}}
    assert third.event.context == {"own": True}
    assert third.occurred_at == RECEIVED_AT - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("item", "code", "field"),
    [
        pytest.param({"messageId": "m", "userId": "u", "event": "x"}, "missing_field", "batch[1].type", id="no type"),
        pytest.param({"type": "tracks", "messageId": "m"}, "invalid_value", "batch[1].type", id="unknown type"),
        pytest.param("track", "not_an_object", "batch[1]", id="not an object"),
        pytest.param({"type": "track", "userId": "u", "event": "x"}, "missing_field", "batch[1].messageId", id="no id"),
        pytest.param(
            {"type": "track", "messageId": "m0", "userId": "u", "event": "x"},
            "duplicate_event_id",
            "batch[1].messageId",
            id="a repeated messageId",
        ),
        pytest.param(
            {"type": "identify", "messageId": "m", "userId": "u", "traits": 1},
            "invalid_type",
            "batch[1].traits",
            id="bad traits",
        ),
    ],
)
def test_batch_item_rejections_carry_the_batch_path(item: object, code: str, field: str) -> None:
    # Given a batch whose second item has a problem
    document = {"batch": [_batch_items()[0], item, _batch_items()[2]]}
    # When it is posted
    results = segment("batch", document).results
    # Then only that item is rejected, at batch[1]
    assert [r.status for r in results] == ["accepted", "rejected", "accepted"]
    assert (results[1].code, results[1].field) == (code, field)


def test_an_invalid_batch_level_value_is_reported_at_the_top() -> None:
    # Given a batch whose shared sentAt is naive
    document = {"batch": [_batch_items()[0]], "sentAt": "2024-05-01T10:00:00"}
    # When it is posted
    result = segment("batch", document).results[0]
    # Then the item that inherited it is rejected, and the field is the batch-level sentAt
    assert (result.code, result.field) == ("invalid_value", "sentAt")


@pytest.mark.parametrize(
    ("call", "document", "error", "code"),
    [
        pytest.param("batch", {"sentAt": "2024-05-01T10:00:00Z"}, MalformedRequest, "invalid_body", id="no batch"),
        pytest.param("batch", {"batch": {}}, MalformedRequest, "invalid_body", id="batch not an array"),
        pytest.param("batch", {"batch": []}, MalformedRequest, "invalid_body", id="empty batch"),
        pytest.param("batch", [], MalformedRequest, "invalid_body", id="a bare array"),
        pytest.param("track", [message(event="x")], MalformedRequest, "invalid_body", id="track with an array"),
        pytest.param(
            "batch",
            {"batch": [message(type="track", event="x", messageId=str(n)) for n in range(501)]},
            PayloadTooLarge,
            "too_many_events",
            id="501 messages",
        ),
    ],
)
def test_whole_request_errors(call: SegmentCall, document: object, error: type[DomainError], code: str) -> None:
    # Given a body that isn't a Segment request; When posted; Then the whole request fails
    with pytest.raises(error) as raised:
        segment(call, document)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("message_id", "event_id"),
    [
        pytest.param(MID, MID_UUID, id="an analytics-next id: UUIDv5"),
        pytest.param(UUID_MID, UUID_MID, id="a UUID: as is"),
        pytest.param(UUID_MID.upper(), UUID_MID, id="an upper-case UUID: the same UUID"),
        pytest.param(UUID_MID.replace("-", ""), UUID_MID, id="a hyphenless UUID: the same UUID"),
        pytest.param("I'm unique", str(uuid.uuid5(MESSAGE_ID_NAMESPACE, "I'm unique")), id="any string"),
    ],
)
def test_message_ids_map_to_stable_event_ids(message_id: str, event_id: str) -> None:
    # Given a messageId; When it is mapped twice (a retry); Then both give the same documented UUID
    assert str(event_id_for(message_id)) == str(event_id_for(message_id)) == event_id


def test_different_message_ids_map_to_different_event_ids() -> None:
    # Given two messageIds differing in one character; Then their event ids differ
    assert event_id_for(MID) != event_id_for(MID[:-1] + "e")


def test_the_namespace_is_pinned() -> None:
    # Given the namespace; Then it is the one retries already depend on
    assert str(MESSAGE_ID_NAMESPACE) == "e4a30182-25c4-4da7-911f-53a95b2f1572"


def test_segment_answers_200_with_success_when_anything_was_accepted() -> None:
    # Given a batch where one of two items is accepted
    plan = segment("batch", {"batch": [_batch_items()[0], {"type": "track", "messageId": "x"}]})
    # When the answer is built
    body = segment_response_body(plan, "req-1", TRACE_ID)
    # Then it is a 200 with success, the per-event results and no top-level error
    assert segment_response_status(plan) == 200
    assert body["success"] is True
    assert (body["accepted"], body["rejected"], body["code"], body["message"]) == (1, 1, None, None)
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected"]
    assert orjson.loads(orjson.dumps(body)) == body


def test_segment_answers_400_when_everything_was_rejected() -> None:
    # Given a track call without any identity
    plan = segment("track", message(event="x", userId=None))
    # When the answer is built
    body = segment_response_body(plan, "req-1", TRACE_ID)
    # Then it is a 400 (SDKs don't retry it) whose top-level code and message say why (SDKs log those)
    assert segment_response_status(plan) == 400
    assert (body["success"], body["code"], body["request_id"], body["trace_id"]) == (
        False,
        "missing_identity",
        "req-1",
        TRACE_ID,
    )
    assert body["message"].startswith("every event was rejected (1); the first: userId or anonymousId")
    assert body["results"][0]["field"] == "userId"


def test_every_call_accepts_the_ignored_fields() -> None:
    # Given the documentation models, which are also the accepted field lists
    # Then each call accepts the ignored extras and the common fields
    for kind, model in MESSAGE_MODELS.items():
        names = {info.alias or name for name, info in model.model_fields.items()}
        assert SEGMENT_IGNORED_FIELDS | {"messageId", "userId", "anonymousId", "type", "context"} <= names, kind
