"""Trend insights against hand-computed answers from the raw events (real Postgres, under RLS).

Ten checkout events of one tenant over three local days in America/New_York, across the spring DST change
(2026-03-08 02:00 local, so that day is 23 hours long), one of them late (received two days after it
happened), plus a 'view' and another tenant's checkout that must never be counted. Every expected value
below is worked out from the table in EVENTS, not read back from the code.

``fill_rollups`` (tests/support/rollups.py) builds property_rollup_hour from the same raw events with an
aggregation written independently of the aggregator's and the backfill's (tests/integration/test_rollups_*
check those against the raw events); the rollup path must then give the raw path's answers.
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
from customersignal.domain.errors import Unprocessable
from customersignal.domain.query_params import QueryParams
from customersignal.domain.trend import insight_trend, parse_trend_query
from customersignal.domain.trend_models import TrendResponse
from customersignal.settings import PostgresSettings
from tests.support.rollups import NoRollups, fill_rollups, insert_events, new_tenant, scratch_database

pytestmark = pytest.mark.integration

NY = ZoneInfo("America/New_York")
START, END = datetime(2026, 3, 7, tzinfo=NY), datetime(2026, 3, 10, tzinfo=NY)

# (occurred_at UTC, received_at UTC or None = occurred, user, anonymous id, properties)
EVENTS: list[tuple[str, str | None, str | None, str | None, dict[str, Any]]] = [
    ("2026-03-07T12:00:00Z", None, "u1", None, {"plan": "pro", "amount": 10}),  # NY day 7
    ("2026-03-07T13:00:00Z", None, "u2", None, {"plan": "pro", "amount": 20.5}),  # day 7
    ("2026-03-07T14:00:00Z", None, "u1", None, {"plan": "free", "amount": "5"}),  # day 7, amount not a number
    ("2026-03-08T04:30:00Z", None, "u3", None, {"plan": "team", "amount": 7}),  # 23:30 EST: still day 7
    ("2026-03-08T05:30:00Z", None, "u1", None, {"plan": "pro", "amount": 1}),  # 00:30 EST: day 8
    ("2026-03-09T04:30:00Z", None, None, "a9", {"plan": "pro"}),  # 00:30 EDT: day 9 (23:30 had it stayed EST)
    ("2026-03-09T12:00:00Z", None, "u2", None, {"plan": "free", "amount": -3, "coupon": "SPRING-sale"}),
    ("2026-03-09T13:00:00Z", None, "u4", None, {"amount": 100}),  # plan unset
    ("2026-03-09T14:00:00Z", None, "u5", None, {"plan": None, "amount": 2}),  # plan JSON null
    ("2026-03-07T15:00:00Z", "2026-03-09T15:00:00Z", "u6", None, {"plan": "pro", "amount": 4}),  # late, day 7
]
DIMENSIONS, MEASURES = ("plan", "coupon"), ("amount",)


@dataclass(frozen=True)
class World:
    own: PostgresSettings
    tenant: uuid.UUID
    other_tenant: uuid.UUID


@pytest.fixture(scope="module")
def world(settings: Any, pg_template: str) -> Iterator[World]:
    with scratch_database(settings, pg_template, "cs_trend", "2026-03-06", "2026-03-11") as (own, db):
        tenant, project = new_tenant(db, "trend-a")
        insert_events(db, tenant, project, EVENTS, "checkout")
        insert_events(db, tenant, project, [("2026-03-07T12:00:00Z", None, "u1", None, {"plan": "pro"})], "view")
        other, other_project = new_tenant(db, "trend-b")
        rich = {"plan": "pro", "amount": 1000, "coupon": "SPRING-sale"}
        insert_events(db, other, other_project, [("2026-03-07T12:00:00Z", None, "u1", None, rich)], "checkout")
        fill_rollups(db, tenant, DIMENSIONS, MEASURES)
        fill_rollups(db, other, DIMENSIONS, MEASURES)
        yield World(own, tenant, other)


class Trends:
    def __init__(self, world: World, *, rollups: bool) -> None:
        db = TenantDatabase(lambda: connect(world.own))
        self.world, self.rollups, self.raw = world, PostgresRollupTrends(db), PostgresRawTrends(db)
        self.watermark = PostgresMetricsReader(db)
        self.use_rollups = rollups

    def __call__(self, *filters: dict[str, Any], **params: str) -> TrendResponse:
        query = {"type": "checkout", "start": START.isoformat(), "end": END.isoformat(), "tz": "America/New_York"}
        parsed = parse_trend_query(QueryParams(query | params), [json.dumps(item) for item in filters])
        catalog = self.rollups if self.use_rollups else NoRollups()
        return insight_trend(
            self.world.tenant,
            parsed,
            rollups=catalog,
            rollup_reader=self.rollups,
            raw_reader=self.raw,
            watermark=self.watermark,
            now=datetime.now(UTC),
        )


@pytest.fixture(params=["raw", "rollup"])
def trends(request: pytest.FixtureRequest, world: World) -> Trends:
    return Trends(world, rollups=request.param == "rollup")


def table(answer: TrendResponse) -> list[tuple[Any, Any, list[Any]]]:
    return [(s.key, s.total, [p["value"] for p in s.points]) for s in answer.series]


def test_the_local_days_follow_the_dst_change(trends: Trends) -> None:
    answer = trends()
    starts = [p["bucket_start"] for p in answer.series[0].points]
    # the 8th is 23 hours long: midnight EST, then midnight EDT
    assert starts == [datetime(2026, 3, 7, 5, tzinfo=UTC), datetime(2026, 3, 8, 5, tzinfo=UTC),
                      datetime(2026, 3, 9, 4, tzinfo=UTC)]  # fmt: skip
    assert (answer.start, answer.end) == (starts[0], datetime(2026, 3, 10, 4, tzinfo=UTC))


@pytest.mark.parametrize(
    ("measure", "total", "values"),
    [
        ("count", 10, [5, 1, 4]),
        ("unique_users", 7, [4, 1, 4]),
        ("sum", 141.5, [41.5, 1.0, 99.0]),
        ("avg", 141.5 / 8, [41.5 / 4, 1.0, 33.0]),
        ("min", -3.0, [4.0, 1.0, -3.0]),
        ("max", 100.0, [20.5, 1.0, 100.0]),
    ],
)
def test_each_measure_per_local_day(trends: Trends, measure: str, total: float, values: list[float]) -> None:
    extra = {"property": "amount"} if measure not in ("count", "unique_users") else {}
    answer = trends(measure=measure, **extra)
    assert answer.source == ("rollup" if trends.use_rollups else "raw")
    assert table(answer) == [(None, total, values)]
    assert answer.series[0].label == "checkout"


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        # pro 5, then free and unset tie at 2 (ties by the value's jsonb order: null before strings), team 1
        ("count", [("pro", 5, [3, 1, 1]), (None, 2, [0, 0, 2]), ("$other", 3, [2, 0, 1])]),
        # other = free {u1, u2} and team {u3}: three people, u1 and u3 on the 7th
        ("unique_users", [("pro", 4, [3, 1, 1]), (None, 2, [0, 0, 2]), ("$other", 3, [2, 0, 1])]),
        # unset plan holds the 100; free's "5" is a string and adds nothing
        ("sum", [(None, 102.0, [0, 0, 102.0]), ("pro", 35.5, [34.5, 1.0, 0]), ("$other", 4.0, [7.0, 0, -3.0])]),
        # pro's event on the 9th has no amount: an empty bucket is null, not 0
        (
            "avg",
            [(None, 51.0, [None, None, 51.0]), ("pro", 8.875, [11.5, 1.0, None]), ("$other", 2.0, [7.0, None, -3.0])],
        ),
        (
            "max",
            [(None, 100.0, [None, None, 100.0]), ("pro", 20.5, [20.5, 1.0, None]), ("$other", 7.0, [7.0, None, -3.0])],
        ),
    ],
)
def test_breakdown_top_two_and_other(trends: Trends, measure: str, expected: list[Any]) -> None:
    extra = {"property": "amount"} if measure not in ("count", "unique_users") else {}
    answer = trends(measure=measure, breakdown="plan", limit="2", **extra)
    assert answer.source == ("rollup" if trends.use_rollups else "raw")
    assert table(answer) == expected
    assert [s.label for s in answer.series][-1] == "Other"
    assert "(not set)" in [s.label for s in answer.series]


def test_a_breakdown_with_room_for_every_value_has_no_other(trends: Trends) -> None:
    answer = trends(breakdown="plan")
    assert [(s.key, s.label, s.total) for s in answer.series] == [
        ("pro", "pro", 5),
        (None, "(not set)", 2),
        ("free", "free", 2),
        ("team", "team", 1),
    ]


@pytest.mark.parametrize(
    ("where", "values"),
    [
        ({"property": "plan", "op": "eq", "value": "pro"}, [3, 1, 1]),
        ({"property": "plan", "op": "neq", "value": "pro"}, [2, 0, 3]),  # unset and null plans count too
        ({"property": "plan", "op": "in", "value": ["free", "team"]}, [2, 0, 1]),
        ({"property": "coupon", "op": "contains", "value": "SALE"}, [0, 0, 1]),
        ({"property": "coupon", "op": "contains", "value": "%"}, [0, 0, 0]),  # a character, not a wildcard
        ({"property": "plan", "op": "is_set"}, [5, 1, 2]),
        ({"property": "plan", "op": "is_not_set"}, [0, 0, 2]),
        ({"property": "amount", "op": "gt", "value": 4.5}, [3, 0, 1]),  # the string "5" never matches
        ({"property": "amount", "op": "lt", "value": 2}, [0, 1, 1]),
        ({"property": "amount", "op": "eq", "value": 10.0}, [1, 0, 0]),  # JSON equality: 10.0 is 10
    ],
)
def test_each_filter_op(trends: Trends, where: dict[str, Any], values: list[int]) -> None:
    answer = trends(where)
    on_dimension = where["property"] in DIMENSIONS
    assert answer.source == ("rollup" if trends.use_rollups and on_dimension else "raw")
    assert table(answer) == [(None, sum(values), values)]


def test_filters_are_anded_and_a_sum_can_be_filtered(trends: Trends) -> None:
    pro = {"property": "plan", "op": "eq", "value": "pro"}
    assert table(trends(pro, {"property": "amount", "op": "gt", "value": 5})) == [(None, 2, [2, 0, 0])]
    answer = trends(pro, measure="sum", property="amount")
    assert answer.source == ("rollup" if trends.use_rollups else "raw")
    assert table(answer) == [(None, 35.5, [34.5, 1.0, 0])]


def test_a_filter_on_the_breakdown_itself(trends: Trends) -> None:
    answer = trends({"property": "plan", "op": "in", "value": ["pro", "team"]}, breakdown="plan")
    assert answer.source == ("rollup" if trends.use_rollups else "raw")
    assert table(answer) == [("pro", 5, [3, 1, 1]), ("team", 1, [1, 0, 0])]


def test_hours_across_the_dst_change_match_between_paths(world: World) -> None:
    raw, rollup = Trends(world, rollups=False), Trends(world, rollups=True)
    for params in ({"breakdown": "plan"}, {"measure": "unique_users"}, {"measure": "avg", "property": "amount"}):
        fast = rollup(interval="1h", **params)
        assert fast.source == "rollup"
        assert len(fast.series[0].points) == 71  # 72 hours less the one the clocks skip
        assert table(fast) == table(raw(interval="1h", **params))


def test_what_rollups_cannot_answer_goes_to_raw_events(world: World) -> None:
    rollup = Trends(world, rollups=True)
    # five-minute buckets, two dimensions at once, and an unmarked property
    assert rollup(interval="5m").source == "raw"
    assert rollup({"property": "coupon", "op": "is_set"}, breakdown="plan").source == "raw"
    assert rollup(breakdown="amount").source == "raw"
    assert table(rollup({"property": "coupon", "op": "is_set"}, breakdown="plan")) == [("free", 1, [0, 0, 1])]
    # a half-hour zone's local days do not fall on UTC hours
    assert rollup(tz="Asia/Kolkata").source == "raw"


def test_a_capped_or_unfinished_rollup_is_not_used(world: World) -> None:
    db = connect(world.own)
    try:
        db.run("UPDATE property_rollups SET capped_at = now() WHERE tenant_id = :t AND property_name = 'plan'",
               t=world.tenant)  # fmt: skip
        db.run("UPDATE property_rollups SET backfilled_at = NULL WHERE tenant_id = :t AND property_name = 'amount'",
               t=world.tenant)  # fmt: skip
        rollup = Trends(world, rollups=True)
        assert rollup(breakdown="plan").source == "raw"
        assert rollup(measure="sum", property="amount").source == "raw"
        assert rollup(breakdown="coupon").source == "rollup"
    finally:
        db.run("UPDATE property_rollups SET capped_at = NULL, backfilled_at = now() WHERE tenant_id = :t",
               t=world.tenant)  # fmt: skip
        db.close()


def test_another_tenants_events_and_rollups_are_never_counted(world: World) -> None:
    for use_rollups in (False, True):
        answer = Trends(world, rollups=use_rollups)(measure="max", property="amount", breakdown="plan")
        assert max(s.total or 0 for s in answer.series) == 100.0  # not the other tenant's 1000


def test_the_raw_path_gives_up_at_its_timeout_with_advice(world: World) -> None:
    db = TenantDatabase(lambda: connect(world.own))
    query = parse_trend_query(
        QueryParams({"type": "checkout", "start": START.isoformat(), "end": END.isoformat(), "breakdown": "plan"}),
        [],
    )
    # Given a session that holds the events table exclusively, so the raw statement waits (not a sleep)
    locker = connect(world.own)
    try:
        locker.run("BEGIN")
        locker.run("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        # When the raw path runs with its own short timeout (the connection's default is 10 s)
        with pytest.raises(Unprocessable) as refused:
            insight_trend(world.tenant, query, rollups=NoRollups(), rollup_reader=PostgresRollupTrends(db),
                          raw_reader=PostgresRawTrends(db, timeout_ms=300), watermark=PostgresMetricsReader(db),
                          now=datetime.now(UTC))  # fmt: skip
    finally:
        locker.run("ROLLBACK")
        locker.close()
    # Then the 422 says what to do next, naming the field to change
    assert refused.value.code == "query_too_slow"
    assert refused.value.field == "breakdown"
    assert "0.3 s" in refused.value.message
    assert "mark 'plan' as a dimension" in refused.value.message
    assert "narrow the range" in refused.value.message
