"""The dashboard bench's trend figures (issue 18): "Breakdown, 30 days x 1 hour, one type, top 10 values: p95
under 300 ms" and "Numeric sum per day over 30 days, with one property filter: p95 under 300 ms", each as
GET /v1/insights/trend beside the adapter in-process and its statement run directly.

All read tenant 1's most used type (about 700,000 events over the 30 days). One breakdown is by ``amount``
(500 distinct values, so top 10 + "other" is a real ranking over 360,000 hourly rows), one by ``plan`` (4
values); the sum is of ``amount`` where plan = "pro".
Rollups are marked for that type as a person would (dimensions ``plan`` and ``amount``, measure ``amount``)
and backfilled once with the aggregator's own backfill (``pg_rollup_backfill``), recorded in the data set's
state so later runs reuse them. Both answers must come from the rollups (``source``); the bench says so
when they do not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pg8000.native
from dashboard_fixtures import BenchFixtures

from customersignal.adapters.pg_metrics_read import PostgresMetricsReader
from customersignal.adapters.pg_rollup_backfill import backfill_rollups
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.pg_trend import PostgresRawTrends, PostgresRollupTrends
from customersignal.domain import trend
from customersignal.domain.query_params import QueryParams

TREND_GOAL_MS = 300.0
MARKS = (("plan", "dimension"), ("amount", "dimension"), ("amount", "measure"))
STATE_KEY = "rollups:v1"


def ensure_rollups(db: pg8000.native.Connection, tenant: Any, event_type: str, anchor: datetime) -> None:
    """Mark and backfill the bench type's rollups once (the data set's state remembers it)."""
    if db.run("SELECT 1 FROM bench_dataset WHERE key = :k", k=STATE_KEY):
        return
    started = time.perf_counter()
    print(f"marking and backfilling rollups of {event_type} (once per data set) ...", flush=True)
    active_from = anchor + timedelta(minutes=1)  # after every generated event's receive time
    for name, role in MARKS:
        db.run(
            "INSERT INTO property_rollups (tenant_id, event_type, property_name, role, active_from)"
            " VALUES (:t, :e, :p, :r, :a) ON CONFLICT DO NOTHING",
            t=tenant,
            e=event_type,
            p=name,
            r=role,
            a=active_from,
        )
    # ``now`` for the readiness check: the data set's freshness stops at its anchor, and nothing is in flight
    results = list(backfill_rollups(db, active_from + timedelta(days=1), "dash-bench-1"))
    if not all(result.done for result in results):
        raise RuntimeError(f"the rollup backfill did not finish: {results}")
    db.run("VACUUM (ANALYZE) property_rollup_hour")
    rows = sum(result.rows for result in results)
    db.run(
        "INSERT INTO bench_dataset (key, value) VALUES (:k, CAST(:v AS jsonb))",
        k=STATE_KEY,
        v=json.dumps({"rows": rows}),
    )
    print(f"  {rows:,} rollup rows in {time.perf_counter() - started:.0f} s", flush=True)


def trend_params(fx: BenchFixtures, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    end = fx.dataset.anchor
    start = end - timedelta(days=30)
    span = [("start", _iso(start)), ("end", _iso(end))]
    return [("type", fx.dataset.types[0]), *span, *extra]


def trend_cases(fx: BenchFixtures, case: Callable[..., Any]) -> list[Any]:
    """``case`` is dashboard_bench.Case: (name, goal, api, baselines, status)."""
    pro = json.dumps({"property": "plan", "op": "eq", "value": "pro"})
    variants = [
        (
            "breakdown 30 d x 1 h, by amount (500 values), top 10",
            [("interval", "1h"), ("breakdown", "amount"), ("limit", "10")],
        ),
        (
            "breakdown 30 d x 1 h, by plan (4 values)",
            [("interval", "1h"), ("breakdown", "plan"), ("limit", "10")],
        ),
        (
            "sum of amount per day x 30 d, plan = pro",
            [("interval", "1d"), ("measure", "sum"), ("property", "amount"), ("filter", pro)],
        ),
    ]
    return [trend_case(fx, case, name, trend_params(fx, extra)) for name, extra in variants]


def trend_case(fx: BenchFixtures, case: Callable[..., Any], name: str, params: list[tuple[str, str]]) -> Any:
    query = trend.parse_trend_query(QueryParams(dict(params)), [v for k, v in params if k == "filter"])

    def adapter(db: TenantDatabase) -> object:
        rollups = PostgresRollupTrends(db)
        return trend.insight_trend(
            fx.tenant,
            query,
            rollups=rollups,
            rollup_reader=rollups,
            raw_reader=PostgresRawTrends(db),
            watermark=PostgresMetricsReader(db),
            now=datetime.now(UTC),
        )

    statements = fx.capture(adapter)  # the usable rollups, then the trend

    def sql() -> object:
        with fx.tenant_db.transaction(fx.tenant) as db:
            return db.run(statements[-1].sql, **statements[-1].params)

    status, body = fx.client.get("/v1/insights/trend", params)
    if status == 200:
        answer = orjson.loads(body)
        print(f"  {name}: source {answer['source']}, {len(answer['series'])} series", flush=True)
        if answer["source"] != "rollup":
            print(f"  {name}: NOT from the rollups: the figure times the raw path", flush=True)
    else:
        print(f"  {name}: the API answers {status} ({body[:200]!r})", flush=True)
    return case(
        name,
        TREND_GOAL_MS,
        lambda: fx.client.get("/v1/insights/trend", params),
        {"adapter": lambda: adapter(fx.tenant_db), "SQL": sql},
        status,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
