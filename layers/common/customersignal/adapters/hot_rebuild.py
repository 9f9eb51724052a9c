"""Rebuild the Redis hot window from Postgres, the record: counts, unique users and freshness.

Reads one hour of the window at a time (bounded memory, and a natural unit of progress) and merges it
with the same idempotent script the aggregator uses, so a rebuild can run while the aggregator runs,
be interrupted, and be run again: every merge only moves values towards Postgres's.
Unique users are rebuilt from the raw events, which hold every counted event with its user (the
aggregator stores exactly the events it counts, and raw-event retention is at least 8 days, longer than
the 48 h window). Postgres's own sketches cannot be used: a Redis HyperLogLog (PFADD) and an hll sketch
hash users differently and lay out their registers differently, so neither converts into the other.
Feeding the same user keys to PFADD makes the HyperLogLogs come back as if the events had been counted
live.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pg8000.native

from customersignal.adapters import pg_sketch
from customersignal.domain.aggregation import BucketKey
from customersignal.domain.hot_window import HOT_WINDOW, HotUpdate

HOUR_COUNTS = """
SELECT tenant_id::text, event_type, bucket_start, event_count FROM metrics_minute
WHERE bucket_start >= :start AND bucket_start < :end
"""
# the minute bucket and user key exactly as the aggregator computes them (domain.aggregation)
HOUR_USERS = f"""
SELECT DISTINCT tenant_id::text, event_type, date_bin('1 minute', occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
       {pg_sketch.USER_KEY}
FROM events
WHERE occurred_at >= :start AND occurred_at < :end
"""  # noqa: S608 - pg_sketch's constant, not input
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
