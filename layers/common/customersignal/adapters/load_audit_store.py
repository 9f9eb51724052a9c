"""What the stores hold for one tenant, for ``customersignal loadgen verify``: raw rows per event id, and
the counts at every grain Postgres keeps plus the Redis hot window's minutes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pg8000.native
import redis

from customersignal.adapters.hot_reader import RedisHotReader
from customersignal.loadgen.audit import StoreSnapshot

ROWS_PER_EVENT = """
SELECT event_id::text, min(event_type), count(*), min(occurred_at)
FROM events WHERE tenant_id = :tenant GROUP BY event_id
"""
COUNTS = {
    "minute": "SELECT event_type, sum(event_count) FROM metrics_minute WHERE tenant_id = :tenant GROUP BY 1",
    "series": """SELECT s.event_type, sum(c) FROM metrics_minute_series s, unnest(s.counts) c
                 WHERE s.tenant_id = :tenant GROUP BY 1""",
    "hour": "SELECT event_type, sum(event_count) FROM metrics_hour WHERE tenant_id = :tenant GROUP BY 1",
    "day": "SELECT event_type, sum(event_count) FROM metrics_day WHERE tenant_id = :tenant GROUP BY 1",
}


def store_snapshot(db: pg8000.native.Connection, hot: redis.Redis | None, tenant_id: uuid.UUID) -> StoreSnapshot:
    rows = db.run(ROWS_PER_EVENT, tenant=tenant_id)
    counted = {grain: {str(t): int(n) for t, n in db.run(sql, tenant=tenant_id)} for grain, sql in COUNTS.items()}
    earliest = min((r[3] for r in rows), default=None)
    if hot is not None and earliest is not None:
        in_hot = hot_counts(RedisHotReader(hot), tenant_id, sorted(counted["minute"]), earliest)
        if in_hot is not None:
            counted["hot"] = in_hot
    return StoreSnapshot(rows_per_event={r[0]: (r[1], int(r[2])) for r in rows}, counted=counted)


def hot_counts(
    reader: RedisHotReader, tenant_id: uuid.UUID, types: list[str], since: datetime
) -> dict[str, int] | None:
    """Per-type totals of the hot window's minutes since ``since``; None when the window does not cover
    them (never rebuilt since Redis was emptied: the dashboard then reads Postgres)."""
    covered = reader.covered_from()
    if covered is None or covered > since:
        return None
    now = datetime.now(UTC)
    series = reader.minute_counts(tenant_id, types, since.replace(second=0, microsecond=0), now + timedelta(hours=1))
    return {t: sum(minutes.values()) for t, minutes in series.items()}


def stored_count(db: pg8000.native.Connection, tenant_id: uuid.UUID) -> int:
    [[count]] = db.run("SELECT count(*) FROM events WHERE tenant_id = :tenant", tenant=tenant_id)
    return int(count)


def tenant_id_for(db: pg8000.native.Connection, slug: str) -> uuid.UUID | None:
    found = db.run("SELECT id FROM tenants WHERE slug = :slug", slug=slug)
    return uuid.UUID(str(found[0][0])) if found else None
