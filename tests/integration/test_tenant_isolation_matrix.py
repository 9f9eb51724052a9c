"""Every route of the API, called with another tenant's admin key against tenant A's resources: 0 leaks.

The list of routes comes from the Chalice app itself, so a route added without a case here fails
``test_every_route_is_in_the_matrix``. Tenant A owns one of everything (events and their catalog entries, a
dead letter, an alert rule that fired, a webhook endpoint and its delivery, keys); tenant B, with an
admin+read key, tries to read, change, delete, replay or redeliver each of them. Each attempt must answer
404 (or an empty list) for B, leave A's resource as it was, and no answer to B may contain any of A's ids.
"""

from __future__ import annotations

import json
import sys
import urllib.parse
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.domain.live_feed import encode_live_cursor
from customersignal.domain.people_models import LiveCursor
from tests.fixtures.aggregator import TenantRef, envelope
from tests.fixtures.aws import HttpReceiver
from tests.fixtures.services import ROOT
from tests.integration.test_alerts_e2e import (  # noqa: F401 - alert_world is a fixture
    MINUTE,
    NOW,
    AlertWorld,
    alert_world,
    events_in_minute,
    iso,
    rule,
    tenant_with_endpoint,
)

pytestmark = pytest.mark.integration
ROLLUP = "/v1/catalog/checkout/properties/plan/rollup"  # A's checkout.plan, rolled up

# Ingestion writes into the key's own tenant by construction: no request field names a tenant or project,
# and test_api_ingest.py proves a key cannot write as another tenant. Nothing of A's can be reached there.
INGEST_ROUTES = {"/v1/events", "/v1/batch", "/v1/track", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group"}
INGEST_ROUTES |= {"/v1/alias", "/v1/t", "/v1/i", "/v1/p", "/v1/s", "/v1/g", "/v1/a", "/v1/b"}
# No key, no tenant: the document, the browser SDK's telemetry (counted, never stored) and the CORS preflights
PUBLIC = {("/v1/openapi.json", "GET"), ("/v1/m", "POST")} | {(f"/v1/{c}", "OPTIONS") for c in "tipsgabm"}
# a live-feed cursor before every recent event of every partition: A's would all be new to it
EVERYTHING_RECENT = encode_live_cursor(LiveCursor(datetime.now(UTC), {}))
WINDOW = urllib.parse.urlencode({"from": iso(NOW - timedelta(hours=1)), "to": iso(NOW + timedelta(hours=1))})
FUNNEL = urllib.parse.urlencode(
    [("step", json.dumps({"type": "checkout"}))] * 2
    + [("start", iso(NOW - timedelta(hours=1))), ("end", iso(NOW + timedelta(hours=1))), ("breakdown", "plan")]
)


@dataclass
class TenantA:
    ref: TenantRef
    key: str
    rule_id: str
    rule_name: str
    endpoint_id: str
    endpoint_url: str
    delivery_id: str
    event_id: str
    occurred_at: str
    key_id: str
    letter_id: int

    def markers(self) -> set[str]:
        """Strings only A's data contains: none may appear in an answer to B."""
        # (numeric ids, the delivery's and the letter's, are left out: "17" appears in any answer)
        ids = {str(self.ref.tenant_id), self.rule_id, self.endpoint_id, self.event_id, self.key_id}
        return ids | {self.rule_name, self.endpoint_url}


@pytest.fixture
def tenant_a(alert_world: AlertWorld, http_receiver: HttpReceiver) -> TenantA:  # noqa: F811 - the fixture
    world = alert_world
    ref, key, endpoint_id, _ = tenant_with_endpoint(world, http_receiver)
    created = rule(world, key, endpoint_id)
    minute = NOW.replace(second=0)
    world.dashboard.ingest(events_in_minute(ref, minute, 9), now=NOW)
    world.run(NOW)  # the rule fires: one delivery to A's endpoint
    world.dashboard.ingest([envelope(ref, "checkout", properties={"plan": "pro"})], now=NOW)
    marked = world.dashboard.call("PUT", ROLLUP, key, body={"dimension": True, "measure": False})
    assert marked[0] == 200, marked  # A rolls up checkout.plan
    stranger = TenantRef(ref.tenant_id, uuid.uuid4())  # A's tenant, a project it does not have
    world.dashboard.ingest([envelope(stranger, "checkout")], now=NOW)  # a dead letter of A's
    _, deliveries = world.dashboard.get(f"/v1/webhooks/{endpoint_id}/deliveries", key)
    _, page = world.dashboard.get("/v1/events", key, limit=1)
    _, keys = world.dashboard.get("/v1/keys", key)
    _, letters = world.dashboard.get("/v1/dead-letters", key)
    return TenantA(
        ref, key, created["id"], created["name"], endpoint_id, http_receiver.url + "/hook",
        str(deliveries["deliveries"][0]["id"]), page["events"][0]["event_id"], page["events"][0]["occurred_at"],
        keys["keys"][0]["id"], letters["dead_letters"][0]["id"],
    )  # fmt: skip


def matrix(a: TenantA) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path, body) for every route, aimed at A's resources."""
    rule_body = {
        "name": "mallory's rule",
        "event_type": "checkout",
        "metric": "count",
        "window_seconds": 60,
        "condition": {"kind": "threshold", "operator": "above", "value": 1},
        "channels": [a.endpoint_id],  # A's endpoint: must not be attachable
    }
    return [
        ("GET", "/v1/session", None),
        ("GET", "/v1/events", None),
        ("GET", f"/v1/events/{a.event_id}?at={a.occurred_at}", None),
        ("GET", "/v1/events/live", None),
        ("GET", f"/v1/events/live?after={EVERYTHING_RECENT}", None),
        ("GET", "/v1/people/profile?user_id=u1", None),  # A's events' user
        ("GET", "/v1/people/events?user_id=u1", None),
        ("GET", "/v1/catalog", None),
        ("GET", "/v1/catalog/checkout", None),
        ("PATCH", "/v1/catalog/checkout", {"owner": "mallory"}),
        ("PUT", ROLLUP, {"dimension": False, "measure": False}),
        ("GET", f"/v1/metrics/series?types=checkout&interval=1m&{WINDOW}", None),
        ("GET", f"/v1/metrics/summary?{WINDOW}", None),
        ("GET", f"/v1/insights/trend?type=checkout&interval=1h&{WINDOW}", None),
        ("GET", f"/v1/insights/funnel?{FUNNEL}", None),
        ("GET", "/v1/dead-letters", None),
        ("POST", "/v1/dead-letters/replay", {"ids": [a.letter_id]}),
        ("GET", "/v1/keys", None),
        ("POST", "/v1/keys", {"name": "mallory", "scopes": ["read"]}),
        ("POST", f"/v1/keys/{a.key_id}/revoke", None),
        ("GET", "/v1/alerts", None),
        ("POST", "/v1/alerts", rule_body),
        ("GET", f"/v1/alerts/{a.rule_id}", None),
        ("PUT", f"/v1/alerts/{a.rule_id}", {**rule_body, "channels": []}),
        ("PATCH", f"/v1/alerts/{a.rule_id}", {"enabled": False}),
        ("DELETE", f"/v1/alerts/{a.rule_id}", None),
        ("GET", f"/v1/alerts/{a.rule_id}/history", None),
        ("GET", "/v1/webhooks", None),
        ("POST", "/v1/webhooks", {"url": a.endpoint_url}),
        ("DELETE", f"/v1/webhooks/{a.endpoint_id}", None),
        ("POST", f"/v1/webhooks/{a.endpoint_id}/confirmation", None),
        ("GET", f"/v1/webhooks/{a.endpoint_id}/deliveries", None),
        ("POST", f"/v1/deliveries/{a.delivery_id}/redeliver", None),
    ]


def app_routes() -> set[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "functions" / "api"))
    try:
        from app import app
    finally:
        sys.path.remove(str(ROOT / "functions" / "api"))
    return {(path, method) for path, methods in app.routes.items() for method in methods}


def test_every_route_is_in_the_matrix() -> None:
    def new_id() -> str:
        return str(uuid.uuid4())

    tenant_a = TenantA(
        ref=TenantRef(uuid.uuid4(), uuid.uuid4()), key="key", rule_id=new_id(), rule_name="rule",
        endpoint_id=new_id(), endpoint_url="http://receiver/hook", delivery_id="17", event_id=new_id(),
        occurred_at="2026-11-27T12:00:00Z", key_id=new_id(), letter_id=3,
    )  # fmt: skip
    placeholders = {
        tenant_a.event_id: "{event_id}", tenant_a.rule_id: "{rule_id}", tenant_a.endpoint_id: "{endpoint_id}",
        tenant_a.delivery_id: "{delivery_id}", tenant_a.key_id: "{key_id}", "checkout": "{name}",
        "plan": "{property}",
    }  # fmt: skip
    covered = set()
    for method, path, _ in matrix(tenant_a):
        route = path.split("?")[0]
        for value, name in placeholders.items():
            route = route.replace(f"/{value}", f"/{name}")
        covered.add((route, method))
    ingest = {(path, method) for path, method in app_routes() if path in INGEST_ROUTES and method == "POST"}
    assert app_routes() - covered - ingest - PUBLIC == set(), "routes no isolation case covers"


def test_another_tenant_reaches_nothing_of_tenant_a(
    alert_world: AlertWorld,  # noqa: F811 - the fixture imported above
    tenant_a: TenantA,
) -> None:
    dashboard = alert_world.dashboard
    _, key_b = dashboard.tenant()
    before = snapshot(dashboard, tenant_a)
    for method, path, body in matrix(tenant_a):
        status, answer = dashboard.call(method, path, key_b, body=body)
        text = json.dumps(answer)
        sent = path + json.dumps(body)  # an error may quote what B itself sent: that is not A's data
        leaked = {marker for marker in tenant_a.markers() if marker in text and marker not in sent}
        assert not leaked, f"{method} {path} showed B {leaked}: {text[:300]}"
        if any(f"/{v}" in path for v in (tenant_a.event_id, tenant_a.rule_id, tenant_a.endpoint_id)) or any(
            f"/{v}/" in path for v in (tenant_a.key_id, tenant_a.delivery_id)
        ):
            assert status == 404, f"{method} {path}: {status} {text[:300]}"
        elif method in ("PATCH", "PUT") and "/catalog/" in path:
            assert status == 404, f"{method} {path}: {status}"  # B has no such type
        elif path == "/v1/alerts" and method == "POST":
            assert status in (400, 404), f"B attached A's endpoint: {status} {text[:300]}"
        elif path == "/v1/dead-letters/replay":
            assert answer.get("replayed", 0) == 0, text
        elif path.startswith("/v1/metrics/series"):
            assert status == 200, text
            assert all(set(series["v"]) <= {0} for series in answer["series"]), f"A's counts reached B: {text[:300]}"
        elif path.startswith("/v1/insights/trend"):
            assert status == 200, text
            points = [point["value"] for series in answer["series"] for point in series["points"]]
            assert set(points) <= {0}, f"A's events reached B's trend: {text[:300]}"
        elif path.startswith("/v1/insights/funnel"):
            assert status == 200, text
            assert [s["count"] for s in answer["steps"]] == [0, 0], f"A's people reached B: {text[:300]}"
            assert answer["breakdowns"] == [], text
        elif path.startswith("/v1/metrics/summary"):
            assert (status, answer["total"]) == (200, 0), text
        else:
            assert status in (200, 201, 404), f"{method} {path}: {status} {text[:300]}"
    # and A's resources are exactly as they were
    assert snapshot(dashboard, tenant_a) == before


def snapshot(dashboard: Any, a: TenantA) -> dict[str, Any]:
    """What A sees of its own resources (ids, states, counts): B's attempts must change none of it."""

    def get(path: str, **query: Any) -> Any:
        status, body = dashboard.get(path, a.key, **query)
        assert status == 200, (path, body)
        return body

    alert = get(f"/v1/alerts/{a.rule_id}")
    return {
        "rule": (alert["id"], alert["name"], alert["enabled"], alert["channels"]),
        "endpoints": sorted((e["id"], e["status"]) for e in get("/v1/webhooks")["endpoints"]),
        "deliveries": sorted(
            (d["id"], d["status"]) for d in get(f"/v1/webhooks/{a.endpoint_id}/deliveries")["deliveries"]
        ),
        "keys": sorted((k["id"], k["status"]) for k in get("/v1/keys")["keys"]),
        "catalog": get("/v1/catalog/checkout")["owner"],
        "rollups": {p["name"]: p["rollup"] for p in get("/v1/catalog/checkout")["properties"]},
        "letters": sorted((x["id"], x["status"]) for x in get("/v1/dead-letters")["dead_letters"]),
        "events": len(get("/v1/events")["events"]),
    }
