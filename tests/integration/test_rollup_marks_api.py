"""Marking property rollups over the dashboard API (real Postgres, Kafka, Redis): the catalog shows each
property's rollup state, the 5 + 5 caps and the numbers-only rule answer 422 naming the field, and
unmarking deletes the rollup with its rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.adapters.postgres import connect
from customersignal.domain.auth import Scope
from tests.fixtures.aggregator import TenantRef, envelope
from tests.fixtures.dashboard import Dashboard
from tests.support.rollups import summary_mismatches, summary_rows

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
PROPS = {"plan": "pro", "amount": 12.5, **{f"n{i}": i for i in range(6)}, **{f"s{i}": "x" for i in range(6)}}


def rollup(name: str, prop: str) -> str:
    return f"/v1/catalog/{name}/properties/{prop}/rollup"


def put(dashboard: Dashboard, key: str, prop: str, dimension: bool, measure: bool) -> tuple[int, dict[str, Any]]:
    return dashboard.call("PUT", rollup("checkout", prop), key, body={"dimension": dimension, "measure": measure})


def states(dashboard: Dashboard, key: str) -> dict[str, Any]:
    status, detail = dashboard.get("/v1/catalog/checkout", key)
    assert status == 200, detail
    return {p["name"]: p["rollup"] for p in detail["properties"]}


@pytest.fixture
def tenant(dashboard: Dashboard) -> tuple[TenantRef, str]:
    ref, key = dashboard.tenant()
    dashboard.ingest([envelope(ref, "checkout", at=NOW - timedelta(minutes=1), properties=PROPS)], now=NOW)
    return ref, key


def test_marking_a_dimension_and_a_measure_shows_in_the_catalog(
    dashboard: Dashboard, tenant: tuple[TenantRef, str]
) -> None:
    _, key = tenant
    # Given nothing rolled up
    assert states(dashboard, key)["plan"] == {"dimension": None, "measure": None}
    # When plan becomes a dimension and amount a measure (and a dimension)
    status, plan = put(dashboard, key, "plan", True, False)
    assert status == 200, plan
    status, amount = put(dashboard, key, "amount", True, True)
    assert status == 200, amount
    # Then each answer is the property's state: active a few seconds from now, not backfilled, not capped
    assert (plan["event_type"], plan["property"], plan["rollup"]["measure"]) == ("checkout", "plan", None)
    active_from = datetime.fromisoformat(plan["rollup"]["dimension"]["active_from"])
    assert NOW < active_from < datetime.now(UTC) + timedelta(minutes=1)
    assert plan["rollup"]["dimension"]["backfilled_at"] is None
    assert plan["rollup"]["dimension"]["capped_at"] is None
    # And the catalog shows the same per property
    shown = states(dashboard, key)
    assert shown["plan"] == plan["rollup"]
    assert shown["amount"] == amount["rollup"]
    assert set(shown["amount"]) == {"dimension", "measure"}
    assert shown["n0"] == {"dimension": None, "measure": None}
    # And marking again changes nothing (the same active_from)
    assert put(dashboard, key, "plan", True, False)[1] == plan


def test_a_measure_must_be_numeric_and_each_role_caps_at_five(
    dashboard: Dashboard, tenant: tuple[TenantRef, str]
) -> None:
    _, key = tenant
    # A string property cannot be a measure, and a refused request changes nothing
    status, body = put(dashboard, key, "plan", True, True)
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "not_numeric", "measure")
    assert states(dashboard, key)["plan"] == {"dimension": None, "measure": None}
    # Five dimensions and five measures fit; a sixth of either does not
    for i in range(5):
        assert put(dashboard, key, f"s{i}", True, False)[0] == 200
        assert put(dashboard, key, f"n{i}", False, True)[0] == 200
    status, body = put(dashboard, key, "s5", True, False)
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "too_many_rollups", "dimension")
    status, body = put(dashboard, key, "n5", False, True)
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "too_many_rollups", "measure")
    # Unmarking one makes room
    assert put(dashboard, key, "s0", False, False)[0] == 200
    assert put(dashboard, key, "s5", True, False)[0] == 200


def test_unmarking_deletes_the_rollup_and_its_rows(dashboard: Dashboard, tenant: tuple[TenantRef, str]) -> None:
    ref, key = tenant
    # Given plan (dimension) and amount (measure) with rows written by the aggregator
    assert put(dashboard, key, "plan", True, False)[0] == 200
    assert put(dashboard, key, "amount", False, True)[0] == 200
    later = datetime.now(UTC) + timedelta(minutes=1)  # received after active_from
    dashboard.ingest([envelope(ref, "checkout", at=later, received=later, properties=PROPS)], now=later)
    db = connect(dashboard.api.database)
    try:
        rows = "SELECT dimension, measure FROM property_rollup_hour WHERE tenant_id = :t ORDER BY 1, 2"
        assert db.run(rows, t=ref.tenant_id) == [["", "amount"], ["plan", ""], ["plan", "amount"]]
        assert summary_rows(db, ref.tenant_id) == 4  # plan's day and hour total, alone and paired with amount
        # When plan is unmarked Then its rows go, with the pair it formed with amount, and their summaries
        # (the tenant role deletes; the trigger that subtracts runs as the summaries' owner)
        status, body = put(dashboard, key, "plan", False, False)
        assert (status, body["rollup"]) == (200, {"dimension": None, "measure": None})
        assert db.run(rows, t=ref.tenant_id) == [["", "amount"]]
        assert (summary_rows(db, ref.tenant_id), summary_mismatches(db, ref.tenant_id)) == (0, [])
        # And when amount is unmarked, nothing is left
        assert put(dashboard, key, "amount", False, False)[0] == 200
        assert db.run(rows, t=ref.tenant_id) == []
        assert db.run("SELECT count(*) FROM property_rollups WHERE tenant_id = :t", t=ref.tenant_id) == [[0]]
    finally:
        db.close()


def test_bad_requests_name_the_field_and_scope_and_tenant_are_checked(
    dashboard: Dashboard, tenant: tuple[TenantRef, str]
) -> None:
    ref, key = tenant
    for body, field in (({"dimension": True}, "measure"), ({"dimension": "yes", "measure": False}, "dimension")):
        status, answer = dashboard.call("PUT", rollup("checkout", "plan"), key, body=body)
        assert (status, answer["error"]["field"]) == (400, field), answer
    status, answer = dashboard.call("PUT", rollup("checkout", "plan"), key, body=b"{")
    assert (status, answer["error"]["code"]) == (400, "malformed_json")
    ok = {"dimension": True, "measure": False}
    for path, code in (
        (rollup("checkout", "nope"), "property_not_found"),
        (rollup("nope", "plan"), "property_not_found"),
    ):
        status, answer = dashboard.call("PUT", path, key, body=ok)
        assert (status, answer["error"]["code"]) == (404, code)
    slug = next(s for s, t in dashboard.api.tenants.items() if t == ref.tenant_id)
    status, answer = dashboard.call("PUT", rollup("checkout", "plan"), dashboard.api.key(slug, Scope.READ), body=ok)
    assert (status, answer["error"]["code"]) == (403, "missing_scope")
    _, other = dashboard.tenant()
    assert dashboard.call("PUT", rollup("checkout", "plan"), other, body=ok)[0] == 404
    assert states(dashboard, key)["plan"] == {"dimension": None, "measure": None}
