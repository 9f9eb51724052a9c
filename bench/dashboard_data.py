"""The dashboard benchmark's data set, generated once in its own database and reused by later runs.

    .venv/bin/python bench/dashboard_data.py [--rebuild]

Database ``customersignal_dash_bench``, migrated with alembic like ``aggregator_bench``. The data (issue's
benchmark text: 10 M raw events, 30 days of minute buckets for 50 event types, 3 tenants):

* 3 tenants (``dash-bench-1`` .. ``-3``), each with a project ``web`` and 50 event types (``event_types``,
  plus two observed properties each);
* metrics_minute: every (tenant, type, minute) of the 30 days before the anchor (the generation time,
  floored to the hour), 6.48 M rows, with diurnal counts (peak at 15:00 UTC) that fall off with the type's
  rank and the tenant's size; metrics_hour and metrics_day are exactly the sums of the minutes'
  event_count; unique_users is plausible only (at most the count, a fraction of the minutes' sum for an
  hour or a day). The users sketches stay empty (hll_empty): count series do not read them.
  metrics_minute_series packs the same minutes per hour (108,000 rows), as the aggregator keeps them; the
  1-minute series reads only those (data set version 1 left them out, so it timed 60 zeros per hour).
* events: 10 M raw events over the same 30 days in the daily partitions, time-ordered as the aggregator
  would write them; tenants 50/30/20 %, types skewed to the popular ranks, users from 50,000 ids (10 %
  anonymous), properties like ``{"plan": "pro", "amount": 42, "currency": "EUR"}``. They are not the
  events the metrics count: the two halves are generated independently.
* tenant_freshness at the anchor; VACUUM ANALYZE at the end, as autovacuum would leave the tables.

Rows are made by set-based SQL (INSERT ... SELECT FROM generate_series), one step per transaction; each
step records itself in ``bench_dataset`` in the same transaction, so an interrupted run resumes where it
stopped, and the ``complete`` marker is written last: a data set without it is never used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pg8000.native
from bench_db import migrated_database

from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.auth import Scope
from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "customersignal_dash_bench"
DATASET_VERSION = 2  # bump when the generator changes: an older data set is then dropped and rebuilt
TENANTS = 3
TENANT_SHARE = (0.5, 0.3, 0.2)  # of the raw events, and the scale of each tenant's minute counts
TYPES = 50
DAYS = 30
RAW_EVENTS = 10_000_000
USERS = 50_000
PROJECT_SLUG = "web"
NOUNS = ("page", "item", "cart", "checkout", "search", "account", "invite", "report", "file", "comment")
VERBS = ("viewed", "added", "removed", "completed", "failed")
# rank 0 is the most used type; the others fall off as 1 / (rank + 1) ** 0.9
TYPE_NAMES = tuple(f"{noun}_{verb}" for verb in VERBS for noun in NOUNS)
PEAK_PER_MINUTE = 120.0  # mean count per minute of the top type of the largest tenant

STATE_TABLE = "CREATE TABLE IF NOT EXISTS bench_dataset (key text PRIMARY KEY, value jsonb NOT NULL)"
BENCH_TENANTS = """
CREATE TABLE bench_tenants (
    n integer PRIMARY KEY, id uuid NOT NULL, project_id uuid NOT NULL, lo float8 NOT NULL, hi float8 NOT NULL,
    scale float8 NOT NULL)
"""
BENCH_TYPES = "CREATE TABLE bench_types (rank integer PRIMARY KEY, name text NOT NULL, base float8 NOT NULL)"

# One 24 h window of minute buckets for every tenant and type, with its hour and day roll-ups. The anchor is
# on an hour, so hours never straddle windows; days do, and add up as the aggregator's upserts would.
MINUTES = """
WITH minute AS (
    INSERT INTO metrics_minute (tenant_id, event_type, bucket_start, event_count, unique_users)
    SELECT t.id, ty.name, b, c.n, greatest(1, round(c.n * (0.5 + 0.3 * random())))::bigint
    FROM generate_series(CAST(:start AS timestamptz), CAST(:end AS timestamptz) - interval '1 minute',
                         interval '1 minute') AS b
    CROSS JOIN bench_tenants t
    CROSS JOIN bench_types ty
    CROSS JOIN LATERAL (
        SELECT greatest(1, round(ty.base * t.scale
            * (1 + 0.6 * sin(2 * pi() * (extract(epoch FROM b) / 86400.0 - 0.375)))
            * (0.75 + 0.5 * random())))::bigint AS n
    ) c
    ORDER BY b, t.n, ty.rank
    RETURNING tenant_id, event_type, bucket_start, event_count, unique_users
), hour AS (
    INSERT INTO metrics_hour (tenant_id, event_type, bucket_start, event_count, unique_users)
    SELECT tenant_id, event_type, date_bin('1 hour', bucket_start, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS h,
           sum(event_count), round(sum(unique_users) * 0.45)::bigint
    FROM minute GROUP BY 1, 2, 3 ORDER BY h, 1, 2
    RETURNING 1
), series AS (
    -- the packed minutes the 1-minute series reads (migration 0005): every minute exists, so 60 per hour
    INSERT INTO metrics_minute_series (tenant_id, event_type, hour_start, counts)
    SELECT tenant_id, event_type, date_bin('1 hour', bucket_start, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS h,
           array_agg(event_count ORDER BY bucket_start)
    FROM minute GROUP BY 1, 2, 3 ORDER BY h, 1, 2
    RETURNING 1
)
INSERT INTO metrics_day AS d (tenant_id, event_type, bucket_start, event_count, unique_users)
SELECT tenant_id, event_type, date_bin('1 day', bucket_start, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
       sum(event_count), least(:users, round(sum(unique_users) * 0.08))::bigint
FROM minute GROUP BY 1, 2, 3
ON CONFLICT (tenant_id, event_type, bucket_start) DO UPDATE
SET event_count = d.event_count + EXCLUDED.event_count,
    unique_users = least(:users, d.unique_users + EXCLUDED.unique_users)
"""

# One 24 h window of raw events, time-ordered. A tenant is picked by its share, a type by rank (squared
# uniform: the popular ranks dominate), a user uniformly from USERS ids.
EVENTS = """
INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, anonymous_id, occurred_at,
                    client_timestamp, sent_at, received_at, is_late, properties, context, trace_id,
                    kafka_partition, kafka_offset)
SELECT t.id, t.project_id, gen_random_uuid(), ty.name,
       CASE WHEN r.anon THEN NULL ELSE 'usr_' || lpad(r.u::text, 6, '0') END,
       CASE WHEN r.anon THEN 'anon-' || md5(r.u::text) END,
       r.at, r.at - interval '150 ms', r.at, r.at + r.delay, r.late,
       jsonb_build_object(
           'plan', (ARRAY['free', 'starter', 'pro', 'enterprise'])[1 + floor(random() * 4)::int],
           'amount', floor(random() * 500)::int, 'currency', 'EUR'),
       '{"library": {"name": "analytics.js", "version": "5.2.0"}, "locale": "en-US"}'::jsonb,
       md5(random()::text), r.g % 8, CAST(:offset AS bigint) + r.g
FROM (
    SELECT g, random() AS rt, random() AS rty, floor(random() * :users)::int AS u, random() < 0.1 AS anon,
           CAST(:start AS timestamptz) + random() * interval '1 day' AS at, random() < 0.02 AS late,
           random() * interval '3 s' AS delay
    FROM generate_series(1, CAST(:n AS integer)) AS g
) r
JOIN bench_tenants t ON r.rt >= t.lo AND r.rt < t.hi
JOIN bench_types ty ON ty.rank = least(:type_count - 1, floor(:type_count * r.rty * r.rty))::int
ORDER BY r.at
"""

CATALOG = """
INSERT INTO event_types (tenant_id, project_id, name, status, first_seen_at, last_seen_at, volume_total)
SELECT t.id, t.project_id, ty.name, 'unplanned', :start, :end,
       (SELECT sum(event_count) FROM metrics_day d WHERE d.tenant_id = t.id AND d.event_type = ty.name)
FROM bench_tenants t CROSS JOIN bench_types ty
"""
PROPERTIES = """
INSERT INTO event_type_properties (tenant_id, event_type, property_name, observed_types, first_seen_at, last_seen_at)
SELECT t.id, ty.name, p.name, p.types, :start, :end
FROM bench_tenants t CROSS JOIN bench_types ty
CROSS JOIN (VALUES ('plan', ARRAY['string']), ('amount', ARRAY['number']), ('currency', ARRAY['string']))
    AS p (name, types)
"""
FRESHNESS = "INSERT INTO tenant_freshness (tenant_id, complete_up_to) SELECT id, :end FROM bench_tenants"


@dataclass(frozen=True)
class Dataset:
    settings: PlatformSettings  # pointing at DATABASE
    anchor: datetime  # the data covers [anchor - DAYS, anchor)
    tenants: list[uuid.UUID]  # tenant 1 first
    tenant_slugs: list[str]
    types: list[str]  # by rank, the most used first
    counts: dict[str, int]

    @property
    def start(self) -> datetime:
        return self.anchor - timedelta(days=DAYS)


def tenant_slug(n: int) -> str:
    return f"dash-bench-{n}"


def migrate(settings: PlatformSettings) -> PlatformSettings:
    """Create the database if missing and upgrade it to head (cheap when it is already there)."""
    return migrated_database(settings, DATABASE, fresh=False)


def drop_database(settings: PlatformSettings) -> None:
    admin = connect(settings, database="postgres")
    try:
        admin.run(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    finally:
        admin.close()


def state(db: pg8000.native.Connection, key: str) -> Any:
    rows = db.run("SELECT value FROM bench_dataset WHERE key = :k", k=key)
    return rows[0][0] if rows else None


def record(db: pg8000.native.Connection, key: str, value: Any) -> None:
    db.run(
        "INSERT INTO bench_dataset (key, value) VALUES (:k, CAST(:v AS jsonb))"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        k=key,
        v=json.dumps(value),
    )


def step(db: pg8000.native.Connection, key: str, label: str, work: Callable[[], int], total: list[int]) -> None:
    """Run ``work`` and record ``key`` in one transaction, unless an earlier run did; print progress."""
    if state(db, key) is not None:
        return
    started = time.perf_counter()
    db.run("BEGIN")
    try:
        rows = work()
        record(db, key, {"rows": rows})
        db.run("COMMIT")
    except BaseException:
        db.run("ROLLBACK")
        raise
    total[0] += rows
    print(f"  {label}: {rows:,} rows in {time.perf_counter() - started:.1f} s ({total[0]:,} so far)", flush=True)


def start_or_resume(db: pg8000.native.Connection) -> datetime:
    """The anchor of the data set being built: an earlier incomplete run's, or now floored to the hour."""
    db.run(STATE_TABLE)
    begun = state(db, "anchor")
    if begun is not None:
        print(f"resuming the data set anchored at {begun['anchor']}", flush=True)
        return datetime.fromisoformat(begun["anchor"])
    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    db.run("BEGIN")
    record(db, "anchor", {"version": DATASET_VERSION, "anchor": anchor.isoformat()})
    setup(db, anchor)
    db.run("COMMIT")
    return anchor


def setup(db: pg8000.native.Connection, anchor: datetime) -> None:
    """Tenants, projects, the generator's helper tables and the daily partitions (inside the caller's BEGIN)."""
    db.run(BENCH_TENANTS)
    db.run(BENCH_TYPES)
    lo = 0.0
    for n, share in enumerate(TENANT_SHARE, start=1):
        slug = tenant_slug(n)
        tenant = db.run("INSERT INTO tenants (slug, name) VALUES (:s, :n) RETURNING id", s=slug, n=f"Bench {n}")[0][0]
        project = db.run(
            "INSERT INTO projects (tenant_id, slug, name) VALUES (:t, :s, 'Web') RETURNING id", t=tenant, s=PROJECT_SLUG
        )[0][0]
        hi = 1.0 if n == TENANTS else lo + share
        db.run(
            "INSERT INTO bench_tenants VALUES (:n, :t, :p, :lo, :hi, :scale)",
            n=n, t=tenant, p=project, lo=lo, hi=hi, scale=share / TENANT_SHARE[0],
        )  # fmt: skip
        lo = hi
    for rank, name in enumerate(TYPE_NAMES):
        db.run("INSERT INTO bench_types VALUES (:r, :n, :b)", r=rank, n=name, b=PEAK_PER_MINUTE / (rank + 1) ** 0.9)
    first, last = (anchor - timedelta(days=DAYS)).date(), anchor.date()
    db.run("SELECT ensure_event_partitions(CAST(:a AS date), CAST(:b AS date))", a=first, b=last)


def generate(db: pg8000.native.Connection, anchor: datetime) -> None:
    start = anchor - timedelta(days=DAYS)
    total = [0]
    print(f"generating metrics_minute (+ hour, day): {DAYS} windows of 24 h", flush=True)
    for day in range(DAYS):
        lo, hi = start + timedelta(days=day), start + timedelta(days=day + 1)

        def minutes(lo: datetime = lo, hi: datetime = hi) -> int:
            db.run(MINUTES, start=lo, end=hi, users=USERS)
            return 1440 * TENANTS * TYPES

        step(db, f"minutes:{day}", f"minutes {day + 1}/{DAYS}", minutes, total)
    total = [0]
    print(f"generating {RAW_EVENTS:,} raw events: {DAYS} windows of 24 h", flush=True)
    for day in range(DAYS):
        lo, first = start + timedelta(days=day), RAW_EVENTS * day // DAYS
        count = RAW_EVENTS * (day + 1) // DAYS - first

        def events(lo: datetime = lo, first: int = first, count: int = count) -> int:
            db.run(EVENTS, start=lo, n=count, offset=first, users=USERS, type_count=TYPES)
            return count

        step(db, f"events:{day}", f"events {day + 1}/{DAYS}", events, total)

    def catalog() -> int:
        db.run(CATALOG, start=start, end=anchor)
        db.run(PROPERTIES, start=start, end=anchor)
        db.run(FRESHNESS, end=anchor)
        return TENANTS * TYPES

    step(db, "catalog", "catalog and freshness", catalog, [0])


def finish(db: pg8000.native.Connection, anchor: datetime) -> dict[str, int]:
    """VACUUM ANALYZE, count what is there, and write the completion marker last."""
    print("VACUUM ANALYZE (visibility map and statistics, as autovacuum would leave them) ...", flush=True)
    started = time.perf_counter()
    tables = ("metrics_minute", "metrics_minute_series", "metrics_hour", "metrics_day", "events", "event_types")
    for table in (*tables, "tenant_freshness"):
        db.run(f"VACUUM (ANALYZE) {table}")
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    counts = {
        table: int(db.run(f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608 - fixed table names
        for table in ("events", "events_default", "metrics_minute", "metrics_hour", "metrics_day", "event_types")
    }
    counts["database_bytes"] = int(db.run("SELECT pg_database_size(current_database())")[0][0])
    expected = {"events": RAW_EVENTS, "metrics_minute": DAYS * 1440 * TENANTS * TYPES, "events_default": 0}
    wrong = {k: (counts[k], v) for k, v in expected.items() if counts[k] != v}
    if wrong:
        raise RuntimeError(f"the generated data set is not what was asked for (got, expected): {wrong}")
    sums = db.run(
        "SELECT (SELECT sum(event_count) FROM metrics_minute), (SELECT sum(event_count) FROM metrics_hour),"
        " (SELECT sum(event_count) FROM metrics_day),"
        " (SELECT sum(n) FROM metrics_minute_series, unnest(counts) AS n)"
    )[0]
    if len(set(sums)) != 1:
        raise RuntimeError(f"roll-ups are not the sums of the minutes: minute, hour, day, packed = {sums}")
    record(db, "complete", {"version": DATASET_VERSION, "anchor": anchor.isoformat(), "counts": counts})
    return counts


def ensure_dataset(settings: PlatformSettings | None = None, *, rebuild: bool = False) -> Dataset:
    """The complete data set: reused if a previous run finished it, else built (or resumed)."""
    base = settings or PlatformSettings()
    if rebuild:
        drop_database(base)
    bench = migrate(base)
    db = connect(bench)
    try:
        db.run(STATE_TABLE)
        begun = state(db, "anchor")
    except BaseException:
        db.close()
        raise
    if begun is not None and begun.get("version") != DATASET_VERSION:
        print(f"data set version {begun.get('version')} != {DATASET_VERSION}: rebuilding", flush=True)
        db.close()
        return ensure_dataset(base, rebuild=True)
    try:
        done = state(db, "complete")
        if done is None:
            started = time.perf_counter()
            anchor = start_or_resume(db)
            generate(db, anchor)
            counts = finish(db, anchor)
            print(f"data set complete in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            anchor, counts = datetime.fromisoformat(done["anchor"]), done["counts"]
            print(f"reusing the data set in {DATABASE} (anchored at {anchor:%Y-%m-%d %H:%M} UTC)", flush=True)
        tenants = db.run("SELECT id FROM bench_tenants ORDER BY n")
        types = db.run("SELECT name FROM bench_types ORDER BY rank")
    finally:
        db.close()
    return Dataset(
        settings=bench,
        anchor=anchor,
        tenants=[uuid.UUID(str(t)) for (t,) in tenants],
        tenant_slugs=[tenant_slug(n) for n in range(1, TENANTS + 1)],
        types=[name for (name,) in types],
        counts=counts,
    )


def create_dashboard_key(dataset: Dataset) -> str:
    """A fresh read+admin key for tenant 1 (one per run; the secret is returned, never stored)."""
    admin = TenantAdmin(lambda: connect(dataset.settings))
    try:
        _, new = admin.create_key(dataset.tenant_slugs[0], PROJECT_SLUG, (Scope.READ, Scope.ADMIN), "dashboard-bench")
    finally:
        admin.close()
    return new.secret


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rebuild", action="store_true", help="drop the database and generate everything again")
    args = parser.parse_args()
    dataset = ensure_dataset(rebuild=args.rebuild)
    print(json.dumps({"database": DATABASE, "anchor": dataset.anchor.isoformat(), **dataset.counts}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
