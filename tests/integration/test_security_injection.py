"""Injection through the explorer's filters (and the other read routes' query strings and path parameters) is
harmless: every attempt answers a 400 that names the parameter, or exactly the rows a literal reading of the
value selects, never another tenant's rows and never a server error; and afterwards every table is still
there with the same number of rows.

Tenant A's events carry some of the payloads as real values (a user called ``' OR 1=1 --``, property names
``?|`` and ``a'b``, ``%`` and ``_`` as user ids...), so "exact" is checked both ways: the literal value finds
its one row, and the same text read as SQL, a LIKE pattern or a jsonb operator would find more. Tenant B has
events with the same values, which A must never see. Filters are bound parameters (adapters/pg_explorer.py);
this is the proof from the outside, over HTTP against real Postgres.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fixtures.aggregator import TenantRef, envelope
from tests.fixtures.dashboard import Dashboard
from tests.fixtures.security import row_counts, user_tables

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
SQLI = "' OR 1=1 --"
DROP = "'; DROP TABLE events; --"


@dataclass(frozen=True)
class Tenants:
    key_a: str
    a: dict[str, set[str]]  # a name for a group of A's events -> their ids
    b_markers: set[str]  # strings only B's data holds


def cursor_of(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def tenants(dashboard: Dashboard) -> Tenants:
    ref_a, key_a = dashboard.tenant()
    ref_b, _ = dashboard.tenant()
    groups: dict[str, list[Any]] = {}

    def add(group: str, ref: TenantRef, count: int, event_type: str, user: str, props: dict[str, Any]) -> None:
        made = [
            envelope(ref, event_type, user=user, at=NOW - timedelta(minutes=len(groups) + i), properties=props)
            for i in range(count)
        ]
        groups[group] = made

    add("plain", ref_a, 10, "signup", "user-1", {"plan": "pro"})
    add("checkout", ref_a, 5, "checkout", "user-2", {"plan": "free", "seats": 3})
    for name, user in [("sqli", SQLI), ("drop", DROP), ("percent", "%"), ("underscore", "_")]:
        add(name, ref_a, 1, "signup", user, {})
    add("backslash", ref_a, 1, "signup", "a\\b", {})
    add("unicode", ref_a, 1, "signup", "ユーザー🙂", {})
    tricky = {"?|": "ops", "a'b": "quote", "note": SQLI, "meta": {"k": 1}, "path": "$.a[*]"}
    add("tricky", ref_a, 1, "page_view", "user-3", tricky)
    add("b plain", ref_b, 5, "signup", "b-only-user", {"plan": "pro"})
    add("b sqli", ref_b, 1, "signup", SQLI, {"note": SQLI, "?|": "ops"})
    outcome = dashboard.ingest([e for made in groups.values() for e in made], now=NOW)
    assert outcome.counted == sum(map(len, groups.values()))
    ids = {group: {str(e.event.event_id) for e in made} for group, made in groups.items()}
    b_markers = ids["b plain"] | ids["b sqli"] | {"b-only-user", str(ref_b.tenant_id)}
    return Tenants(key_a, {g: i for g, i in ids.items() if not g.startswith("b ")}, b_markers)


# (query string of GET /v1/events, the groups of A's events it must return exactly, or the field a 400 names)
EXPLORER: list[tuple[dict[str, str], set[str] | str]] = [
    # user_id: compared with =, so each payload finds the one user of that name, and nothing else
    ({"user_id": SQLI}, {"sqli"}),
    ({"user_id": DROP}, {"drop"}),
    ({"user_id": "user-1' --"}, set()),
    ({"user_id": "%"}, {"percent"}),  # not a LIKE pattern
    ({"user_id": "_"}, {"underscore"}),
    ({"user_id": "user-%"}, set()),
    ({"user_id": "a\\b"}, {"backslash"}),
    ({"user_id": "a\\\\b"}, set()),
    ({"user_id": "ユーザー🙂"}, {"unicode"}),
    ({"user_id": "\u202euser-1"}, set()),  # right-to-left override
    ({"user_id": "x" * 256}, "user_id"),
    ({"user_id": "x" * 5000}, "user_id"),
    ({"user_id": "user-1\x00"}, "user_id"),
    # types: names compared with =
    (
        {"types": "signup,checkout"},
        {"plain", "checkout", "sqli", "drop", "percent", "underscore", "backslash", "unicode"},
    ),
    ({"types": "signup','checkout"}, set()),
    ({"types": "signup) OR (1=1"}, set()),
    ({"types": "signup;DELETE FROM events"}, set()),
    ({"types": "page_%"}, set()),
    ({"types": ",".join(f"t{i}" for i in range(21))}, "types"),
    ({"types": "x" * 129}, "types"),
    # property and value: one jsonb containment (@>) with the pair as a bound JSON parameter
    ({"property": "plan", "value": "pro"}, {"plain"}),
    ({"property": "plan", "value": '"pro"'}, {"plain"}),
    ({"property": "seats", "value": "3"}, {"checkout"}),
    ({"property": "plan", "value": "pro' OR '1'='1"}, set()),
    ({"property": "plan' OR 1=1 --", "value": "pro"}, set()),
    ({"property": "?|", "value": "ops"}, {"tricky"}),  # a jsonb operator as a property name
    ({"property": "?|", "value": '["ops", "pro"]'}, set()),
    ({"property": "a'b", "value": "quote"}, {"tricky"}),
    ({"property": "note", "value": SQLI}, {"tricky"}),
    ({"property": "meta", "value": '{"k": 1}'}, {"tricky"}),
    ({"property": "meta", "value": "{}"}, {"tricky"}),  # containment: {} is inside any object
    ({"property": "meta", "value": '{"k": 1} OR 1=1'}, set()),
    ({"property": "path", "value": "$.a[*]"}, {"tricky"}),
    ({"property": "plan", "value": '{"$ne": null}'}, set()),
    ({"property": "plan", "value": "[]"}, set()),
    ({"property": "plan", "value": "@>"}, set()),
    ({"property": "plan", "value": "\\"}, set()),
    ({"property": "plan", "value": '"\\u0000"'}, "value"),  # a JSON-escaped NUL: jsonb cannot hold it
    ({"property": "plan", "value": "[" * 300 + "]" * 300}, "value"),  # deeper than JSON encoders go
    ({"property": "plan"}, "value"),
    ({"property": "x" * 256, "value": "v"}, "property"),
    ({"property": "plan", "value": "v" * 1025}, "value"),
    # cursor: base64 JSON with a time and a UUID, both parsed before use
    ({"cursor": SQLI}, "cursor"),
    ({"cursor": cursor_of({"at": SQLI, "id": str(uuid.uuid4())})}, "cursor"),
    ({"cursor": cursor_of({"at": "2026-01-01T00:00:00Z", "id": f"{uuid.uuid4()}' OR 1=1"})}, "cursor"),
    ({"cursor": cursor_of({"at": {"$gt": 0}, "id": str(uuid.uuid4())})}, "cursor"),
    ({"cursor": "x" * 600}, "cursor"),
    ({"cursor": cursor_of({"at": (NOW + timedelta(hours=1)).isoformat(), "id": str(uuid.uuid4())})}, "all of A"),
    # time range and limit
    ({"from": "2026-01-01T00:00:00Z' OR '1'='1"}, "from"),
    ({"to": "now()"}, "to"),
    ({"from": "1900-01-01T00:00:00Z"}, "from"),
    ({"limit": "1 OR 1=1"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"limit": "1e3"}, "limit"),
    ({"limit": "0x10"}, "limit"),
]

# (path, query, the status it must answer, and for a 400 the field it names)
OTHER_ROUTES: list[tuple[str, dict[str, str], int, str | None]] = [
    (f"/v1/events/{urllib.parse.quote(SQLI)}", {"at": NOW.isoformat()}, 400, "event_id"),
    (f"/v1/events/{uuid.uuid4()}", {"at": f"{NOW.isoformat()}' OR 1=1"}, 400, "at"),
    ("/v1/catalog", {"q": SQLI}, 200, None),
    ("/v1/catalog", {"q": "x" * 129}, 400, "q"),
    ("/v1/catalog", {"status": "planned' OR 1=1 --"}, 400, "status"),
    (f"/v1/catalog/{urllib.parse.quote(SQLI, safe='')}", {}, 404, None),
    (f"/v1/catalog/{urllib.parse.quote(DROP, safe='')}", {}, 404, None),
    ("/v1/catalog/signup%00", {}, 400, "name"),  # a NUL in a path parameter (Postgres text cannot hold one)
    ("/v1/dead-letters", {"reason": SQLI}, 200, None),
    ("/v1/dead-letters", {"status": "new' OR 1=1 --"}, 400, "status"),
    ("/v1/dead-letters", {"cursor": SQLI}, 400, "cursor"),
    ("/v1/metrics/series", {"types": f"signup{SQLI}", "interval": "1h", "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, 200, None),  # noqa: E501
    ("/v1/metrics/series", {"types": "signup", "interval": "1h; DROP TABLE events", "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, 400, "interval"),  # noqa: E501
    ("/v1/metrics/series", {"types": "signup", "interval": "1h", "tz": "UTC' OR 1=1 --", "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, 400, "tz"),  # noqa: E501
    ("/v1/metrics/series", {"types": "signup", "interval": "1h", "metric": "count' --", "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, 400, "metric"),  # noqa: E501
    ("/v1/metrics/summary", {"limit": "1 OR 1=1", "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, 400, "limit"),  # noqa: E501
    (f"/v1/alerts/{urllib.parse.quote(SQLI)}", {}, 400, "rule_id"),
    (f"/v1/alerts/{uuid.uuid4()}/history", {"cursor": "1 OR 1=1"}, 400, "cursor"),
    ("/v1/people/profile", {"user_id": SQLI}, 200, None),  # A's user of that name (B's has one too)
    ("/v1/people/events", {"user_id": "%"}, 200, None),
    ("/v1/people/profile", {"anonymous_id": DROP}, 404, None),
    ("/v1/people/events", {"user_id": "user-1", "cursor": SQLI}, 400, "cursor"),
    ("/v1/people/events", {"user_id": "user-1", "anonymous_id": SQLI}, 400, "anonymous_id"),
    ("/v1/events/live", {"user_id": SQLI}, 200, None),
    ("/v1/events/live", {"after": SQLI}, 400, "after"),
    ("/v1/events/live", {"after": cursor_of({"t": "2026-01-01T00:00:00Z' OR 1=1", "o": {}})}, 400, "after"),
    ("/v1/events/live", {"after": cursor_of({"t": NOW.isoformat(), "o": {"0 OR 1=1": 5}})}, 400, "after"),
]  # fmt: skip


def get(dashboard: Dashboard, path: str, key: str, query: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    status, body = dashboard.get(path, key, **query)
    return status, body, json.dumps(body, ensure_ascii=False)


def refusal_problem(body: dict[str, Any], field: str) -> str | None:
    error = body.get("error", {})
    if error.get("field") != field or not error.get("code") or not error.get("message"):
        return f"a 400 that does not name '{field}' clearly: {body}"
    return None


def test_explorer_filters_answer_a_clear_400_or_exactly_the_rows_the_literal_value_selects(
    dashboard: Dashboard, tenants: Tenants
) -> None:
    # Given tenant A's and B's events, and every table's row count
    tables, counts = user_tables(dashboard.api.database), row_counts(dashboard.api.database)
    all_of_a = set().union(*tenants.a.values())
    wrong: list[str] = []
    for query, expected in EXPLORER:
        # When A explores with the payload
        status, body, text = get(dashboard, "/v1/events", tenants.key_a, {**query, "limit": query.get("limit", "200")})
        # Then a 400 names the parameter, or the answer is exactly the rows the literal value selects
        label = f"{query} ->"
        if isinstance(expected, str) and expected != "all of A":
            problem = refusal_problem(body, expected) if status == 400 else f"{status}, wanted a 400 naming {expected}"
        elif status != 200:
            problem = f"{status} {body}"
        else:
            want = all_of_a if expected == "all of A" else set().union(set(), *(tenants.a[g] for g in expected))
            got = {row["event_id"] for row in body["events"]}
            problem = None if got == want else f"rows {sorted(got)[:5]}..., wanted the groups {expected}"
        if problem is None and (leaked := {m for m in tenants.b_markers if m in text}):
            problem = f"B's data reached A: {leaked}"
        if problem:
            wrong.append(f"{label} {problem}")
    assert wrong == [], "\n".join(wrong)
    # And every table is still there, with as many rows as before
    assert user_tables(dashboard.api.database) == tables
    assert row_counts(dashboard.api.database) == counts
    print(f"\nexplorer: {len(EXPLORER)} filter payloads over {len(tables)} tables, rows unchanged")


def test_the_other_read_routes_refuse_or_answer_literally_and_the_tables_are_unchanged(
    dashboard: Dashboard, tenants: Tenants
) -> None:
    # Given every table's row count
    tables, counts = user_tables(dashboard.api.database), row_counts(dashboard.api.database)
    wrong: list[str] = []
    for path, query, expected_status, field in OTHER_ROUTES:
        # When A sends the payload in a path parameter or query string
        status, body, text = get(dashboard, path, tenants.key_a, query)
        # Then the documented status, a 400 naming the parameter, and nothing of B's
        if status != expected_status:
            wrong.append(f"{path} {query}: {status} {body}, wanted {expected_status}")
        elif field is not None and (problem := refusal_problem(body, field)):
            wrong.append(f"{path} {query}: {problem}")
        elif leaked := {m for m in tenants.b_markers if m in text}:
            wrong.append(f"{path} {query}: B's data reached A: {leaked}")
    assert wrong == [], "\n".join(wrong)
    # And literal answers are exact: a catalog search is a substring match, not a LIKE pattern
    assert [t["name"] for t in get(dashboard, "/v1/catalog", tenants.key_a, {"q": "%"})[1]["event_types"]] == []
    assert [t["name"] for t in get(dashboard, "/v1/catalog", tenants.key_a, {"q": "_"})[1]["event_types"]] == [
        "page_view"
    ]
    # and a person is exactly the user of that literal name: A's one event, not B's
    person = get(dashboard, "/v1/people/events", tenants.key_a, {"user_id": SQLI})[1]
    assert {row["event_id"] for row in person["events"]} == tenants.a["sqli"]
    signup = get(dashboard, "/v1/catalog/signup", tenants.key_a, {})[1]
    assert signup["volume_total"] == 16  # A's 16 signups, not B's 6 too
    # (and the one write that takes a free-text path parameter refuses a NUL the same way)
    status, body = dashboard.call("PATCH", "/v1/catalog/signup%00", tenants.key_a, body={"owner": SQLI})
    assert (status, body["error"]["field"]) == (400, "name"), body
    assert user_tables(dashboard.api.database) == tables
    assert row_counts(dashboard.api.database) == counts
    print(f"\nother read routes: {len(OTHER_ROUTES)} payloads, rows unchanged")


# (event type, filters as sent, other parameters, A's total it must answer, or the field a 422/400 names)
TRENDS: list[tuple[str, list[Any], dict[str, str], int | float | str]] = [
    ("signup", [{"property": "plan", "op": "eq", "value": "pro"}], {}, 10),  # not B's five
    ("signup", [{"property": "plan", "op": "eq", "value": "pro' OR '1'='1"}], {}, 0),
    ("signup", [{"property": "plan' OR 1=1 --", "op": "is_set"}], {}, 0),
    ("signup", [{"property": "plan", "op": "in", "value": ["pro", "x') OR 1=1 --"]}], {}, 10),
    ("signup", [{"property": "plan", "op": "contains", "value": "%"}], {}, 0),  # strpos, not LIKE
    ("signup", [{"property": "plan", "op": "contains", "value": "_"}], {}, 0),
    ("signup", [{"property": "plan", "op": "neq", "value": "pro"}], {}, 6),  # the six without a plan
    ("page_view", [{"property": "?|", "op": "eq", "value": "ops"}], {}, 1),  # a jsonb operator as a name
    ("page_view", [{"property": "a'b", "op": "eq", "value": "quote"}], {}, 1),
    ("page_view", [{"property": "note", "op": "contains", "value": "' or 1=1"}], {}, 1),
    ("page_view", [{"property": "meta", "op": "eq", "value": "{}"}], {}, 0),
    ("page_view", [{"property": "path", "op": "eq", "value": "$.a[*]"}], {}, 1),
    ("signup", [{"property": "plan", "op": "gt", "value": "1 OR 1=1"}], {}, "filter[0].value"),
    ("signup", [{"property": "plan", "op": "eq; DROP TABLE events", "value": 1}], {}, "filter[0].op"),
    ("signup", [{"property": "plan", "op": "eq", "value": "\x00"}], {}, "filter[0].value"),
    ("signup", ["' OR 1=1 --"], {}, "filter[0]"),
    ("signup", [{"property": "plan", "op": "is_set"}] * 6, {}, "filter"),
    ("signup", [], {"breakdown": "plan' OR 1=1 --"}, 16),  # a literal name that no event has: all unset
    ("signup", [], {"type": f"signup{SQLI}"}, 0),
    ("checkout", [], {"measure": "sum", "property": "seats"}, 15.0),
    ("checkout", [], {"measure": "sum", "property": "seats' --"}, 0.0),
    ("checkout", [], {"measure": "sum; DROP TABLE events", "property": "seats"}, "measure"),
    ("signup", [], {"tz": "UTC' OR 1=1 --"}, "tz"),
]


def test_trend_filters_and_properties_are_bound_literally_and_the_tables_are_unchanged(
    dashboard: Dashboard, tenants: Tenants
) -> None:
    # Given every table's row count
    tables, counts = user_tables(dashboard.api.database), row_counts(dashboard.api.database)
    window = {"start": (NOW - timedelta(days=1)).isoformat(), "end": (NOW + timedelta(hours=1)).isoformat()}
    wrong: list[str] = []
    for event_type, filters, extra, expected in TRENDS:
        # When A asks for a trend with the payload in a filter, a property name or a parameter
        query = urllib.parse.urlencode(
            [*{"type": event_type, "interval": "1d", **window, **extra}.items()]
            + [("filter", item if isinstance(item, str) else json.dumps(item)) for item in filters]
        )
        status, body = dashboard.call("GET", f"/v1/insights/trend?{query}", tenants.key_a)
        text = json.dumps(body, ensure_ascii=False)
        label = f"{event_type} {filters} {extra} ->"
        # Then a 422 (filters) or 400 (parameters) names the field, or the total is what the literal reading gives
        if isinstance(expected, str):
            if status not in (400, 422) or refusal_problem(body, expected) is not None:
                wrong.append(f"{label} {status} {body}, wanted a refusal naming {expected}")
        elif status != 200:
            wrong.append(f"{label} {status} {body}")
        elif (total := sum(s["total"] or 0 for s in body["series"])) != expected:
            wrong.append(f"{label} total {total}, wanted {expected}")
        if leaked := {m for m in tenants.b_markers if m in text}:
            wrong.append(f"{label} B's data reached A: {leaked}")
    assert wrong == [], "\n".join(wrong)
    assert user_tables(dashboard.api.database) == tables
    assert row_counts(dashboard.api.database) == counts
    print(f"\ntrend: {len(TRENDS)} payloads, rows unchanged")
