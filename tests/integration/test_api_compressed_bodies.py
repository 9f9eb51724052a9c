"""Compressed request bodies on every ingest route, behind the REST and the HTTP API gateway alike: Segment's
analytics-python with gzip=True, and bodies built by hand (truncated, wrong magic bytes, a bomb, an unknown
coding) against the running API, its Kafka and its Postgres."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from segment.analytics.client import Client

from customersignal.domain.auth import Scope
from customersignal.domain.envelope import Envelope
from customersignal.domain.segment import event_id_for
from tests.fixtures.api import ApiServer
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

GATEWAYS = ("ApiFunction", "HttpApiFunction")  # REST, and the HTTP API (payload format 1.0)


@pytest.fixture(scope="module", params=GATEWAYS)
def gateway(request: pytest.FixtureRequest, api_server_factory: Callable[..., ApiServer]) -> ApiServer:
    return api_server_factory({}, str(request.param))


def post(api: ApiServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(f"{api.url}{path}", data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=scaled(60)) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def event(**fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": "signup", "user_id": "u1", **fields}


def test_the_segment_sdk_with_gzip_delivers_its_events(gateway: ApiServer) -> None:
    # Given analytics-python with gzip=True (every batch sent with Content-Encoding: gzip)
    errors: list[Exception] = []
    client = Client(
        write_key=gateway.key(gateway.new_tenant(), Scope.INGEST),
        host=gateway.url,
        gzip=True,
        sync_mode=True,
        max_retries=1,
        on_error=lambda error, _batch: errors.append(error),
    )
    ids = [str(uuid.uuid4()) for _ in range(3)]
    # When it sends a track, an identify and a page
    client.track("u-1", "Order Completed", {"revenue": 42.5}, message_id=ids[0])
    client.identify("u-1", {"plan": "pro"}, message_id=ids[1])
    client.page("u-1", "Docs", "Pricing", message_id=ids[2])
    client.flush()
    # Then no error, and each event is in Kafka exactly once
    assert errors == []
    messages = gateway.messages_for(set(ids))
    assert sorted(str(Envelope.model_validate_json(m.value() or b"").event.event_id) for m in messages) == sorted(ids)


@pytest.mark.parametrize(
    ("path", "coding"),
    [("/v1/events", "gzip"), ("/v1/events", "deflate"), ("/v1/track", "gzip"), ("/v1/t", "deflate")],
)
def test_each_ingest_route_takes_gzip_and_deflate(gateway: ApiServer, path: str, coding: str) -> None:
    key = gateway.key(gateway.new_tenant(), Scope.INGEST)
    if path == "/v1/events":
        document, expected = event(), None
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    else:  # Segment's shapes; the browser path carries the key in the body
        message_id = f"ajs-next-{uuid.uuid4().hex}"
        document = {"type": "track", "event": "Viewed", "userId": "u1", "messageId": message_id, "writeKey": key}
        expected = str(event_id_for(message_id))
        headers = {"Content-Type": "text/plain"} if path == "/v1/t" else {"Authorization": f"Bearer {key}"}
        headers.setdefault("Content-Type", "application/json")
    raw = json.dumps(document).encode()
    body = gzip.compress(raw) if coding == "gzip" else zlib.compress(raw)
    status, _, answer = post(gateway, path, body, headers | {"Content-Encoding": coding})
    assert status == 200, answer
    assert answer["accepted"] == 1
    event_id = expected or document["event_id"]
    assert len(gateway.messages_for({event_id})) == 1


@pytest.mark.parametrize(
    ("name", "body", "coding", "status", "code"),
    [
        ("truncated", gzip.compress(json.dumps(event()).encode())[:-8], "gzip", 400, "malformed_content_encoding"),
        ("wrong magic bytes", b"\x1f\x8c" + gzip.compress(b"{}")[2:], "gzip", 400, "malformed_content_encoding"),
        ("gzip as deflate", gzip.compress(json.dumps(event()).encode()), "deflate", 400, "malformed_content_encoding"),
        ("a bomb", gzip.compress(b" " * (64 * 1024 * 1024), 9), "gzip", 413, "request_too_large"),
        ("brotli", b"\x0b\x02\x80{}\x03", "br", 415, "unsupported_content_encoding"),
    ],
)  # fmt: skip
def test_bad_compressed_bodies_get_the_right_status_naming_the_reason(
    gateway: ApiServer, name: str, body: bytes, coding: str, status: int, code: str
) -> None:
    key = gateway.key(gateway.new_tenant(), Scope.INGEST)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Content-Encoding": coding}
    got, _, answer = post(gateway, "/v1/events", body, headers)
    assert (got, answer["error"]["code"], answer["error"]["field"]) == (status, code, "Content-Encoding"), name
    if code == "unsupported_content_encoding":
        assert "'br'" in answer["error"]["message"]


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_body_the_gateway_already_inflated_is_taken_as_it_is(gateway: ApiServer, coding: str) -> None:
    """A REST API with compression enabled may inflate the body and pass Content-Encoding on: plain JSON under
    that header is accepted (no gzip or zlib stream begins with '{'), and the event lands once."""
    key = gateway.key(gateway.new_tenant(), Scope.INGEST)
    document = event()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Content-Encoding": coding}
    status, _, answer = post(gateway, "/v1/events", json.dumps(document).encode(), headers)
    assert status == 200, answer
    assert answer["accepted"] == 1
    assert len(gateway.messages_for({document["event_id"]})) == 1
