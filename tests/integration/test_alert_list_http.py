"""GET /v1/alerts over HTTP: each listed rule is the whole rule (what GET /v1/alerts/{id} answers, metric,
property and filters included) plus the flat summary fields, and a tenant lists only its own rules. Also the
threshold refusals over HTTP: a negative threshold is a rule for a sum, a 400 naming the metric for a count."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.dashboard import Dashboard

pytestmark = pytest.mark.integration

REFUNDS: dict[str, Any] = {
    "name": "refunds outweigh sales",
    "event_type": "checkout",
    "metric": "sum",
    "property": "amount",
    "filters": [
        {"property": "plan", "op": "in", "value": ["pro", "team"]},
        {"property": "country", "op": "neq", "value": "FR"},
    ],
    "window_seconds": 3600,
    "condition": {"kind": "threshold", "operator": "below", "value": -100},
}
SIGNUPS: dict[str, Any] = {
    "name": "signups stopped",
    "event_type": "signup",
    "metric": "count",
    "window_seconds": 300,
    "condition": {"kind": "absence"},
    "silenced_until": "2999-01-01T00:00:00Z",
}


def create(dashboard: Dashboard, key: str, body: dict[str, Any]) -> dict[str, Any]:
    status, created = dashboard.call("POST", "/v1/alerts", key, body=body)
    assert status == 201, created
    return created


def test_the_list_carries_each_whole_rule_and_only_the_tenants_own(dashboard: Dashboard) -> None:
    # Given two rules of tenant A (one a filtered sum) and one of tenant B
    _, key_a = dashboard.tenant()
    _, key_b = dashboard.tenant()
    mine = [create(dashboard, key_a, REFUNDS), create(dashboard, key_a, SIGNUPS)]
    theirs = create(dashboard, key_b, {**SIGNUPS, "name": "B's rule", "event_type": "b_only"})
    # When A lists its rules
    status, listed = dashboard.get("/v1/alerts", key_a)
    assert status == 200, listed
    # Then each item is the rule's own body (as GET /v1/alerts/{id} answers it) plus the flat summary
    by_id = {item["id"]: item for item in listed["rules"]}
    assert sorted(by_id) == sorted(rule["id"] for rule in mine)
    for rule in mine:
        status, single = dashboard.get(f"/v1/alerts/{rule['id']}", key_a)
        assert status == 200, single
        item = by_id[rule["id"]]
        summary = {k: item.pop(k) for k in ("condition_kind", "state", "since")}
        assert item == single
        assert summary == {
            "condition_kind": single["condition"]["kind"],
            "state": single["status"]["state"],
            "since": single["status"]["since"],
        }
    refunds = by_id[mine[0]["id"]]
    assert (refunds["metric"], refunds["property"], refunds["filters"]) == ("sum", "amount", REFUNDS["filters"])
    assert refunds["condition"] == REFUNDS["condition"]
    signups = by_id[mine[1]["id"]]
    assert (signups["property"], signups["filters"]) == (None, [])
    # And B lists its own rule only: nothing of A's, not even its filters
    status, listed_b = dashboard.get("/v1/alerts", key_b)
    assert status == 200, listed_b
    assert [item["id"] for item in listed_b["rules"]] == [theirs["id"]]
    text = str(listed_b)
    assert not any(marker in text for marker in (mine[0]["id"], mine[1]["id"], REFUNDS["name"], "country"))


def test_listing_needs_a_key(dashboard: Dashboard) -> None:
    status, body = dashboard.get("/v1/alerts", None)
    assert status == 401, body


@pytest.mark.parametrize(
    ("metric", "operator", "value"),
    [("count", "above", -1), ("unique_users", "below", 0)],
)
def test_a_count_threshold_that_cannot_fire_is_a_400_naming_the_metric(
    dashboard: Dashboard, metric: str, operator: str, value: float
) -> None:
    _, key = dashboard.tenant()
    body = {**SIGNUPS, "metric": metric, "condition": {"kind": "threshold", "operator": operator, "value": value}}
    status, refused = dashboard.call("POST", "/v1/alerts", key, body=body)
    assert status == 400, refused
    assert (refused["error"]["code"], refused["error"]["field"]) == ("invalid_value", "condition.value")
    assert f"with metric {metric}: {metric} is never below 0" in refused["error"]["message"]
