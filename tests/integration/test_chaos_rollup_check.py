"""The chaos run's rollup check (tests/chaos/rollups.py) over real Postgres: rollups equal to the raw events
pass, and a row counted twice or missing is reported as double-counted or lost, with its cell; the same
for the rollups' summaries (migration 0015)."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any

import pg8000.native
import pytest

from tests.chaos.rollups import COMPARISONS, DIMENSION, EVENT_TYPE, MEASURE, compare
from tests.support.rollups import fill_rollups

pytestmark = pytest.mark.integration

# (hour, plan, amount): two hours, three plans, one event without an amount
PURCHASES = [("10", "pro", 30), ("10", "pro", 12), ("10", "free", None), ("11", "team", 7), ("11", "pro", 100)]


def seeded(db: pg8000.native.Connection) -> str:
    db.run("SELECT ensure_event_partitions(DATE '2026-03-06', DATE '2026-03-09')")
    tenant = db.run("INSERT INTO tenants (slug, name) VALUES ('chaos', 'chaos') RETURNING id")[0][0]
    project = db.run("INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'load', 'load') RETURNING id", t=tenant)
    for name in (EVENT_TYPE, "signup"):
        db.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, :n)", t=tenant, n=name)
    rows: list[tuple[str, str, dict[str, Any]]] = [
        (hour, EVENT_TYPE, {DIMENSION: plan} | ({} if amount is None else {MEASURE: amount}))
        for hour, plan, amount in PURCHASES
    ]
    rows.append(("10", "signup", {DIMENSION: "pro", MEASURE: 5}))  # another type: not in the comparison
    for hour, event_type, props in rows:
        db.run(
            "INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, occurred_at, received_at, "
            "properties) VALUES (:t, :p, gen_random_uuid(), :e, 'u1', CAST(:at AS timestamptz), "
            "CAST(:at AS timestamptz), CAST(:props AS jsonb))",
            t=tenant, p=project[0][0], e=event_type, at=f"2026-03-07T{hour}:15:00Z", props=json.dumps(props),
        )  # fmt: skip
    fill_rollups(db, tenant, [DIMENSION], [MEASURE], event_type=EVENT_TYPE)
    return str(tenant)


def test_rollups_equal_to_the_raw_events_pass_and_any_difference_is_named(pg: pg8000.native.Connection) -> None:
    # Given rollups filled from the raw events
    tenant = seeded(pg)
    table, sql = COMPARISONS[0]
    # Then every cell agrees: plan rows, amount over all, amount per plan; each purchase in 3 cells
    clean = compare(pg, table, sql, tenant)
    assert (clean.cells, clean.events, clean.lost, clean.double_counted, clean.mismatches) == (
        4 + 2 + 4, 3 * len(PURCHASES), 0, 0, []
    )  # fmt: skip

    # When one cell counts an event twice and another loses its events
    pg.run(
        "UPDATE property_rollup_hour SET event_count = event_count + 1 WHERE tenant_id = :t AND measure = '' "
        "AND dim_value = '\"free\"'",
        t=uuid.UUID(tenant),
    )
    pg.run(
        "DELETE FROM property_rollup_hour WHERE tenant_id = :t AND event_type = :e AND dimension = :d "
        "AND measure = :m AND dim_value = '\"pro\"' AND bucket_start = '2026-03-07T10:00:00Z'",
        t=uuid.UUID(tenant), e=EVENT_TYPE, d=DIMENSION, m=MEASURE,
    )  # fmt: skip
    broken = compare(pg, table, sql, tenant)

    # Then both are reported, by kind and by cell
    assert (broken.double_counted, broken.lost, broken.sum_lost, broken.sum_double_counted) == (1, 2 + 2, 42.0, 0.0)
    assert sorted(broken.mismatches) == [
        '2026-03-07T10Z plan "free": stored 2/0/0, raw 1/0/0',
        '2026-03-07T10Z plan "pro" amount: stored 0/0/0, raw 2/2/42',
    ]


def test_the_summaries_are_compared_with_the_raw_events_too(pg: pg8000.native.Connection) -> None:
    # Given rollups filled from the raw events, and so their summaries (kept by migration 0015's triggers)
    tenant = seeded(pg)
    checks = {table: compare(pg, table, sql, tenant) for table, sql in COMPARISONS}
    # Then each agrees: days are (plan value, measure) per UTC day; hour totals are (plan, measure) per hour
    shape = {table: (c.cells, c.lost, c.double_counted, c.mismatches) for table, c in checks.items()}
    assert shape == {
        "property_rollup_hour": (10, 0, 0, []),
        "property_rollup_day": (3 + 3, 0, 0, []),
        "property_rollup_hour_total": (2 + 2, 0, 0, []),
    }
    # And the figures are plain numbers (results.json is written with the json module)
    json.dumps({table: asdict(check) for table, check in checks.items()})
    # When a day summary drifts from the hours (written behind the triggers' back)
    pg.run(
        "UPDATE property_rollup_day SET event_count = event_count + 1 WHERE tenant_id = :t AND measure = '' "
        "AND dim_value = '\"team\"'",
        t=uuid.UUID(tenant),
    )
    table, sql = COMPARISONS[1]
    drifted = compare(pg, table, sql, tenant)
    # Then it is named
    assert (drifted.double_counted, drifted.mismatches) == (1, ['2026-03-07 plan "team": stored 2/0/0, raw 1/0/0'])
