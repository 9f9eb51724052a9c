"""Breakdowns answered from the rollup summaries (migration 0015) against the raw events, real Postgres.

The summaries rank values on whole UTC days and take "other" as the hour's total less the top values. The
events below are placed to catch the ways that goes wrong: "de" has most events on the first and last UTC
days of the range, but outside it (a ranking on whole days would put it first); "jp" and "us" tie (the key
breaks it, as on raw events); one event has no country. The range is three New York days, so both ends are
partial UTC days. Expected values are worked out from EVENTS by hand.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from customersignal.adapters.pg_metrics_read import PostgresMetricsReader
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.pg_trend import PostgresRawTrends, PostgresRollupTrends
from customersignal.adapters.postgres import connect
from customersignal.domain.query_params import QueryParams
from customersignal.domain.trend import insight_trend, parse_trend_query
from customersignal.domain.trend_models import TrendResponse
from customersignal.settings import PostgresSettings
from tests.support.rollups import (
    NoRollups,
    fill_rollups,
    insert_events,
    new_tenant,
    scratch_database,
    summary_mismatches,
)

pytestmark = pytest.mark.integration

NY = ZoneInfo("America/New_York")
START, END = datetime(2026, 3, 7, tzinfo=NY), datetime(2026, 3, 10, tzinfo=NY)  # 05:00Z to 04:00Z (DST)


def at(moment: str, country: str | None, amount: float) -> tuple[str, None, str, None, dict[str, Any]]:
    props: dict[str, Any] = {"amount": amount} | ({"country": country} if country else {})
    return (moment, None, f"u-{moment}", None, props)


EVENTS = [
    *(at(f"2026-03-07T02:0{i}:00Z", "de", 100) for i in range(5)),  # before the range, its first UTC day
    at("2026-03-07T06:00:00Z", "de", 1),
    at("2026-03-07T20:00:00Z", "fr", 10),
    at("2026-03-08T01:00:00Z", "us", 50),  # NY day 7 (20:00 EST)
    at("2026-03-08T06:00:00Z", None, 4),
    at("2026-03-08T12:00:00Z", "fr", 20),
    at("2026-03-09T12:00:00Z", "fr", 30),
    at("2026-03-09T23:00:00Z", "jp", 7),
    at("2026-03-10T02:00:00Z", "jp", 8),  # the last UTC day, inside the range
    at("2026-03-10T03:00:00Z", "us", 5),
    *(at(f"2026-03-10T10:0{i}:00Z", "de", 100) for i in range(4)),  # after the range, its last UTC day
]


@dataclass(frozen=True)
class World:
    own: PostgresSettings
    tenant: uuid.UUID


@pytest.fixture(scope="module")
def world(settings: Any, pg_template: str) -> Iterator[World]:
    with scratch_database(settings, pg_template, "cs_trend_sum", "2026-03-06", "2026-03-11") as (own, db):
        tenant, project = new_tenant(db, "summaries")
        insert_events(db, tenant, project, EVENTS, "checkout")
        fill_rollups(db, tenant, ("country",), ("amount",))
        assert summary_mismatches(db, tenant) == []
        yield World(own, tenant)


def trend(world: World, params: dict[str, str], *, rollups: bool, filters: tuple[str, ...] = ()) -> TrendResponse:
    db = TenantDatabase(lambda: connect(world.own))
    reader = PostgresRollupTrends(db)
    query = {"type": "checkout", "start": START.isoformat(), "end": END.isoformat(), "tz": "America/New_York"}
    parsed = parse_trend_query(QueryParams(query | params), list(filters))
    catalog = reader if rollups else NoRollups()
    return insight_trend(
        world.tenant,
        parsed,
        rollups=catalog,
        rollup_reader=reader,
        raw_reader=PostgresRawTrends(db),
        watermark=PostgresMetricsReader(db),
        now=datetime.now(UTC),
    )


def table(answer: TrendResponse) -> list[tuple[Any, Any, list[Any]]]:
    return [(s.key, s.total, [p["value"] for p in s.points]) for s in answer.series]


@pytest.mark.parametrize(
    ("measure", "limit", "expected"),
    [
        ("count", "1", [("fr", 3, [1, 1, 1]), ("$other", 6, [2, 1, 3])]),
        ("count", "2", [("fr", 3, [1, 1, 1]), ("jp", 2, [0, 0, 2]), ("$other", 4, [2, 1, 1])]),
        ("sum", "1", [("fr", 60.0, [10.0, 20.0, 30.0]), ("$other", 75.0, [51.0, 4.0, 20.0])]),
        (
            "avg",
            "2",
            [("us", 27.5, [50.0, None, 5.0]), ("fr", 20.0, [10.0, 20.0, 30.0]), ("$other", 5.0, [1.0, 4.0, 7.5])],
        ),
    ],
)
def test_ranks_on_the_range_not_on_its_whole_utc_days(
    world: World, measure: str, limit: str, expected: list[Any]
) -> None:
    extra = {"property": "amount"} if measure != "count" else {}
    params = {"measure": measure, "breakdown": "country", "limit": limit, "interval": "1d", **extra}
    answer = trend(world, params, rollups=True)
    assert answer.source == "rollup"
    assert table(answer) == expected


@pytest.mark.parametrize("measure", ["count", "sum", "avg", "unique_users", "min", "max"])
@pytest.mark.parametrize("interval", ["1h", "1d"])
@pytest.mark.parametrize("limit", ["1", "2", "3", "10"])
def test_every_breakdown_equals_the_raw_events(world: World, measure: str, interval: str, limit: str) -> None:
    extra = {"property": "amount"} if measure not in ("count", "unique_users") else {}
    params = {"measure": measure, "breakdown": "country", "limit": limit, "interval": interval, **extra}
    summarised, raw = trend(world, params, rollups=True), trend(world, params, rollups=False)
    assert (summarised.source, raw.source) == ("rollup", "raw")
    assert table(summarised) == table(raw)


def test_a_filtered_breakdown_reads_the_hours_and_agrees(world: World) -> None:
    # a filter on the breakdown's own dimension: "other" is not the hour's total less the top, so the
    # summaries do not answer it; the hourly rows do, and must agree with the raw events
    where = json.dumps({"property": "country", "op": "neq", "value": "fr"})
    params = {"breakdown": "country", "limit": "1", "interval": "1d"}
    summarised = trend(world, params, rollups=True, filters=(where,))
    raw = trend(world, params, rollups=False, filters=(where,))
    assert (summarised.source, raw.source) == ("rollup", "raw")
    assert table(summarised) == table(raw)
    assert [s.key for s in summarised.series] == ["jp", "$other"]
