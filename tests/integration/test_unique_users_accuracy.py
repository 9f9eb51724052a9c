"""Unique users from the sketches against the truth, count(DISTINCT user) over the raw events: over many
ranges, for tenants of 40 to 12,000 users, through the readers the dashboard and the alerts use.

The data is written with SQL (no Kafka): raw events spread deterministically over three days, and the
metrics rows' sketches built from them with the writer's own fragment (``pg_sketch.add_agg``). The keys
are fixed, so every estimate is reproducible: the bound is checked against the documented one, not
against luck.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from customersignal.adapters import pg_sketch
from customersignal.adapters.pg_alert_store import PostgresAlertStore
from customersignal.adapters.pg_metrics_read import PostgresMetricsReader
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.postgres import connect
from customersignal.domain.alert_evaluation import WindowRequest
from customersignal.domain.range_users import range_cover
from customersignal.domain.timeseries import INTERVALS, SeriesQuery, plan_series
from customersignal.settings import PostgresSettings

pytestmark = pytest.mark.integration

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
SPAN_S = 3 * 86_400
SIZES = (40, 300, 2_000, 12_000)  # users per tenant: exact, at the threshold, past it, near the bump at ~10k
BOUND = 0.07  # documented in docs/aggregation.md: above the worst of 180 estimates measured at log2m 12
EXACT_UP_TO = pg_sketch.EXACT_UP_TO
ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"

EVENTS = """
INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, anonymous_id, occurred_at, received_at)
SELECT :t, :p, gen_random_uuid(), CASE WHEN g % 3 = 0 THEN 'signup' ELSE 'view' END,
       CASE WHEN u % 10 <> 0 THEN 'u' || u END, CASE WHEN u % 10 = 0 THEN 'a' || u END, at, at
FROM (SELECT g, (g * 104729::bigint) % :users AS u,
             CAST(:day0 AS timestamptz) + ((g * 7919::bigint) % :span) * interval '1 second' AS at
      FROM generate_series(1, :n) g) s
"""
METRICS = f"""
INSERT INTO metrics_{{grain}} (tenant_id, event_type, bucket_start, event_count, unique_users, users)
SELECT tenant_id, event_type, b, n, hll_cardinality(s)::bigint, s
FROM (SELECT tenant_id, event_type, date_bin('{{width}}', occurred_at, {ORIGIN}) AS b, count(*) AS n,
             {pg_sketch.add_agg(pg_sketch.USER_KEY)} AS s
      FROM events WHERE tenant_id = :t GROUP BY 1, 2, 3) per_bucket
"""  # noqa: S608 - constants
TRUTH = f"""
SELECT count(DISTINCT {pg_sketch.USER_KEY})::int FROM events
WHERE tenant_id = :t AND occurred_at >= :lo AND occurred_at < :hi
  AND (CAST(:type AS text) IS NULL OR event_type = :type)
"""  # noqa: S608 - constants
WIDTHS = {"minute": "1 minute", "hour": "1 hour", "day": "1 day"}


def ceil_minute(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


@pytest.fixture(scope="module")
def world(settings: Any, pg_template: str) -> Iterator[tuple[PostgresSettings, dict[int, uuid.UUID]]]:
    """One database for the module (the data takes a while to write), dropped afterwards."""
    from tests.fixtures.postgres import temporary_database

    with temporary_database(settings, "cs_t", template=pg_template) as own:
        db = connect(own)
        try:
            db.run("SELECT ensure_event_partitions(CAST(:a AS date), CAST(:b AS date))", a=DAY0.date(),
                   b=(DAY0 + timedelta(days=3)).date())  # fmt: skip
            tenants = {}
            for users in SIZES:
                tenant = db.run("INSERT INTO tenants (slug, name) VALUES (:s, :s) RETURNING id", s=f"t{users}")[0][0]
                project = db.run(
                    "INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'p', 'P') RETURNING id", t=tenant
                )[0][0]
                db.run(EVENTS, t=tenant, p=project, users=users, day0=DAY0, span=SPAN_S, n=max(600, 3 * users))
                for grain, width in WIDTHS.items():
                    db.run(METRICS.format(grain=grain, width=width), t=tenant)
                tenants[users] = tenant
            yield own, tenants
        finally:
            db.close()


def ranges(seed: int) -> list[tuple[datetime, datetime]]:
    """Ranges from a minute to all three days, at odd seconds, plus local days and hours of two zones."""
    rng = random.Random(seed)
    out = [(DAY0, DAY0 + timedelta(seconds=SPAN_S))]
    for scale in (120, 5_400, 30 * 3_600, SPAN_S):
        for _ in range(6):
            start = DAY0 + timedelta(seconds=rng.randrange(0, SPAN_S - 60))
            out.append((start, start + timedelta(seconds=rng.randrange(60, scale + 60))))
    for zone in ("Europe/Paris", "Asia/Kolkata"):
        local = datetime(2026, 3, 2, tzinfo=ZoneInfo(zone))
        out.append((local, local + timedelta(days=1)))
        out.append((local + timedelta(hours=7), local + timedelta(hours=9)))
    return out


def check(estimate: int, truth: int, where: str) -> None:
    if truth <= EXACT_UP_TO:
        assert estimate == truth, f"{where}: {estimate} != {truth} (exact below {EXACT_UP_TO})"
    else:
        assert abs(estimate - truth) <= BOUND * truth, f"{where}: {estimate} vs {truth}"


def test_range_unique_users_match_the_raw_events_within_the_bound(
    world: tuple[PostgresSettings, dict[int, uuid.UUID]],
) -> None:
    own, tenants = world
    reader = PostgresMetricsReader(TenantDatabase(lambda: connect(own)))
    truth_db = connect(own)
    checked = exact = 0
    try:
        for users, tenant in tenants.items():
            for start, end in ranges(seed=users):
                # When the summary's reader unions the range's cover (under the tenant's RLS)
                estimate = reader.unique_users(tenant, range_cover(start, end))
                truth = truth_db.run(TRUTH, t=tenant, lo=ceil_minute(start), hi=ceil_minute(end), type=None)[0][0]
                # Then it is exact up to the explicit threshold and within the bound above it
                check(estimate, truth, f"{users} users, {start:%d %H:%M:%S}..{end:%d %H:%M:%S}")
                checked, exact = checked + 1, exact + (truth <= EXACT_UP_TO)
    finally:
        truth_db.close()
    # And the ranges exercised both regimes
    assert checked == len(SIZES) * len(ranges(0))
    assert 0 < exact < checked


def test_five_minute_and_local_day_series_match_the_raw_events(
    world: tuple[PostgresSettings, dict[int, uuid.UUID]],
) -> None:
    own, tenants = world
    reader = PostgresMetricsReader(TenantDatabase(lambda: connect(own)))
    truth_db = connect(own)
    try:
        for users in (300, 12_000):
            for interval, zone in (("5m", "UTC"), ("1d", "Europe/Paris"), ("1h", "Asia/Kolkata")):
                query = SeriesQuery(
                    ("view",), "unique_users", INTERVALS[interval], DAY0 + timedelta(hours=13),
                    DAY0 + timedelta(days=2, hours=13), ZoneInfo(zone),
                )  # fmt: skip
                plan = plan_series(query)
                # When a series of buckets that are not stored is read (each a union of stored sketches)
                got = reader.series(tenants[users], ("view",), "unique_users", plan, plan.boundaries_ms[-1])["view"]
                values = dict(zip(got.index, got.v, strict=True))  # type: ignore[union-attr]
                for i, (lo, hi) in enumerate(zip(plan.boundaries_ms, plan.boundaries_ms[1:], strict=False)):
                    lo_at, hi_at = (datetime.fromtimestamp(ms / 1000, UTC) for ms in (lo, hi))
                    truth = truth_db.run(TRUTH, t=tenants[users], lo=lo_at, hi=hi_at, type="view")[0][0]
                    # Then every bucket agrees with the raw events
                    check(values.get(i, 0), truth, f"{users} users, {interval} {zone} bucket {lo_at}")
    finally:
        truth_db.close()


def test_alert_windows_of_unique_users_match_the_raw_events(
    world: tuple[PostgresSettings, dict[int, uuid.UUID]],
) -> None:
    own, tenants = world
    store = PostgresAlertStore(lambda: connect(own), "http://127.0.0.1:9/dashboard")
    truth_db = connect(own)
    try:
        for users, tenant in tenants.items():
            # window ends on the hour, at odd minutes and at odd seconds: hour sketches, minutes at the edges
            ends = tuple(DAY0 + timedelta(hours=h, minutes=m, seconds=s) for h, m, s in
                         ((1, 0, 0), (6, 17, 0), (30, 0, 30), (47, 59, 0), (71, 42, 10)))  # fmt: skip
            for width_s in (300, 3_600, 5_400, 86_400):
                # When the evaluator reads a unique-users window (the union of its minute sketches)
                request = WindowRequest(tenant, "signup", "unique_users", width_s, ends)
                values = store.window_values(request)
                for end, value in zip(ends, values, strict=True):
                    # (a window holds the minute buckets that start in it)
                    lo, hi = ceil_minute(end - timedelta(seconds=width_s)), ceil_minute(end)
                    truth = truth_db.run(TRUTH, t=tenant, lo=lo, hi=hi, type="signup")[0][0]
                    # Then it agrees with the raw events
                    assert value is not None  # counts and users always have a value
                    check(int(value), truth, f"{users} users, window {width_s} s ending {end}")
    finally:
        store.close()
        truth_db.close()
