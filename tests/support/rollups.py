"""property_rollup_hour filled from the raw events, as the aggregator and the backfill fill it.

A test oracle, written apart from the aggregator's SQL (pg_rollup_sql) so the readers' tests do not share
its mistakes; it is the aggregation the migration's contract describes (0011_insights): dimension rows
(count and users sketch per value, unset = JSON null), measure rows over all events (dimension '') and per
value of each dimension, value_* over JSON numbers only. It marks every rollup backfilled, so readers may
use them. Also the check that property_rollup_hour's summaries (0015, kept by triggers) agree with it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from customersignal.adapters import pg_sketch
from customersignal.adapters.postgres import connect
from customersignal.settings import PlatformSettings, PostgresSettings

FILL_DIMENSION = f"""
INSERT INTO property_rollup_hour
    (tenant_id, event_type, dimension, dim_value, measure, bucket_start, event_count, users)
SELECT tenant_id, event_type, :dim, COALESCE(properties -> CAST(:dim AS text), 'null'::jsonb), '',
       date_trunc('hour', occurred_at), count(*), {pg_sketch.add_agg(pg_sketch.USER_KEY)}
FROM events WHERE tenant_id = :t GROUP BY 1, 2, 4, 6
"""  # noqa: S608 - constants
FILL_MEASURE = """
INSERT INTO property_rollup_hour (tenant_id, event_type, dimension, dim_value, measure, bucket_start, event_count,
                                  value_count, value_sum, value_min, value_max)
SELECT tenant_id, event_type, :dim, CASE WHEN :dim = '' THEN 'null'::jsonb
                                         ELSE COALESCE(properties -> CAST(:dim AS text), 'null'::jsonb) END,
       :measure, date_trunc('hour', occurred_at), count(*), count(v), COALESCE(sum(v), 0), min(v), max(v)
FROM (SELECT *, CASE WHEN jsonb_typeof(properties -> CAST(:measure AS text)) = 'number'
                     THEN CAST(properties -> CAST(:measure AS text) AS float8) END AS v FROM events) e
WHERE tenant_id = :t GROUP BY 1, 2, 4, 6
"""


def insert_events(db: Any, tenant: uuid.UUID, project: uuid.UUID, rows: list[Any], event_type: str) -> None:
    for occurred, received, user, anon, props in rows:
        db.run(
            "INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, anonymous_id, occurred_at, "
            "received_at, is_late, properties) VALUES (:t, :p, gen_random_uuid(), :type, :u, :a, "
            "CAST(:o AS timestamptz), CAST(:r AS timestamptz), :late, CAST(:props AS jsonb))",
            t=tenant,
            p=project,
            type=event_type,
            u=user,
            a=anon,
            o=occurred,
            r=received or occurred,
            late=received is not None,
            props=json.dumps(props),
        )


def new_tenant(db: Any, slug: str) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = db.run("INSERT INTO tenants (slug, name) VALUES (:s, :s) RETURNING id", s=slug)[0][0]
    project = db.run("INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'p', 'P') RETURNING id", t=tenant)
    for name in ("checkout", "view"):
        db.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, :n)", t=tenant, n=name)
    return tenant, project[0][0]


@contextmanager
def scratch_database(
    settings: PlatformSettings, template: str, name: str, first_day: str, last_day: str
) -> Iterator[tuple[PostgresSettings, Any]]:
    """A database of the readers' tests' own, from the migrated template, with the daily event partitions
    from ``first_day`` to ``last_day`` (ISO dates), and an owner connection to fill it."""
    from tests.fixtures.postgres import temporary_database

    with temporary_database(settings, name, template=template) as own:
        db = connect(own)
        try:
            db.run("SELECT ensure_event_partitions(CAST(:a AS date), CAST(:b AS date))", a=first_day, b=last_day)
            yield own, db
        finally:
            db.close()


class NoRollups:
    """A rollup catalog with nothing usable: the trend reads the raw events (the readers' tests compare)."""

    def usable_rollups(self, tenant_id: uuid.UUID, event_type: str) -> frozenset[tuple[str, Any]]:
        return frozenset()


def fill_rollups(
    db: Any, tenant: uuid.UUID, dimensions: Sequence[str], measures: Sequence[str], event_type: str = "checkout"
) -> None:
    """What the aggregator and the backfill write for every type, from the raw events, and the marks of
    ``event_type`` that say it is done."""
    for dim in dimensions:
        db.run(FILL_DIMENSION, t=tenant, dim=dim)
    for measure in measures:
        for dim in ("", *dimensions):
            db.run(FILL_MEASURE, t=tenant, dim=dim, measure=measure)
    for name, role in [*((d, "dimension") for d in dimensions), *((m, "measure") for m in measures)]:
        db.run(
            "INSERT INTO property_rollups (tenant_id, event_type, property_name, role, active_from, backfilled_at) "
            "VALUES (:t, :type, :n, :r, now(), now())",
            t=tenant,
            type=event_type,
            n=name,
            r=role,
        )


# property_rollup_day and property_rollup_hour_total (migration 0015) recomputed from property_rollup_hour,
# beside what its triggers kept: every row where they differ, either side missing
SUMMARY_MISMATCHES = """
WITH kept AS (
    SELECT 'day' AS grain, dimension, measure, day_start AS at, dim_value, event_count, value_count,
           round(value_sum::numeric, 6) AS value_sum
    FROM property_rollup_day WHERE tenant_id = :t
    UNION ALL
    SELECT 'hour', dimension, measure, bucket_start, 'null'::jsonb, event_count, value_count,
           round(value_sum::numeric, 6)
    FROM property_rollup_hour_total WHERE tenant_id = :t
), derived AS (
    SELECT 'day' AS grain, dimension, measure, date_trunc('day', bucket_start, 'UTC') AS at, dim_value,
           sum(event_count) AS event_count, sum(value_count) AS value_count, round(sum(value_sum)::numeric, 6)
    FROM property_rollup_hour WHERE tenant_id = :t AND dimension <> '' GROUP BY 2, 3, 4, 5
    UNION ALL
    SELECT 'hour', dimension, measure, bucket_start, 'null'::jsonb, sum(event_count), sum(value_count),
           round(sum(value_sum)::numeric, 6)
    FROM property_rollup_hour WHERE tenant_id = :t AND dimension <> '' GROUP BY 2, 3, 4
)
(SELECT 'kept', * FROM kept EXCEPT ALL SELECT 'kept', * FROM derived)
UNION ALL
(SELECT 'derived', * FROM derived EXCEPT ALL SELECT 'derived', * FROM kept)
"""


def summary_mismatches(db: Any, tenant: uuid.UUID) -> list[list[Any]]:
    """Rows where the triggers' summaries differ from the hourly rows they summarise ([] when they agree)."""
    rows: list[list[Any]] = db.run(SUMMARY_MISMATCHES, t=tenant)
    return rows


def summary_rows(db: Any, tenant: uuid.UUID) -> int:
    """How many summary rows the tenant has (so a test can tell "agree" from "both empty")."""
    day = db.run("SELECT count(*) FROM property_rollup_day WHERE tenant_id = :t", t=tenant)[0][0]
    hour = db.run("SELECT count(*) FROM property_rollup_hour_total WHERE tenant_id = :t", t=tenant)[0][0]
    return int(day) + int(hour)
