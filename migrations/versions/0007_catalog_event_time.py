"""The catalog keeps event time beside receive time: first_event_at and last_event_at.

Revision ID: 0007_catalog_event_time
Revises: 0006_alert_repeats
Create Date: 2026-12-07

first_seen_at and last_seen_at say when the platform *received* a type's events; a backfilled type (old
events sent today) was "first seen" today although its first event happened hours or years before. The
new columns hold the earliest and latest *event* time (the corrected occurred_at that buckets use), kept
by the aggregator's catalog upsert with the same LEAST/GREATEST merge, so a replayed batch changes nothing.

Existing types are filled from the raw events still stored. With a retention that has already dropped
partitions, first_event_at is the oldest event still stored (no older record of event time exists).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_catalog_event_time"
down_revision: str | None = "0006_alert_repeats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
UPDATE event_types t
SET first_event_at = e.first_at, last_event_at = e.last_at
FROM (SELECT tenant_id, event_type, min(occurred_at) AS first_at, max(occurred_at) AS last_at
      FROM events GROUP BY tenant_id, event_type) e
WHERE t.tenant_id = e.tenant_id AND t.name = e.event_type
"""


def upgrade() -> None:
    op.execute("ALTER TABLE event_types ADD COLUMN first_event_at timestamptz, ADD COLUMN last_event_at timestamptz")
    op.execute(BACKFILL)
    op.execute(
        "COMMENT ON COLUMN event_types.first_seen_at IS $$When the platform first received an event of this type"
        " (receive time).$$"
    )
    op.execute(
        "COMMENT ON COLUMN event_types.first_event_at IS $$The earliest event time (corrected occurred_at) of this"
        " type; last_event_at the latest. Merged with LEAST/GREATEST, so replays are no-ops.$$"
    )


def downgrade() -> None:
    op.execute("COMMENT ON COLUMN event_types.first_seen_at IS NULL")
    op.execute("ALTER TABLE event_types DROP COLUMN first_event_at, DROP COLUMN last_event_at")
