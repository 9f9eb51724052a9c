"""Keep the pipeline's own tables bounded: the dedup window, unique-user membership, raw-event partitions.

- ``event_dedup`` keeps (tenant, event id) claims for ``DEDUP_WINDOW`` (8 days, by received time): the
  promise is at least 7 days, and a day of slack covers clock skew and a slow job.
- ``metrics_*_users`` membership is needed only while a bucket can still change; a bucket older than the
  lateness horizon (the same 8 days) keeps its final ``unique_users`` and loses its membership rows.
- ``events`` gets today's and the next two days' partitions (the aggregator also does this at start).
Deletes run in chunks of ``CHUNK`` rows, each its own short transaction, so a big backlog never holds
long locks and an interrupted run has done part of the job and can be run again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pg8000.native

DEDUP_WINDOW = timedelta(days=8)
CHUNK = 10_000

PRUNE_DEDUP = """
WITH doomed AS (
    SELECT tenant_id, event_id FROM event_dedup WHERE received_at < :before LIMIT :chunk FOR UPDATE SKIP LOCKED
)
DELETE FROM event_dedup d USING doomed WHERE d.tenant_id = doomed.tenant_id AND d.event_id = doomed.event_id
"""


def _prune_members(grain: str) -> str:
    return f"""
WITH doomed AS (
    SELECT ctid FROM metrics_{grain}_users WHERE bucket_start < :before LIMIT :chunk FOR UPDATE SKIP LOCKED
)
DELETE FROM metrics_{grain}_users m USING doomed WHERE m.ctid = doomed.ctid
"""  # noqa: S608 - grain is one of three literals


STEPS: list[tuple[str, str]] = [
    ("event_dedup", PRUNE_DEDUP),
    *((f"metrics_{grain}_users", _prune_members(grain)) for grain in ("minute", "hour", "day")),
]
ENSURE_PARTITIONS = """
SELECT ensure_event_partitions((now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + 2)
"""


def prune(db: pg8000.native.Connection, now: datetime) -> Iterator[tuple[str, int]]:
    """(table, rows deleted) after each chunk, until every table is within its window."""
    before = now - DEDUP_WINDOW
    for table, statement in STEPS:
        while True:
            db.run(statement, before=before, chunk=CHUNK)
            deleted = int(db.row_count)
            yield table, deleted
            if deleted < CHUNK:
                break


def ensure_partitions(db: pg8000.native.Connection) -> int:
    return int(db.run(ENSURE_PARTITIONS)[0][0])
