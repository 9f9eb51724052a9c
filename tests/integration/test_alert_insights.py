"""Alert rules on filtered and summed metrics, against hand-computed windows of raw events (real Postgres).

Rules are saved through the admin store (so their filters and property round-trip through the table), read
back by the evaluator's store, and judged by the evaluator: a summed, filtered rule fires with the window's
exact value, an average of no values is NODATA (not 0), and another tenant's events never count.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.adapters.pg_alert_admin import PostgresRuleStore
from customersignal.adapters.pg_alert_store import PostgresAlertStore
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.postgres import connect
from customersignal.domain.alert_evaluation import WindowRequest, evaluate_rules
from customersignal.domain.alert_fast_path import check_fast_path
from customersignal.domain.alert_rules import parse_rule
from customersignal.domain.property_filters import parse_filters
from customersignal.settings import PostgresSettings
from tests.support.rollups import fill_rollups, scratch_database

pytestmark = pytest.mark.integration

END = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # the evaluated window is [11:55, 12:00)
# (minutes before END, user, properties): the 5-minute window holds the first five, the previous one the rest
EVENTS = [
    (1, "u1", {"plan": "pro", "amount": 10}),
    (2, "u2", {"plan": "pro", "amount": 2.5}),
    (3, "u1", {"plan": "pro", "amount": "7"}),  # a string: no amount
    (4, "u3", {"plan": "free", "amount": 100}),
    (5, "u4", {"amount": 1}),  # 11:55 exactly: inside
    (6, "u5", {"plan": "pro", "amount": 4}),  # 11:54: the previous window
    (0, "u6", {"plan": "pro", "amount": 1000}),  # 12:00: the next window
]
# 'order' events over hours, with plan a rolled-up dimension and amount a measure: a 2-hour window ending at
# 12:30 is [10:30, 11:00) raw + [11:00, 12:00) rollup + [12:00, 12:30) raw; the previous one [08:30, 10:30)
ORDER_END = datetime(2026, 3, 7, 12, 30, tzinfo=UTC)
ORDERS = [
    ("10:20", "u9", {"plan": "pro", "amount": 100}),  # the previous window
    ("10:40", "u1", {"plan": "pro", "amount": 3}),
    ("11:10", "u2", {"plan": "pro", "amount": 5}),
    ("11:50", "u1", {"plan": "free", "amount": 7}),
    ("12:10", "u3", {"plan": "pro", "amount": 11}),
    ("12:40", "u9", {"plan": "pro", "amount": 100}),  # after the window
]


def insert(db: Any, tenant: uuid.UUID, project: uuid.UUID, kind: str, user: str, at: datetime, props: Any) -> None:
    db.run(
        "INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, occurred_at, received_at,"
        " properties) VALUES (:t, :p, gen_random_uuid(), :kind, :u, :at, :at, CAST(:props AS jsonb))",
        t=tenant, p=project, kind=kind, u=user, at=at, props=json.dumps(props),
    )  # fmt: skip


@dataclass(frozen=True)
class World:
    own: PostgresSettings
    tenant: uuid.UUID


@pytest.fixture(scope="module")
def world(settings: Any, pg_template: str) -> Iterator[World]:
    with scratch_database(settings, pg_template, "cs_alert_insights", "2026-03-06", "2026-03-08") as (own, db):
        tenants = []
        for slug in ("alerts-a", "alerts-b"):
            tenant = db.run("INSERT INTO tenants (slug, name) VALUES (:s, :s) RETURNING id", s=slug)[0][0]
            project = db.run(
                "INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'p', 'P') RETURNING id", t=tenant
            )[0][0]
            # tenant B holds the same events ten times over: none may reach A's windows
            for _ in range(1 if slug == "alerts-a" else 10):
                for minutes, user, props in EVENTS:
                    at = END - timedelta(minutes=minutes)
                    insert(db, tenant, project, "checkout", user, at, props)
                for clock, user, props in ORDERS:
                    at = datetime.fromisoformat(f"2026-03-07T{clock}:00+00:00")
                    insert(db, tenant, project, "order", user, at, props)
            db.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, 'order')", t=tenant)
            fill_rollups(db, tenant, ("plan",), ("amount",), event_type="order")
            tenants.append(tenant)
        yield World(own, tenants[0])


def window(
    world: World, metric: str, *filters: dict[str, Any], prop: str | None = None, kind: str = "checkout"
) -> list[float | None]:
    store = PostgresAlertStore(lambda: connect(world.own), "http://dashboard.test")
    end, width = (END, 300) if kind == "checkout" else (ORDER_END, 7200)
    ends = (end, end - timedelta(seconds=width))
    try:
        return store.window_values(
            WindowRequest(world.tenant, kind, metric, width, ends, prop, parse_filters(list(filters)))
        )
    finally:
        store.close()


PRO = {"property": "plan", "op": "eq", "value": "pro"}


@pytest.mark.parametrize(
    ("metric", "prop", "filters", "expected"),
    [
        ("count", None, [PRO], [3.0, 1.0]),
        ("count", None, [{"property": "plan", "op": "is_not_set"}], [1.0, 0.0]),
        ("unique_users", None, [PRO], [2.0, 1.0]),
        ("sum", "amount", [], [113.5, 4.0]),
        ("sum", "amount", [PRO], [12.5, 4.0]),
        ("avg", "amount", [PRO], [6.25, 4.0]),
        ("min", "amount", [{"property": "amount", "op": "gt", "value": 2}], [2.5, 4.0]),
        ("max", "amount", [{"property": "plan", "op": "in", "value": ["pro", "free"]}], [100.0, 4.0]),
        ("avg", "amount", [{"property": "plan", "op": "eq", "value": "team"}], [None, None]),  # no values at all
        ("sum", "amount", [{"property": "plan", "op": "eq", "value": "team"}], [0.0, 0.0]),
    ],
)
def test_window_values_of_filtered_and_summed_rules(
    world: World, metric: str, prop: str | None, filters: list[dict[str, Any]], expected: list[float | None]
) -> None:
    assert window(world, metric, *filters, prop=prop) == expected


@pytest.mark.parametrize(
    ("metric", "prop", "filters", "expected"),
    [
        ("count", None, [PRO], [3.0, 1.0]),
        ("unique_users", None, [PRO], [3.0, 1.0]),
        ("sum", "amount", [PRO], [19.0, 100.0]),
        ("sum", "amount", [], [26.0, 100.0]),
        ("avg", "amount", [], [6.5, 100.0]),
        ("min", "amount", [PRO], [3.0, 100.0]),
        ("max", "amount", [{"property": "plan", "op": "in", "value": ["pro", "free"]}], [11.0, 100.0]),
        ("count", None, [{"property": "plan", "op": "neq", "value": "pro"}], [1.0, 0.0]),
        ("count", None, [{"property": "amount", "op": "gt", "value": 4}], [3.0, 1.0]),  # not a dimension: raw
    ],
)
def test_whole_hours_from_rollups_and_ragged_ends_from_raw_events(
    world: World, metric: str, prop: str | None, filters: list[dict[str, Any]], expected: list[float | None]
) -> None:
    assert window(world, metric, *filters, prop=prop, kind="order") == expected


def test_the_whole_hours_really_come_from_the_rollup(world: World) -> None:
    # Given a rollup row that no raw event backs, in the window's whole hour (11:00) and in its raw head (10:00)
    db = connect(world.own)
    extra = (
        "INSERT INTO property_rollup_hour (tenant_id, event_type, dimension, dim_value, measure, bucket_start,"
        " event_count, users) VALUES (:t, 'order', 'plan', '\"ghost\"', '', :at, 1000, NULL)"
    )
    try:
        db.run(extra, t=world.tenant, at=datetime(2026, 3, 7, 11, tzinfo=UTC))
        db.run(extra, t=world.tenant, at=datetime(2026, 3, 7, 10, tzinfo=UTC))
        # Then only the whole hour's row counts: the rollup answers 11:00-12:00, the raw events the rest
        assert window(world, "count", {"property": "plan", "op": "is_set"}, kind="order") == [1004.0, 1.0]
    finally:
        db.run("DELETE FROM property_rollup_hour WHERE tenant_id = :t AND dim_value = '\"ghost\"'", t=world.tenant)
        db.close()


def test_plain_rules_still_read_the_metrics_tables(world: World) -> None:
    # no metrics rows were written for these raw events: a plain count rule reads 0, proving which path it takes
    assert window(world, "count") == [0, 0]


class CaughtUp:
    def caught_up(self) -> bool:
        return True


def save(world: World, body: dict[str, Any]) -> uuid.UUID:
    rules = PostgresRuleStore(TenantDatabase(lambda: connect(world.own)))
    base = {"event_type": "checkout", "window_seconds": 300}
    saved = rules.save(world.tenant, None, parse_rule(json.dumps(base | body).encode()))
    assert saved is not None
    return saved.id


def test_a_filtered_sum_rule_fires_with_the_windows_value_and_an_empty_average_is_nodata(world: World) -> None:
    # Given a rule on the pro plan's revenue above 12, one on the team plan's average, and they round-trip
    fires = save(world, {"name": "pro revenue", "metric": "sum", "property": "amount", "filters": [PRO],
                         "condition": {"kind": "threshold", "operator": "above", "value": 12}})  # fmt: skip
    empty = save(world, {"name": "team average", "metric": "avg", "property": "amount",
                         "filters": [{"property": "plan", "op": "eq", "value": "team"}],
                         "condition": {"kind": "threshold", "operator": "above", "value": 1}})  # fmt: skip
    rules = PostgresRuleStore(TenantDatabase(lambda: connect(world.own)))
    stored = rules.get(world.tenant, fires)
    assert stored is not None
    assert (stored.metric, stored.property, stored.filters) == ("sum", "amount", [PRO])
    # When the evaluator judges the window that ends at END
    store = PostgresAlertStore(lambda: connect(world.own), "http://dashboard.test")
    try:
        report = evaluate_rules(store, CaughtUp(), END + timedelta(seconds=5), trace_id="0" * 32)
    finally:
        store.close()
    assert report.errors == []
    # Then the revenue rule fires with 12.5, and the empty average is NODATA
    db = connect(world.own)
    try:
        states = dict(db.run("SELECT rule_id, state FROM alert_states WHERE rule_id IN (:a, :b)", a=fires, b=empty))
        history = db.run("SELECT to_state, observed_value FROM alert_history WHERE rule_id = :r", r=fires)
    finally:
        db.close()
    assert states == {fires: "FIRING", empty: "NODATA"}
    assert history == [["FIRING", 12.5]]


def test_a_filtered_count_rule_takes_the_fast_path(world: World) -> None:
    # Given a rule on pro checkouts above 2 in 5 minutes (fast: count, above, fires at once), and one above 3
    fast = save(world, {"name": "pro checkouts", "metric": "count", "filters": [PRO],
                        "condition": {"kind": "threshold", "operator": "above", "value": 2}})  # fmt: skip
    quiet = save(world, {"name": "many pro checkouts", "metric": "count", "filters": [PRO],
                         "condition": {"kind": "threshold", "operator": "above", "value": 3}})  # fmt: skip
    # When the fast path runs right after a batch counted checkouts, inside the minute before END
    store = PostgresAlertStore(lambda: connect(world.own), "http://dashboard.test")
    try:
        report = check_fast_path(store, {(world.tenant, "checkout")}, END - timedelta(seconds=30), "0" * 32)
    finally:
        store.close()
    # Then the window ending at END holds 3 pro checkouts: the first rule fires now, the second does not
    assert report.transitions == 1
    db = connect(world.own)
    try:
        states = dict(db.run("SELECT rule_id, state FROM alert_states WHERE rule_id IN (:a, :b)", a=fast, b=quiet))
        observed = db.run("SELECT observed_value FROM alert_history WHERE rule_id = :r", r=fast)
    finally:
        db.close()
    assert states == {fast: "FIRING", quiet: "OK"}
    assert observed == [[3.0]]


def test_replacing_the_filters_or_property_restarts_the_rule_and_renaming_does_not(world: World) -> None:
    rules = PostgresRuleStore(TenantDatabase(lambda: connect(world.own)))
    body = {"name": "revenue", "event_type": "checkout", "window_seconds": 300, "metric": "sum", "property": "amount",
            "filters": [PRO], "condition": {"kind": "threshold", "operator": "above", "value": 5}}  # fmt: skip
    rule_id = save(world, body)
    db = connect(world.own)

    def replace_from_firing(**changes: Any) -> str:
        db.run("UPDATE alert_states SET state = 'FIRING' WHERE rule_id = :r", r=rule_id)
        saved = rules.save(world.tenant, rule_id, parse_rule(json.dumps(body | changes).encode()))
        assert saved is not None
        return saved.status.state

    try:
        assert replace_from_firing(name="revenue (renamed)") == "FIRING"
        assert replace_from_firing(filters=[{"property": "plan", "op": "eq", "value": "free"}]) == "OK"
        assert replace_from_firing(property="price") == "OK"
        assert replace_from_firing(metric="avg") == "OK"
    finally:
        db.close()
