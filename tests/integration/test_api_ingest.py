"""POST /v1/events end to end: the local gateway (uvicorn) -> the Chalice app -> real Kafka, with keys in
real Postgres and the limiter in real Redis. Acknowledged means Kafka holds it, byte for byte."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.domain.auth import Scope
from customersignal.domain.envelope import Envelope
from tests.fixtures.api import ApiServer
from tests.support.waits import scaled

pytestmark = pytest.mark.integration


def post(
    api: ApiServer,
    body: bytes | dict[str, Any],
    *,
    key: str | None,
    content_type: str = "application/json",
    path: str = "/v1/events",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{api.url}{path}", data=data, method="POST")  # noqa: S310 - loopback
    request.add_header("Content-Type", content_type)
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=scaled(30)) as response:  # noqa: S310
            return response.status, dict(response.headers.items()), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), json.loads(error.read())


def event(**fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": "signup", "user_id": "u-1", **fields}


@pytest.fixture(scope="module")
def tenant(api: ApiServer) -> str:
    return api.new_tenant()


@pytest.fixture(scope="module")
def key(api: ApiServer, tenant: str) -> str:
    return api.key(tenant, Scope.INGEST)


def test_an_accepted_event_is_in_kafka_byte_for_byte_with_its_trace(api: ApiServer, tenant: str, key: str) -> None:
    # Given an event whose client clock runs 10 minutes fast
    sent = event(
        timestamp="2026-11-27T10:10:00Z", sent_at="2026-11-27T10:15:00Z", properties={"plan": "pro", "seats": 3}
    )
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    # When it is posted with the caller's traceparent
    status, headers, body = post(api, sent, key=key, headers={"traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"})
    # Then it is accepted, in the caller's trace, with a request id
    assert status == 200, body
    assert body["accepted"] == 1
    assert body["rejected"] == 0
    assert body["results"][0]["status"] == "accepted"
    assert body["trace_id"] == caller_trace
    assert body["request_id"]
    assert headers["traceparent"].startswith(f"00-{caller_trace}-")
    # And Kafka holds exactly this envelope, keyed by tenant, with the traceparent header
    [message] = api.messages_for({sent["event_id"]})
    envelope = Envelope.model_validate_json(message.value() or b"")
    assert message.key() == str(api.tenants[tenant]).encode()
    assert envelope.tenant_id == api.tenants[tenant]
    assert str(envelope.event.event_id) == sent["event_id"]
    assert envelope.event.properties == {"plan": "pro", "seats": 3}
    assert envelope.trace_id == caller_trace
    assert envelope.occurred_at == envelope.received_at - timedelta(minutes=5)
    assert envelope.kafka_value() == message.value()  # nothing extra, nothing lost, stable encoding
    traceparent = dict(message.headers() or [])["traceparent"]
    assert isinstance(traceparent, bytes)
    assert traceparent.decode().split("-")[1] == caller_trace


def test_a_mixed_batch_accepts_the_valid_events_and_explains_each_rejection(api: ApiServer, key: str) -> None:
    # Given three events, the second with no identity and the third with a bad timestamp
    good, no_identity, bad_time = event(), event(user_id=None), event(timestamp="yesterday")
    del no_identity["user_id"]
    batch = {"events": [good, no_identity, bad_time]}
    # When they are posted together
    status, _, body = post(api, batch, key=key)
    # Then only the valid one is accepted, and each rejection names its field and reason
    assert status == 200, body
    assert (body["accepted"], body["rejected"]) == (1, 2)
    results = body["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert results[1]["code"] == "missing_identity"
    assert results[2]["field"] == "events[2].timestamp"
    assert results[2]["event_id"] == bad_time["event_id"]
    sent = {good["event_id"], no_identity["event_id"], bad_time["event_id"]}
    in_kafka = api.messages_for(sent, expected={good["event_id"]})
    assert [Envelope.model_validate_json(m.value() or b"").event.event_id for m in in_kafka] == [
        uuid.UUID(good["event_id"])
    ]


def test_events_more_than_an_hour_in_the_future_are_rejected_with_their_own_code(api: ApiServer, key: str) -> None:
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    status, _, body = post(api, event(timestamp=future), key=key)
    assert status == 200
    assert body["results"][0]["code"] == "timestamp_in_future"


def test_late_events_are_accepted_and_flagged(api: ApiServer, key: str) -> None:
    old = (datetime.now(UTC) - timedelta(days=9)).isoformat()
    status, _, body = post(api, event(timestamp=old), key=key)
    assert status == 200
    assert body["results"][0]["status"] == "accepted"
    assert body["results"][0]["is_late"] is True


def test_a_key_cannot_write_as_another_tenant(api: ApiServer, tenant: str, key: str) -> None:
    # Given a second tenant, and an event from the first tenant's key that claims to be the second's
    other = api.new_tenant()
    claim = event(tenant_id=str(api.tenants[other]))
    # When it is posted / Then the claim is refused, not honoured
    status, _, body = post(api, claim, key=key)
    assert status == 200
    assert body["results"][0]["code"] == "unknown_field"
    assert body["results"][0]["field"] == "tenant_id"


@pytest.mark.parametrize(
    ("case", "expected_status", "expected_code"),
    [
        ("malformed_json", 400, "malformed_json"),
        ("missing_key", 401, "missing_key"),
        ("unknown_key", 401, "unknown_key"),
        ("revoked_key", 403, "key_revoked"),
        ("read_scope_only", 403, "missing_scope"),
        ("over_one_megabyte", 413, "request_too_large"),
        ("too_many_events", 413, "too_many_events"),
        ("form_content_type", 415, "unsupported_media_type"),
    ],
)
def test_whole_request_errors_have_a_status_and_a_machine_readable_body(
    api: ApiServer, tenant: str, key: str, case: str, expected_status: int, expected_code: str
) -> None:
    body: bytes | dict[str, Any] = event()
    use_key: str | None = key
    content_type = "application/json"
    if case == "malformed_json":
        body = b'{"event_id": '
    elif case == "missing_key":
        use_key = None
    elif case == "unknown_key":
        use_key = "cs_" + "x" * 43
    elif case == "revoked_key":
        use_key = api.key(tenant, Scope.INGEST)
        api.admin.revoke_key(tenant, use_key)
    elif case == "read_scope_only":
        use_key = api.key(tenant, Scope.READ)
    elif case == "over_one_megabyte":
        body = {"events": [event(properties={"blob": "x" * 30_000}) for _ in range(40)]}
    elif case == "too_many_events":
        body = {"events": [event() for _ in range(501)]}
    elif case == "form_content_type":
        content_type = "application/x-www-form-urlencoded"
    status, headers, answer = post(api, body, key=use_key, content_type=content_type)
    assert status == expected_status, answer
    assert answer["error"]["code"] == expected_code
    assert answer["error"]["message"]
    assert answer["request_id"]
    assert answer["trace_id"]
    assert {k.lower(): v for k, v in headers.items()}["x-request-id"] == answer["request_id"]


def test_over_the_project_rate_answers_429_with_retry_after_and_ratelimit_headers(api: ApiServer) -> None:
    # Given a project allowed 1 event/s with a burst of 2
    slow = api.new_tenant(rate_limit_per_s=1, burst=2)
    key = api.key(slow, Scope.INGEST)
    # When three single-event requests arrive at once
    answers = [post(api, event(), key=key) for _ in range(3)]
    # Then the third is refused with the headers a client needs to back off
    assert [status for status, _, _ in answers] == [200, 200, 429]
    _, headers, body = answers[2]
    lowered = {k.lower(): v for k, v in headers.items()}
    assert body["error"]["code"] == "rate_limited"
    assert int(lowered["retry-after"]) >= 1
    assert lowered["ratelimit-limit"] == "2"
    assert lowered["ratelimit-remaining"] == "0"
    assert int(lowered["ratelimit-reset"]) >= 1
    assert lowered["x-ratelimit-reset"] == lowered["retry-after"]  # what Segment's browser SDK waits for


def test_the_openapi_document_is_served_and_describes_the_ingest_routes(api: ApiServer) -> None:
    from openapi_spec_validator import validate

    with urllib.request.urlopen(f"{api.url}/v1/openapi.json", timeout=scaled(10)) as response:  # noqa: S310
        document = json.loads(response.read())
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {"/v1/events", "/v1/track", "/v1/batch", "/v1/openapi.json"} <= set(document["paths"])
