"""``MetricsReader`` and ``RangeUsers`` on Postgres: series from metrics_minute/hour/day (their hll
sketches for distinct users), totals per type, unique users over a range, and the freshness watermark;
all under the tenant's RLS.

Each series comes back as two int arrays cast to text ("{1,2,3}"): bucket numbers and values, parsed by
orjson (a month of minutes for ten types is 432,000 points; one text value per type parses an order of
magnitude faster than a row per point through the driver). Postgres computes the bucket number:

* 1-minute counts come from metrics_minute_series (migration 0005): each type's hours, in order, with
  60 zeros for an hour that has no row, as one comma-separated text that orjson parses in one call, joined
  from the text Postgres keeps beside each row's counts (0013) rather than converting 432,000 numbers;
* where the stored grain *is* the bucket (1m unique users, 1h, 1d), from the bucket's epoch, with one
  LIMIT-free branch per event type, so each is an index-only scan of the covering primary key in key
  order (migration 0004) and nothing is sorted;
* otherwise (5m, local days, hours of :30 zones) by ``width_bucket`` over the very boundaries the domain
  computed, so SQL and Python never disagree about where a bucket starts; unique users are then the
  cardinality of the union of each bucket's stored sketches.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from customersignal.adapters import pg_sketch
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.range_users import GrainSpan
from customersignal.domain.timeseries import GRAIN_WIDTH, DenseRun, Metric, SeriesPlan, SparseSeries, from_epoch_ms

MINUTE_MS, HOUR_MS = 60_000, 3_600_000

FRESHNESS = "SELECT complete_up_to FROM tenant_freshness WHERE tenant_id = :tenant"
TYPE_TOTALS = """
SELECT event_type, sum(event_count)::bigint FROM (
    SELECT event_type, event_count FROM metrics_minute
    WHERE tenant_id = :tenant AND bucket_start >= :start AND bucket_start < :end_minutes_1
    UNION ALL
    SELECT event_type, event_count FROM metrics_hour
    WHERE tenant_id = :tenant AND bucket_start >= :end_minutes_1 AND bucket_start < :start_minutes_2
    UNION ALL
    SELECT event_type, event_count FROM metrics_minute
    WHERE tenant_id = :tenant AND bucket_start >= :start_minutes_2 AND bucket_start < :end
) parts
GROUP BY event_type
"""


def native_sql(grain: str, column: str, types: int) -> str:
    branch = """(SELECT CAST(:type_{n} AS text), array_agg(i)::text, array_agg(v)::text FROM (
    SELECT ((date_part('epoch', bucket_start) - :first_s) / :width_s)::int AS i, {column} AS v
    FROM metrics_{grain}
    WHERE tenant_id = :tenant AND event_type = :type_{n} AND bucket_start >= :start AND bucket_start < :until
      AND {column} > 0
) one_type)"""
    return "\nUNION ALL\n".join(branch.format(n=n, grain=grain, column=column) for n in range(types))


MINUTE_SERIES = """
SELECT e.name, (
    SELECT string_agg(COALESCE(s.counts_text, z.zeros), ',' ORDER BY h.hour)
    FROM generate_series(CAST(:first_hour AS timestamptz), CAST(:last_hour AS timestamptz), interval '1 hour')
         AS h(hour)
    LEFT JOIN metrics_minute_series s ON s.tenant_id = :tenant AND s.event_type = e.name AND s.hour_start = h.hour
)
FROM unnest(CAST(:event_types AS text[])) AS e(name), (SELECT repeat('0,', 59) || '0' AS zeros) z
"""


def bucketed_sql(table: str, value: str) -> str:
    return f"""
SELECT event_type, array_agg(b - 1)::text, array_agg(v)::text FROM (
    SELECT event_type,
           width_bucket((date_part('epoch', bucket_start) * 1000)::bigint, CAST(:bounds AS bigint[])) AS b,
           {value} AS v
    FROM {table}
    WHERE tenant_id = :tenant AND event_type = ANY(:event_types) AND bucket_start >= :start AND bucket_start < :until
    GROUP BY 1, 2
) per_bucket
WHERE v > 0
GROUP BY event_type
"""


class PostgresMetricsReader:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def series(
        self, tenant_id: uuid.UUID, event_types: Sequence[str], metric: Metric, plan: SeriesPlan, until_ms: int
    ) -> dict[str, SparseSeries | DenseRun]:
        if metric == "count" and plan.native_unique and plan.grain == "minute":
            return self._minute_counts(tenant_id, event_types, plan, until_ms)
        column = "event_count" if metric == "count" else "unique_users"
        params: dict[str, Any] = {"start": plan.start, "until": from_epoch_ms(until_ms)}
        if plan.native_unique:
            sql = native_sql(plan.grain, column, len(event_types))
            params |= {f"type_{n}": name for n, name in enumerate(event_types)}
            params |= {
                "first_s": plan.boundaries_ms[0] // 1000,
                "width_s": int(GRAIN_WIDTH[plan.grain].total_seconds()),
            }
        else:
            value = "sum(event_count)::bigint" if metric == "count" else pg_sketch.union_cardinality("users")
            sql = bucketed_sql(f"metrics_{plan.grain}", value)
            params |= {"event_types": list(event_types), "bounds": [b for b in plan.boundaries_ms if b <= until_ms]}
        with self._db.transaction(tenant_id) as db:
            rows = db.run(sql, tenant=tenant_id, **params)
        return {name: SparseSeries(_int_array(index), _int_array(values)) for name, index, values in rows if index}

    def _minute_counts(
        self, tenant_id: uuid.UUID, event_types: Sequence[str], plan: SeriesPlan, until_ms: int
    ) -> dict[str, SparseSeries | DenseRun]:
        first_hour_ms = plan.boundaries_ms[0] // HOUR_MS * HOUR_MS
        last_hour_ms = (until_ms - 1) // HOUR_MS * HOUR_MS
        skip = (plan.boundaries_ms[0] - first_hour_ms) // MINUTE_MS
        wanted = (until_ms - plan.boundaries_ms[0]) // MINUTE_MS
        params = {"first_hour": from_epoch_ms(first_hour_ms), "last_hour": from_epoch_ms(last_hour_ms)}
        with self._db.transaction(tenant_id) as db:
            rows = db.run(MINUTE_SERIES, tenant=tenant_id, event_types=list(event_types), **params)
        out: dict[str, SparseSeries | DenseRun] = {}
        for name, text in rows:
            values: list[int] = orjson.loads(b"[" + text.encode() + b"]")
            out[name] = DenseRun(0, values[skip : skip + wanted])
        return out

    def type_totals(self, tenant_id: uuid.UUID, start: datetime, end: datetime) -> dict[str, int]:
        """Whole hours from metrics_hour, the ragged minutes at both ends from metrics_minute."""
        first_hour = _ceil_hour(start)
        last_hour = max(first_hour, end.astimezone(UTC).replace(minute=0, second=0, microsecond=0))
        if first_hour >= end:
            first_hour = last_hour = end
        with self._db.transaction(tenant_id) as db:
            rows = db.run(
                TYPE_TOTALS, tenant=tenant_id, start=start, end=end, end_minutes_1=first_hour, start_minutes_2=last_hour
            )
        return {name: int(total) for name, total in rows}

    def unique_users(self, tenant_id: uuid.UUID, cover: Sequence[GrainSpan]) -> int:
        """One statement: the union of every event type's sketches in each span's table."""
        if not cover:
            return 0
        parts = [
            f"SELECT users FROM metrics_{span.grain} WHERE tenant_id = :tenant"
            f" AND bucket_start >= :start_{n} AND bucket_start < :end_{n}"
            for n, span in enumerate(cover)
        ]
        sql = f"SELECT {pg_sketch.union_cardinality('users')} FROM ({' UNION ALL '.join(parts)}) spans"
        params = {f"start_{n}": span.start for n, span in enumerate(cover)}
        params |= {f"end_{n}": span.end for n, span in enumerate(cover)}
        with self._db.transaction(tenant_id) as db:
            rows = db.run(sql, tenant=tenant_id, **params)
        return int(rows[0][0])

    def freshness(self, tenant_id: uuid.UUID) -> datetime | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(FRESHNESS, tenant=tenant_id)
        return rows[0][0] if rows else None


def _int_array(text: str) -> list[int]:
    """Postgres's text form of an int array ("{1,2,3}") as a list, through orjson's parser."""
    parsed: list[int] = orjson.loads(b"[" + text[1:-1].encode() + b"]")
    return parsed


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)
