"""Rebuild the Redis hot window from Postgres, the record: counts, unique users and freshness.

Reads one hour of the window at a time (bounded memory, and a natural unit of progress) and merges it
with the same idempotent script the aggregator uses, so a rebuild can run while the aggregator runs,
be interrupted, and be run again: every merge only moves values towards Postgres's.
Unique users are rebuilt from the exact membership rows (metrics_minute_users), so the HyperLogLogs
come back as if the events had been counted live.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pg8000.native

from customersignal.domain.aggregation import BucketKey
from customersignal.domain.hot_window import HOT_WINDOW, HotUpdate

HOUR_COUNTS = """
SELECT tenant_id::text, event_type, bucket_start, event_count FROM metrics_minute
WHERE bucket_start >= :start AND bucket_start < :end
"""
HOUR_USERS = """
SELECT tenant_id::text, event_type, bucket_start, user_key FROM metrics_minute_users
WHERE bucket_start >= :start AND bucket_start < :end
"""
FRESHNESS = "SELECT tenant_id::text, complete_up_to FROM tenant_freshness"


def window_hours(now: datetime, window: timedelta = HOT_WINDOW) -> list[datetime]:
    """Start of each hour that overlaps the window, oldest first."""
    first = (now - window).replace(minute=0, second=0, microsecond=0)
    hours = []
    while first <= now:
        hours.append(first)
        first += timedelta(hours=1)
    return hours


def hot_window_updates(db: pg8000.native.Connection, now: datetime) -> Iterator[tuple[datetime, HotUpdate]]:
    """(hour, its update) for each hour of the window, then (now, the freshness watermarks)."""
    window_start = now - HOT_WINDOW
    for hour in window_hours(now):
        start, end = max(hour, window_start.replace(second=0, microsecond=0)), hour + timedelta(hours=1)
        update = HotUpdate()
        for tenant, event_type, bucket, count in db.run(HOUR_COUNTS, start=start, end=end):
            update.totals[BucketKey(tenant, event_type, bucket)] = count
        for tenant, event_type, bucket, user in db.run(HOUR_USERS, start=start, end=end):
            update.users[BucketKey(tenant, event_type, bucket)].add(user)
        yield hour, update
    freshness = HotUpdate(freshness={uuid.UUID(t): moment for t, moment in db.run(FRESHNESS)})
    yield now, freshness
