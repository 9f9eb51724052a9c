"""Keep the pipeline's own tables bounded: the dedup window and the raw-event partitions.

- ``event_dedup`` keeps (tenant, event id) claims for ``DEDUP_WINDOW`` (8 days, by received time): the
  promise is at least 7 days, and a day of slack covers clock skew and a slow job.
- Unique users need no pruning: each metrics row holds a bounded HyperLogLog sketch (migration 0009),
  which replaced the membership rows this job used to delete after 8 days.
- ``events`` gets today's and the next two days' partitions (the aggregator also does this at start), and
  with a retention set, loses its daily partitions older than that (a whole table dropped at once, no
  row-by-row delete). The retention cannot be shorter than the lateness horizon (8 days): a late event
  for a dropped day would land in ``events_default``.
- Property rollups: dimensions past their value cap are capped, and new rollups whose tenant's freshness
  has passed their ``active_from`` are backfilled from the raw events (``pg_rollup_backfill``), one
  transaction each.
Deletes run in chunks of ``CHUNK`` rows, each its own short transaction, so a big backlog never holds
long locks and an interrupted run has done part of the job and can be run again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pg8000.native

from customersignal.adapters.pg_rollup_backfill import backfill_rollups, cap_dimensions
from customersignal.settings import MIN_EVENTS_RETENTION_DAYS

DEDUP_WINDOW = timedelta(days=8)
MIN_RETENTION_DAYS = MIN_EVENTS_RETENTION_DAYS
CHUNK = 10_000
EVENT_PARTITIONS = """
SELECT c.relname
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relname = 'events' AND c.relname ~ '^events_p[0-9]{8}$'
ORDER BY c.relname
"""

PRUNE_DEDUP = """
WITH doomed AS (
    SELECT tenant_id, event_id FROM event_dedup WHERE received_at < :before LIMIT :chunk FOR UPDATE SKIP LOCKED
)
DELETE FROM event_dedup d USING doomed WHERE d.tenant_id = doomed.tenant_id AND d.event_id = doomed.event_id
"""


STEPS: list[tuple[str, str]] = [("event_dedup", PRUNE_DEDUP)]
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


def drop_expired_partitions(db: pg8000.native.Connection, today: date, retention_days: int) -> list[str]:
    """Drop the raw-event partitions of days older than ``retention_days`` before ``today``; their names."""
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(f"the raw-event retention must be at least {MIN_RETENTION_DAYS} days (the lateness horizon)")
    oldest_kept = today - timedelta(days=retention_days)
    dropped = []
    for (name,) in db.run(EVENT_PARTITIONS):
        if datetime.strptime(name.removeprefix("events_p"), "%Y%m%d").date() < oldest_kept:
            db.run(f'DROP TABLE "{name}"')  # the name matched ^events_p[0-9]{8}$ above
            dropped.append(name)
    return dropped


@dataclass
class MaintenanceReport:
    partitions_created: int = 0
    pruned: dict[str, int] = field(default_factory=dict)
    partitions_dropped: list[str] = field(default_factory=list)
    rollups_capped: list[str] = field(default_factory=list)  # "type.property" of each dimension capped
    rollups_backfilled: int = 0
    rollups_waiting: int = 0  # pending rollups whose tenant's freshness has not passed active_from yet

    def summary(self) -> str:
        pruned = ", ".join(f"{table} {n}" for table, n in self.pruned.items()) or "none"
        dropped = ", ".join(self.partitions_dropped) or "none"
        capped = ", ".join(self.rollups_capped) or "none"
        return (
            f"raw-event partitions created: {self.partitions_created}; rows pruned: {pruned}; "
            f"partitions dropped (retention): {dropped}; rollups backfilled: {self.rollups_backfilled} "
            f"({self.rollups_waiting} waiting); dimensions capped: {capped}"
        )


def run_maintenance(
    db: pg8000.native.Connection, now: datetime, retention_days: int | None, report: MaintenanceReport
) -> Iterator[str]:
    """Every step in order, filling ``report`` as it goes; yields a progress line after each chunk."""
    report.partitions_created = ensure_partitions(db)
    for table, deleted in prune(db, now):
        report.pruned[table] = report.pruned.get(table, 0) + deleted
        yield f"{table}: {report.pruned[table]} rows pruned"
    if retention_days is not None:
        report.partitions_dropped = drop_expired_partitions(db, now.date(), retention_days)
        yield f"partitions dropped: {len(report.partitions_dropped)}"
    report.rollups_capped = [f"{event_type}.{prop}" for _, event_type, prop in cap_dimensions(db)]
    for result in backfill_rollups(db, now):
        report.rollups_backfilled += result.done
        report.rollups_waiting += not result.done
        if result.done:
            yield f"rollup {result.event_type}.{result.property_name} ({result.role}) backfilled: {result.rows} rows"
