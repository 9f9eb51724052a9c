"""Segment's browser SDK (analytics.js 2.0) traffic: short paths, text/plain JSON, the write key in the
body, CORS. The bodies below have the shape its Segment.io plugin sends (one call per request, and the
batching strategy's {writeKey, batch, sentAt})."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from customersignal.domain.envelope import Envelope
from customersignal.domain.segment import event_id_for
from tests.fixtures.api import ApiServer
from tests.support.waits import scaled

pytestmark = pytest.mark.integration
ORIGIN = "https://shop.example"


def browser_post(api: ApiServer, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(f"{api.url}{path}", data=json.dumps(body).encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", "text/plain")  # what analytics.js sends: a CORS simple request
    request.add_header("Origin", ORIGIN)
    try:
        with urllib.request.urlopen(request, timeout=scaled(30)) as response:  # noqa: S310 - loopback
            return response.status, {k.lower(): v for k, v in response.headers.items()}, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, json.loads(error.read())


def call(kind: str, write_key: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "messageId": f"ajs-next-{uuid.uuid4().hex}",
        "anonymousId": "anon-1",
        "writeKey": write_key,
        "sentAt": "2026-11-27T12:00:00.000Z",
        "context": {"library": {"name": "analytics.js"}},
        **fields,
    }


def test_browser_calls_and_batches_with_the_key_in_the_body_reach_kafka(api: ApiServer) -> None:
    # Given an ingest key used as analytics.js's write key (no Authorization header at all)
    key = api.key(api.new_tenant())
    track = call("track", key, event="Product Viewed", properties={"sku": "a-1"})
    page = call("page", key, name="Pricing", properties={"path": "/pricing"})
    identify = call("identify", key, userId="u-1")
    batch = {"writeKey": key, "sentAt": "2026-11-27T12:00:00.000Z", "batch": [identify]}
    # When it posts a track to /v1/t, a page to /v1/p and a batch to /v1/b
    answers = [browser_post(api, "/v1/t", track), browser_post(api, "/v1/p", page), browser_post(api, "/v1/b", batch)]
    # Then each is accepted, readable cross-origin, and the events are in Kafka
    for status, headers, body in answers:
        assert status == 200, body
        assert headers["access-control-allow-origin"] == "*"
    message_ids = [track["messageId"], page["messageId"], identify["messageId"]]
    ids = {str(event_id_for(m)) for m in message_ids}  # analytics.js ids ("ajs-next-...") map to UUIDv5s
    events = [Envelope.model_validate_json(m.value() or b"").event for m in api.messages_for(ids)]
    assert sorted(e.event_type for e in events) == sorted(["Product Viewed", "$page", "$identify"])


def test_a_wrong_write_key_in_the_body_is_refused(api: ApiServer) -> None:
    status, headers, body = browser_post(api, "/v1/t", call("track", "cs_notakey", event="x"))
    assert status == 401
    assert body["error"]["code"] == "unknown_key"
    assert headers["access-control-allow-origin"] == "*"


def test_a_body_that_is_not_json_is_refused_with_400(api: ApiServer) -> None:
    request = urllib.request.Request(f"{api.url}/v1/t", data=b'{"writeKey": ', method="POST")  # noqa: S310
    request.add_header("Content-Type", "text/plain")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=scaled(30))  # noqa: S310 - loopback
    assert raised.value.code == 400
    assert json.loads(raised.value.read())["error"]["code"] == "malformed_json"


SDK_HEADERS = "authorization,content-type,x-retry-count"  # what analytics.js sends on a retry


@pytest.mark.parametrize("path", ["/v1/t", "/v1/i", "/v1/p", "/v1/s", "/v1/g", "/v1/a", "/v1/b", "/v1/m"])
def test_the_preflight_allows_every_header_the_browser_sdk_sends(api: ApiServer, path: str) -> None:
    # Given Chromium asking before a retry (X-Retry-Count) that carries the key as Basic auth
    request = urllib.request.Request(f"{api.url}{path}", method="OPTIONS")  # noqa: S310
    request.add_header("Origin", ORIGIN)
    request.add_header("Access-Control-Request-Method", "POST")
    request.add_header("Access-Control-Request-Headers", SDK_HEADERS)
    with urllib.request.urlopen(request, timeout=scaled(30)) as response:  # noqa: S310 - loopback
        headers = {k.lower(): v for k, v in response.headers.items()}
        status = response.status
    # Then POST from any origin with exactly those headers is allowed, and cached for two hours
    assert status == 204
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"].split(",")
    allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert allowed == set(SDK_HEADERS.split(","))
    assert headers["access-control-max-age"] == "7200"


def test_a_429_exposes_retry_after_to_the_page(api: ApiServer) -> None:
    key = api.key(api.new_tenant(rate_limit_per_s=1, burst=1))
    answers = [browser_post(api, "/v1/t", call("track", key, event="x")) for _ in range(3)]
    status, headers, _ = answers[-1]
    assert status == 429
    assert "retry-after" in headers["access-control-expose-headers"].lower()


def test_the_sdk_telemetry_is_taken_and_counted_not_refused(api: ApiServer) -> None:
    # Given what analytics.js posts to /m every 30 s (remote-metrics.ts): no write key, text/plain
    series = [
        {"type": "Counter", "metric": "analytics_js.invoke", "value": 1, "tags": {"type": "track", "library": "a"}},
        {"type": "Counter", "metric": "analytics_js.integration.invoke", "value": 1, "tags": {"library": "a"}},
    ]
    status, headers, body = browser_post(api, "/v1/m", {"series": series})
    # Then 200, readable cross-origin, counting the counters
    assert status == 200, body
    assert headers["access-control-allow-origin"] == "*"
    assert (body["success"], body["received"]) == (True, 2)


def test_telemetry_that_is_not_the_sdks_shape_is_400_naming_the_field(api: ApiServer) -> None:
    status, headers, body = browser_post(api, "/v1/m", {"series": "x"})
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "invalid_body", "series")
    assert headers["access-control-allow-origin"] == "*"
