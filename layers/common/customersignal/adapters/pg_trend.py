"""``TrendReader`` and ``RollupCatalog`` on Postgres: trends from property_rollup_hour or from raw events,
under the tenant's RLS.

Both readers first make rows of one shape, per (bucket, series key): event_count, users (hll sketch),
value_count, value_sum, value_min, value_max, which are exactly property_rollup_hour's columns. The rollup
reader selects them; the raw reader groups the events into them. One statement tail then ranks the keys
by their total over the range, keeps the top ``limit``, folds the rest into "other", and aggregates each
series per bucket, and "other" over the range, so both paths compute the answer the same way:
unique users are the cardinality of a union of sketches (the metrics tables' hashing and precision, so
the two paths give the same estimate), averages are sum / count of the numeric values.

Buckets are ``width_bucket`` over the boundaries the domain computed, as in pg_metrics_read. Property
names and values are bind parameters only (pg_property_filters). The raw statement has its own, shorter
statement timeout; running past it raises ``TrendTooSlow``, which the domain turns into advice.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from customersignal.adapters import pg_sketch
from customersignal.adapters.pg_property_filters import condition, raw_conditions
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.errors import Unavailable
from customersignal.domain.timeseries import from_epoch_ms
from customersignal.domain.trend_models import RollupRole, TrendRead, TrendRow, TrendTooSlow

RAW_TIMEOUT_MS: Final = 8_000

AGGREGATES: Final[dict[str, str]] = {
    "count": "sum(event_count)",
    "unique_users": "COALESCE(hll_cardinality(hll_union_agg(users)), 0)",
    "sum": "sum(value_sum)",
    "avg": "sum(value_sum) / NULLIF(sum(value_count), 0)",
    "min": "min(value_min)",
    "max": "max(value_max)",
}

# double precision epoch, floored: a timestamp's microseconds never round it up into the next bucket
BUCKET = "width_bucket(floor(date_part('epoch', {column}) * 1000)::bigint, CAST(:bounds AS bigint[])) - 1"

# The top keys' totals come from the ranking itself; only the rest's ("other") is aggregated again. After the
# one join on the jsonb key, rows carry the key's rank (an int): grouping and sorting jsonb is the slow part.
TAIL = """,
totals AS (SELECT k, {agg} AS total FROM base GROUP BY k),
top AS (
    SELECT k, total, row_number() OVER (ORDER BY total DESC NULLS LAST, k) AS r FROM totals ORDER BY r LIMIT :limit
),
tagged AS (
    SELECT top.r, base.b, base.event_count, base.users, base.value_count, base.value_sum, base.value_min,
           base.value_max
    FROM base LEFT JOIN top ON top.k = base.k
)
SELECT g.r IS NULL, top.k::text, g.r, g.b, g.v
FROM (SELECT r, b, CAST({agg} AS float8) AS v FROM tagged GROUP BY r, b) g LEFT JOIN top ON top.r = g.r
UNION ALL
SELECT false, k::text, r, NULL, CAST(total AS float8) FROM top
UNION ALL
SELECT true, NULL, NULL, NULL, CAST({agg} AS float8) FROM tagged WHERE r IS NULL HAVING count(*) > 0
"""

ROLLUP_BASE = f"""
WITH base AS (
    SELECT {BUCKET.format(column="r.bucket_start")} AS b, {{key}} AS k, r.event_count, {{columns}}
    FROM property_rollup_hour r
    WHERE r.tenant_id = :tenant AND r.event_type = :event_type AND r.dimension = :dimension
      AND r.measure = :measure AND r.bucket_start >= :start AND r.bucket_start < :end{{filters}}
)"""  # noqa: S608 - constants; the filters are conditions over bind parameters

RAW_BASE = f"""
WITH base AS (
    SELECT {BUCKET.format(column="e.occurred_at")} AS b, {{key}} AS k, count(*)::bigint AS event_count,
           {{users}} AS users, count(v.x) AS value_count, COALESCE(sum(v.x), 0)::float8 AS value_sum,
           min(v.x)::float8 AS value_min, max(v.x)::float8 AS value_max
    FROM events e
    CROSS JOIN LATERAL (SELECT {{value}} AS x) v
    WHERE e.tenant_id = :tenant AND e.event_type = :event_type AND e.occurred_at >= :start
      AND e.occurred_at < :end{{filters}}
    GROUP BY 1, 2
)"""  # noqa: S608 - constants; the filters are conditions over bind parameters

# A breakdown of an additive measure from the summaries (migration 0015): rank on whole UTC days
# (property_rollup_day) plus the range's partial days from the hours, read only the top keys' hours (by
# value: property_rollup_hour_value_idx), and take "other" as the hour's total less the top keys'.
SUMMARISED = frozenset({"count", "sum", "avg"})
ROLLUP_KEY = """tenant_id = :tenant AND {t}.event_type = :event_type AND {t}.dimension = :dimension
          AND {t}.measure = :measure"""
SUMMARY_BREAKDOWN = f"""
WITH ranked AS (
    SELECT k, {{agg}} AS total
    FROM (
        SELECT d.dim_value AS k, d.event_count, d.value_count, d.value_sum FROM property_rollup_day d
        WHERE d.{ROLLUP_KEY.format(t="d")} AND d.day_start >= :day_lo AND d.day_start < :day_hi
        UNION ALL
        SELECT r.dim_value, r.event_count, r.value_count, r.value_sum FROM property_rollup_hour r
        WHERE r.{ROLLUP_KEY.format(t="r")} AND ((r.bucket_start >= :start AND r.bucket_start < :day_lo)
              OR (r.bucket_start >= :day_hi AND r.bucket_start < :end))
    ) parts
    GROUP BY k
), top AS (
    SELECT k, jsonb_hash_extended(k, 0) AS hash, total, row_number() OVER (ORDER BY total DESC NULLS LAST, k) AS r
    FROM ranked ORDER BY r LIMIT :limit
), top_hours AS (
    SELECT top.r, {BUCKET.format(column="h.bucket_start")} AS b, h.event_count, h.value_count, h.value_sum
    FROM top JOIN property_rollup_hour h  -- by value_hash: under RLS only a leakproof = drives an index (0015)
         ON h.{ROLLUP_KEY.format(t="h")} AND h.value_hash = top.hash AND h.dim_value = top.k
         AND h.bucket_start >= :start AND h.bucket_start < :end
), top_buckets AS (
    SELECT b, sum(event_count) AS n, sum(value_count) AS xn, sum(value_sum) AS xs FROM top_hours GROUP BY b
), rest AS (
    SELECT a.b, a.event_count - COALESCE(t.n, 0) AS event_count, a.value_count - COALESCE(t.xn, 0) AS value_count,
           a.value_sum - COALESCE(t.xs, 0) AS value_sum
    FROM (
        SELECT {BUCKET.format(column="a.bucket_start")} AS b, sum(a.event_count) AS event_count,
               sum(a.value_count) AS value_count, sum(a.value_sum) AS value_sum
        FROM property_rollup_hour_total a
        WHERE a.{ROLLUP_KEY.format(t="a")} AND a.bucket_start >= :start AND a.bucket_start < :end
        GROUP BY 1
    ) a LEFT JOIN top_buckets t ON t.b = a.b
)
SELECT false, top.k::text, g.r, g.b, g.v
FROM (SELECT r, b, CAST({{agg}} AS float8) AS v FROM top_hours GROUP BY r, b) g JOIN top ON top.r = g.r
UNION ALL
SELECT false, k::text, r, NULL, CAST(total AS float8) FROM top
UNION ALL
SELECT true, NULL, NULL, b, CAST({{agg}} AS float8) FROM rest WHERE event_count > 0 GROUP BY b
UNION ALL
SELECT true, NULL, NULL, NULL, CAST({{agg}} AS float8) FROM rest WHERE event_count > 0 HAVING count(*) > 0
"""  # noqa: S608 - constants and bind parameters only

# the measure's value when it is a JSON number (the CASE keeps the cast from seeing anything else)
NUMBER_VALUE = (
    "CASE WHEN jsonb_typeof(e.properties -> CAST(:measure_p AS text)) = 'number' "
    "THEN CAST(e.properties -> CAST(:measure_p AS text) AS numeric) END"
)
USABLE = """
SELECT property_name, role FROM property_rollups
WHERE tenant_id = :tenant AND event_type = :event_type AND backfilled_at IS NOT NULL AND capped_at IS NULL
"""


# only the columns the measure reads leave the scan: a users sketch is up to 2.5 kB a row
NO_USERS = "CAST(NULL AS hll) AS users"
NO_VALUES = (
    "0::bigint AS value_count, 0::float8 AS value_sum, CAST(NULL AS float8) AS value_min, "
    "CAST(NULL AS float8) AS value_max"
)
VALUES = "r.value_count, r.value_sum, r.value_min, r.value_max"


def rollup_statement(read: TrendRead) -> tuple[str, dict[str, Any]]:
    params = _common(read) | {"dimension": read.dimension, "measure": read.measure_name}
    if read.breakdown and read.measure in SUMMARISED and not read.filters:
        return SUMMARY_BREAKDOWN.format(agg=AGGREGATES[read.measure]), params | _whole_days(params)
    conditions = [condition(item, "r.dim_value", f"f{index}_v", params) for index, item in enumerate(read.filters)]
    users = "r.users" if read.measure == "unique_users" else NO_USERS
    base = ROLLUP_BASE.format(
        columns=f"{users}, {VALUES if read.measure in ('sum', 'avg', 'min', 'max') else NO_VALUES}",
        key="r.dim_value" if read.breakdown else "'null'::jsonb",
        filters="".join(f"\n      AND {text}" for text in conditions),
    )
    return base + TAIL.format(agg=AGGREGATES[read.measure]), params


def raw_statement(read: TrendRead) -> tuple[str, dict[str, Any]]:
    params = _common(read)
    conditions = raw_conditions(read.filters, params)
    key = "'null'::jsonb"
    if read.breakdown is not None:
        params["breakdown_p"] = read.breakdown
        key = "COALESCE(e.properties -> CAST(:breakdown_p AS text), 'null'::jsonb)"
    value = "CAST(NULL AS numeric)"
    if read.property is not None and read.measure in ("sum", "avg", "min", "max"):
        params["measure_p"] = read.property
        value = NUMBER_VALUE
    users = pg_sketch.add_agg(pg_sketch.USER_KEY) if read.measure == "unique_users" else "CAST(NULL AS hll)"
    base = RAW_BASE.format(
        key=key, users=users, value=value, filters="".join(f"\n      AND {text}" for text in conditions)
    )
    return base + TAIL.format(agg=AGGREGATES[read.measure]), params


def _common(read: TrendRead) -> dict[str, Any]:
    return {
        "event_type": read.event_type,
        "start": from_epoch_ms(read.boundaries_ms[0]),
        "end": from_epoch_ms(read.boundaries_ms[-1]),
        "bounds": read.boundaries_ms,
        "limit": read.limit,
    }


def _whole_days(params: dict[str, Any]) -> dict[str, datetime]:
    """The UTC days wholly inside [start, end): the summaries rank those, the hours the rest (none: an
    empty span at ``end``, so every hour is read)."""
    start, end = params["start"], params["end"]
    day_lo = (start - timedelta(microseconds=1)).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    day_hi = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"day_lo": day_lo, "day_hi": day_hi} if day_lo < day_hi else {"day_lo": end, "day_hi": end}


def _rows(rows: list[list[Any]]) -> list[TrendRow]:
    return [
        TrendRow(other=bool(other), key_json=key, rank=rank, bucket=bucket, value=value)
        for other, key, rank, bucket, value in rows
    ]


class PostgresRollupTrends:
    """Trends and rollup marks from property_rollup_hour and property_rollups."""

    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def usable_rollups(self, tenant_id: uuid.UUID, event_type: str) -> frozenset[tuple[str, RollupRole]]:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(USABLE, tenant=tenant_id, event_type=event_type)
        return frozenset((name, role) for name, role in rows)

    def trend(self, tenant_id: uuid.UUID, read: TrendRead) -> list[TrendRow]:
        sql, params = rollup_statement(read)
        with self._db.transaction(tenant_id) as db:
            return _rows(db.run(sql, tenant=tenant_id, **params))


class PostgresRawTrends:
    """Trends from the raw events, any filters and interval, within ``timeout_ms``."""

    def __init__(self, db: TenantDatabase, *, timeout_ms: int = RAW_TIMEOUT_MS) -> None:
        self._db = db
        self._timeout_ms = int(timeout_ms)

    def trend(self, tenant_id: uuid.UUID, read: TrendRead) -> list[TrendRow]:
        sql, params = raw_statement(read)
        try:
            with self._db.transaction(tenant_id) as db:
                db.run(f"SET LOCAL statement_timeout = {self._timeout_ms}")
                return _rows(db.run(sql, tenant=tenant_id, **params))
        except Unavailable as error:
            if error.code == "query_timeout":
                raise TrendTooSlow(self._timeout_ms / 1000) from error
            raise
