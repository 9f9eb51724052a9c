"""Rollup upkeep (maintain, ``customersignal insights backfill``): backfill new rollups, cap runaway dimensions.

Backfill. A rollup adds, as events arrive, those received at or after its ``active_from``; this adds the
ones received before, from the raw events, once. One transaction per rollup: the rows of every day and the
``backfilled_at`` stamp commit together, so a crash leaves the stamp NULL and nothing added, and the next
run starts over. The type's rollup rows are locked FOR NO KEY UPDATE first, so two backfills of one
rollup cannot both run (the second waits, then finds it stamped), an unmark waits, and the aggregator,
which holds them FOR KEY SHARE, does not. It runs only once the tenant's freshness has passed
``active_from`` (``domain.rollups.backfill_ready``): then no event received before it is still on its way.
The raw events are read a UTC day of event time at a time (one partition each).

Cap. A dimension with more than ``VALUE_CAP`` distinct values is capped: ``capped_at`` is set, the
aggregator stops writing it and readers answer from raw events. Its rows stay (nothing reads them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pg8000.native

from customersignal.adapters import pg_sketch as sketch
from customersignal.adapters.pg_rollup_sql import COLUMNS, MERGE, number_sql, value_sql
from customersignal.domain.rollups import VALUE_CAP, BackfillResult, Role, Rollup, backfill_cells, backfill_ready

PENDING = """
SELECT r.tenant_id::text, r.event_type, r.property_name, r.role, r.active_from, f.complete_up_to
FROM property_rollups r
JOIN tenants t ON t.id = r.tenant_id
LEFT JOIN tenant_freshness f ON f.tenant_id = r.tenant_id
WHERE r.backfilled_at IS NULL AND r.capped_at IS NULL AND (CAST(:slug AS text) IS NULL OR t.slug = :slug)
ORDER BY r.active_from, r.tenant_id, r.event_type, r.property_name, r.role
"""
LOCK_TYPE_ROLLUPS = """
SELECT property_name, role, active_from, backfilled_at, capped_at FROM property_rollups
WHERE tenant_id = :t AND event_type = :e ORDER BY property_name, role
FOR NO KEY UPDATE
"""
EVENT_SPAN = "SELECT min(occurred_at), max(occurred_at) FROM events WHERE tenant_id = :t AND event_type = :e"
# cells: the (dimension, measure) rows to add, '' for none (domain.rollups.backfill_cells)
BACKFILL_DAY = f"""
WITH cells AS (
    SELECT d, m FROM jsonb_to_recordset(CAST(:cells AS jsonb)) AS r(d text, m text)
), ev AS (
    SELECT date_trunc('hour', occurred_at) AS b, properties AS p, {sketch.USER_KEY} AS k
    FROM events
    WHERE tenant_id = :t AND event_type = :e AND occurred_at >= :lo AND occurred_at < :hi AND received_at < :since
), x AS (
    SELECT c.d, CASE WHEN c.d = '' THEN 'null'::jsonb ELSE {value_sql("(ev.p -> c.d)")} END AS v, c.m AS mn, ev.b,
           ev.k, CASE WHEN c.m <> '' THEN {number_sql("(ev.p -> c.m)")} END AS x
    FROM ev CROSS JOIN cells c
), g AS (
    SELECT d, v, mn, b, count(*) AS n, CASE WHEN mn = '' THEN {sketch.add_agg("k")} END AS u, count(x) AS xn,
           COALESCE(sum(x), 0) AS xs, min(x) AS lo, max(x) AS hi
    FROM x GROUP BY d, v, mn, b
)
INSERT INTO property_rollup_hour AS h ({COLUMNS})
SELECT CAST(:t AS uuid), :e, d, v, mn, b, n, u, xn, xs, lo, hi FROM g ORDER BY d, mn, b, v
{MERGE}
"""  # noqa: S608
STAMP = """
UPDATE property_rollups SET backfilled_at = now()
WHERE tenant_id = :t AND event_type = :e AND property_name = :p AND role = :r
"""
# At most cap + 1 values are read per dimension: enough to tell it is over. The day summary (0015) holds the
# same values as the hours in a 24th of the rows.
CAP = """
UPDATE property_rollups r SET capped_at = now()
WHERE r.role = 'dimension' AND r.capped_at IS NULL
  AND (CAST(:t AS uuid) IS NULL OR (r.tenant_id = CAST(:t AS uuid) AND r.event_type = :e AND r.property_name = :p))
  AND (SELECT count(*) FROM (
          SELECT DISTINCT h.dim_value FROM property_rollup_day h
          WHERE h.tenant_id = r.tenant_id AND h.event_type = r.event_type AND h.dimension = r.property_name
            AND h.measure = ''
          LIMIT :cap + 1) v) > :cap
RETURNING r.tenant_id::text, r.event_type, r.property_name
"""
DAY = timedelta(days=1)


def cap_dimensions(db: pg8000.native.Connection) -> list[tuple[str, str, str]]:
    """Cap every active dimension past ``VALUE_CAP`` values; (tenant, type, property) of each newly capped."""
    rows = db.run(CAP, t=None, e=None, p=None, cap=VALUE_CAP)
    return [(str(t), str(e), str(p)) for t, e, p in rows]


def backfill_rollups(db: pg8000.native.Connection, now: datetime, slug: str | None = None) -> Iterator[BackfillResult]:
    """Backfill every pending rollup (of one tenant, by slug) that is ready; one result per pending rollup."""
    for tenant, event_type, prop, role, active_from, watermark in db.run(PENDING, slug=slug):
        tenant_id = uuid.UUID(tenant)
        if not backfill_ready(active_from, watermark, now):
            yield BackfillResult(tenant_id, event_type, prop, _role(role), 0, done=False)
            continue
        yield _backfill_one(db, tenant_id, event_type, prop, _role(role))


def _role(value: str) -> Role:
    return "dimension" if value == "dimension" else "measure"


def _backfill_one(
    db: pg8000.native.Connection, tenant_id: uuid.UUID, event_type: str, prop: str, role: Role
) -> BackfillResult:
    keys = {"t": str(tenant_id), "e": event_type}
    skipped = BackfillResult(tenant_id, event_type, prop, role, 0, done=False)
    db.run("BEGIN")
    try:
        locked = db.run(LOCK_TYPE_ROLLUPS, **keys)
        rollups = [Rollup(p, _role(r), since, capped is not None) for p, r, since, _, capped in locked]
        stamps = {(p, r): stamped for p, r, _, stamped, _ in locked}
        target = next((r for r in rollups if (r.property_name, r.role) == (prop, role)), None)
        if target is None or stamps[prop, role] is not None or target.capped:  # unmarked, done or capped meanwhile
            db.run("ROLLBACK")
            return skipped
        cells = orjson.dumps([{"d": d, "m": m} for d, m in backfill_cells(target, rollups)]).decode()
        written = 0
        ((first, last),) = db.run(EVENT_SPAN, **keys)
        if first is not None:
            day = first.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)  # a partition's day
            while day <= last:
                db.run(BACKFILL_DAY, cells=cells, lo=day, hi=day + DAY, since=target.active_from, **keys)
                written += int(db.row_count)
                day += DAY
        db.run(STAMP, p=prop, r=role, **keys)
        if target.role == "dimension":
            db.run(CAP, p=prop, cap=VALUE_CAP, **keys)  # a backfill can bring a dimension past its cap at once
        db.run("COMMIT")
    except BaseException:
        db.run("ROLLBACK")
        raise
    return BackfillResult(tenant_id, event_type, prop, target.role, written, done=True)
