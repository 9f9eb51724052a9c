"""The dashboard API's explorer, catalog, dead letters, keys and session over real Postgres, Redis and
Kafka: keyset pages that hold still while events arrive, filters, edits, and strict tenant isolation."""

from __future__ import annotations

import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.domain.auth import Scope
from tests.fixtures.aggregator import TenantRef, envelope
from tests.fixtures.dashboard import Dashboard

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def tenant(dashboard: Dashboard) -> tuple[TenantRef, str]:
    ref, key = dashboard.tenant()
    events = [
        envelope(
            ref,
            "signup" if i % 3 else "checkout",
            user=f"user-{i % 4}",
            at=NOW - timedelta(minutes=i),
            properties={"plan": "pro" if i % 2 else "free", "seats": i % 5},
        )
        for i in range(40)
    ]
    dashboard.ingest(events, now=NOW)
    return ref, key


def all_pages(dashboard: Dashboard, key: str, **query: object) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        status, body = dashboard.get("/v1/events", key, cursor=cursor, **query)
        assert status == 200, body
        rows += body["events"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_pages_hold_still_while_new_events_arrive(dashboard: Dashboard, tenant: tuple[TenantRef, str]) -> None:
    ref, key = tenant
    status, first = dashboard.get("/v1/events", key, limit=7)
    assert status == 200, first
    seen = [row["event_id"] for row in first["events"]]
    cursor = first["next_cursor"]
    arrivals = 0
    while cursor:
        # new events keep landing, newer than everything paged so far, and some in the middle of the range
        dashboard.ingest([envelope(ref, "signup", user="newcomer", at=NOW + timedelta(seconds=arrivals + 1))], now=NOW)
        arrivals += 1
        status, page = dashboard.get("/v1/events", key, limit=7, cursor=cursor)
        assert status == 200, page
        seen += [row["event_id"] for row in page["events"]]
        cursor = page["next_cursor"]
    assert len(seen) == 40  # no gap: exactly the events there were when paging started
    assert len(set(seen)) == 40  # and no duplicate
    newest_first = [row["occurred_at"] for row in all_pages(dashboard, key, limit=50)]
    assert newest_first == sorted(newest_first, reverse=True)
    assert len(newest_first) == 40 + arrivals


def test_filters_by_user_types_and_a_property(dashboard: Dashboard, tenant: tuple[TenantRef, str]) -> None:
    _, key = tenant
    by_user = all_pages(dashboard, key, user_id="user-1", limit=3)
    assert len(by_user) == 10
    assert {row["user_id"] for row in by_user} == {"user-1"}
    both = all_pages(dashboard, key, types="checkout,signup", user_id="user-1", limit=4)
    assert [r["event_id"] for r in both] == [r["event_id"] for r in by_user]
    checkout = all_pages(dashboard, key, types="checkout")
    assert len(checkout) == 14
    assert {row["event_type"] for row in checkout} == {"checkout"}
    seats = all_pages(dashboard, key, property="seats", value="3")  # a number
    assert len(seats) == 8
    assert all_pages(dashboard, key, property="seats", value='"3"') == []  # the string "3" is another value
    plan = all_pages(dashboard, key, property="plan", value="pro", types="checkout")
    assert len(plan) == 7
    assert all('"pro"' in row["properties_preview"] for row in plan)


def test_an_event_opens_with_everything_it_carried(dashboard: Dashboard, tenant: tuple[TenantRef, str]) -> None:
    _, key = tenant
    _, page = dashboard.get("/v1/events", key, limit=1, user_id="user-2")
    row = page["events"][0]
    status, detail = dashboard.get(f"/v1/events/{row['event_id']}", key, at=row["occurred_at"])
    assert status == 200, detail
    assert (detail["event_id"], detail["user_id"]) == (row["event_id"], "user-2")
    assert set(detail["properties"]) == {"plan", "seats"}
    assert detail["kafka"]["partition"] == 0
    assert detail["trace_id"]
    status, missing = dashboard.get(f"/v1/events/{uuid.uuid4()}", key, at=row["occurred_at"])
    assert (status, missing["error"]["code"]) == (404, "event_not_found")
    status, no_at = dashboard.get(f"/v1/events/{row['event_id']}", key)
    assert (status, no_at["error"]["field"]) == (400, "at")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "500"}, "limit"),
        ({"property": "plan"}, "value"),
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
    ],
)
def test_bad_explorer_queries_name_the_parameter(
    dashboard: Dashboard, tenant: tuple[TenantRef, str], query: dict[str, str], field: str
) -> None:
    status, body = dashboard.get("/v1/events", tenant[1], **query)
    assert status == 400, body
    assert body["error"]["field"] == field


def test_the_catalog_lists_and_edits_event_types(dashboard: Dashboard, tenant: tuple[TenantRef, str]) -> None:
    ref, key = tenant
    status, listed = dashboard.get("/v1/catalog", key)
    assert status == 200, listed
    names = {item["name"]: item for item in listed["event_types"]}
    assert (names["checkout"]["volume_total"], names["checkout"]["status"]) == (14, "unplanned")
    assert names["checkout"]["property_count"] == 2
    patch = {"description": "A paid order", "owner": "payments@example.com", "status": "planned"}
    status, edited = dashboard.call("PATCH", "/v1/catalog/checkout", key, body=patch)
    assert status == 200, edited
    assert {k: edited[k] for k in patch} == patch
    assert {p["name"]: p["types"] for p in edited["properties"]} == {"plan": ["string"], "seats": ["number"]}
    status, planned = dashboard.get("/v1/catalog", key, status="planned")
    assert [item["name"] for item in planned["event_types"]] == ["checkout"]
    reader = dashboard.api.key(next(s for s, t in dashboard.api.tenants.items() if t == ref.tenant_id), Scope.READ)
    status, refused = dashboard.call("PATCH", "/v1/catalog/checkout", reader, body={"owner": "x"})
    assert (status, refused["error"]["code"]) == (403, "missing_scope")
    for bad, field in (
        ({"status": "gone"}, "status"),
        ({"description": "x" * 2001}, "description"),
        ({"extra": 1}, "extra"),
    ):
        status, body = dashboard.call("PATCH", "/v1/catalog/checkout", key, body=bad)
        assert (status, body["error"]["field"]) == (400, field), body
    status, body = dashboard.call("PATCH", "/v1/catalog/nope", key, body={"owner": "x"})
    assert (status, body["error"]["code"]) == (404, "event_type_not_found")


def test_the_catalog_tells_event_time_from_receive_time(dashboard: Dashboard) -> None:
    # Given a backfill: events that happened two hours before they were received
    ref, key = dashboard.tenant()
    received = NOW - timedelta(minutes=1)
    backfill = [envelope(ref, "imported", at=NOW - timedelta(hours=2, minutes=i), received=received) for i in range(3)]
    dashboard.ingest(backfill, now=NOW)
    # When the catalog is read
    status, listed = dashboard.get("/v1/catalog", key)
    assert status == 200, listed
    (item,) = listed["event_types"]
    # Then "first/last event" is when they happened, "first/last seen" when they arrived
    assert (item["first_event_at"], item["last_event_at"]) == (
        iso(NOW - timedelta(hours=2, minutes=2)),
        iso(NOW - timedelta(hours=2)),
    )
    assert (item["first_seen_at"], item["last_seen_at"]) == (iso(received), iso(received))
    # When the same batch is delivered again, and then an older event arrives later
    dashboard.ingest(backfill, now=NOW)
    older = envelope(ref, "imported", at=NOW - timedelta(days=1), received=NOW)
    dashboard.ingest([older], now=NOW)
    # Then the replay changed nothing (exactly once), and the older event moved only the first event time
    status, detail = dashboard.get("/v1/catalog/imported", key)
    assert status == 200, detail
    assert detail["volume_total"] == 4
    assert (detail["first_event_at"], detail["last_event_at"]) == (
        iso(NOW - timedelta(days=1)),
        iso(NOW - timedelta(hours=2)),
    )
    assert (detail["first_seen_at"], detail["last_seen_at"]) == (iso(received), iso(NOW))


def test_blocked_events_become_dead_letters_that_replay_once(dashboard: Dashboard) -> None:
    ref, key = dashboard.tenant()
    dashboard.ingest([envelope(ref, "spam")], now=NOW)
    dashboard.call("PATCH", "/v1/catalog/spam", key, body={"status": "blocked"})
    blocked = [envelope(ref, "spam", user=f"s{i}") for i in range(3)]
    assert dashboard.ingest(blocked, now=NOW).dead_lettered == 3
    status, page = dashboard.get("/v1/dead-letters", key, reason="blocked_event_type", limit=2)
    assert status == 200, page
    assert page["counts_by_reason"] == {"blocked_event_type": 3}
    assert len(page["dead_letters"]) == 2
    assert page["next_cursor"]
    letter = page["dead_letters"][0]
    assert str(blocked[2].event.event_id) in letter["value_preview"]
    assert ("cs-schema", "1") in [tuple(h) for h in letter["headers"]]
    ids = [letter["id"] for letter in page["dead_letters"]]
    status, replayed = dashboard.call("POST", "/v1/dead-letters/replay", key, body={"ids": ids})
    assert (status, replayed) == (200, {"replayed": 2, "ids": sorted(ids)})
    replayed_ids = {str(e.event.event_id) for e in blocked[1:]}
    assert len(dashboard.api.messages_for(replayed_ids)) == 2  # back in events_raw, once each
    status, again = dashboard.call("POST", "/v1/dead-letters/replay", key, body={"ids": ids})
    assert (status, again["error"]["code"]) == (409, "not_replayable")
    _, rest = dashboard.get("/v1/dead-letters", key)
    assert rest["counts_by_reason"] == {"blocked_event_type": 1}
    _, done = dashboard.get("/v1/dead-letters", key, status="replayed")
    assert sorted(letter["id"] for letter in done["dead_letters"]) == sorted(ids)


def test_keys_are_created_once_shown_and_revoked_at_once(dashboard: Dashboard, tenant: tuple[TenantRef, str]) -> None:
    _, key = tenant
    status, created = dashboard.call("POST", "/v1/keys", key, body={"name": "ci reader", "scopes": ["read"]})
    assert status == 201, created
    secret = created["secret"]
    assert secret.startswith("cs_")
    assert created["key"]["display_prefix"] == secret[:11]
    status, session = dashboard.get("/v1/session", secret)
    assert status == 200, session
    assert (session["key"]["scopes"], session["project"]["slug"]) == (["read"], "web")
    _, listed = dashboard.get("/v1/keys", key)
    assert created["key"]["id"] in [k["id"] for k in listed["keys"]]
    assert all("secret" not in k and "key_hash" not in k for k in listed["keys"])
    status, revoked = dashboard.call("POST", f"/v1/keys/{created['key']['id']}/revoke", key)
    assert (status, revoked["status"]) == (200, "revoked")
    status, refused = dashboard.get("/v1/session", secret)
    assert (status, refused["error"]["code"]) == (403, "key_revoked")
    assert dashboard.get("/v1/keys", secret)[0] == 403
    for body, field in (
        ({"name": "x", "scopes": ["root"]}, "scopes.0"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "project": "nope"}, "project"),
    ):
        status, bad = dashboard.call("POST", "/v1/keys", key, body=body)
        assert status in (400, 404), bad
        assert bad["error"]["field"] == field, bad


def test_a_tenant_never_sees_another_tenants_data(dashboard: Dashboard, tenant: tuple[TenantRef, str]) -> None:
    key_a = tenant[1]
    key_b = dashboard.tenant()[1]
    _, a_page = dashboard.get("/v1/events", key_a, limit=1)
    a_event = a_page["events"][0]
    assert dashboard.get("/v1/events", key_b)[1]["events"] == []
    assert dashboard.get("/v1/events", key_b, user_id="user-1")[1]["events"] == []
    status, body = dashboard.get(f"/v1/events/{a_event['event_id']}", key_b, at=a_event["occurred_at"])
    assert status == 404
    assert dashboard.get("/v1/catalog", key_b)[1]["event_types"] == []
    assert dashboard.get("/v1/catalog/checkout", key_b)[0] == 404
    assert dashboard.call("PATCH", "/v1/catalog/checkout", key_b, body={"owner": "mallory"})[0] == 404
    query = {
        "types": "signup,checkout",
        "interval": "1h",
        "from": iso(NOW - timedelta(days=1)),
        "to": iso(NOW + timedelta(hours=1)),
    }
    assert all(set(s["v"]) == {0} for s in dashboard.get("/v1/metrics/series", key_b, **query)[1]["series"])
    assert dashboard.get("/v1/metrics/summary", key_b, **{"from": query["from"], "to": query["to"]})[1]["total"] == 0
    a_keys = {k["id"] for k in dashboard.get("/v1/keys", key_a)[1]["keys"]}
    b_keys = {k["id"] for k in dashboard.get("/v1/keys", key_b)[1]["keys"]}
    assert a_keys.isdisjoint(b_keys)
    status, body = dashboard.call("POST", f"/v1/keys/{next(iter(a_keys))}/revoke", key_b)
    assert (status, body["error"]["code"]) == (404, "key_not_found")
    assert dashboard.get("/v1/session", key_a)[0] == 200  # still working
    assert dashboard.get("/v1/dead-letters", key_b)[1]["counts_by_reason"] == {}


@pytest.mark.parametrize("path", ["/v1/session", "/v1/events", "/v1/catalog", "/v1/dead-letters", "/v1/alerts"])
def test_reads_need_a_read_or_admin_key(dashboard: Dashboard, tenant: tuple[TenantRef, str], path: str) -> None:
    ref, _ = tenant
    slug = next(s for s, t in dashboard.api.tenants.items() if t == ref.tenant_id)
    assert dashboard.get(path, None)[0] == 401
    status, body = dashboard.get(path, dashboard.api.key(slug, Scope.INGEST))
    assert (status, body["error"]["code"]) == (403, "missing_scope")
    assert dashboard.get(path, dashboard.api.key(slug, Scope.ADMIN))[0] == 200
    assert dashboard.get(path, dashboard.api.key(slug, Scope.READ))[0] == 200


def test_event_types_with_slashes_and_spaces_open_in_the_catalog(dashboard: Dashboard) -> None:
    ref, key = dashboard.tenant()
    dashboard.ingest([envelope(ref, "Order/Completed v2")], now=NOW)
    path = "/v1/catalog/" + urllib.parse.quote("Order/Completed v2", safe="")
    status, body = dashboard.get(path, key)
    assert (status, body.get("name")) == (200, "Order/Completed v2"), body
    status, edited = dashboard.call("PATCH", path, key, body={"owner": "shop"})
    assert (status, edited.get("owner")) == (200, "shop"), edited
