"""Minute counts packed per hour: one row per (tenant, event type, UTC hour) with its 60 counts.

Revision ID: 0005_minute_series
Revises: 0004_series_covering_key
Create Date: 2026-11-27

Why. A chart of 30 days at 1 minute for 10 types is 432,000 buckets. Read from metrics_minute, even as an
index-only scan (0004), that is 432,000 index tuples and an aggregate over each: about 230 ms of Postgres
on the bench machine (`make bench`). Packed, it is 7,200 rows of 60 counts, read in key order, and the
dashboard answers well inside its 100 ms goal. metrics_minute stays the source of exact unique users and
of every other grain; this table only serves minute *counts* over long ranges.

Maintained by the aggregator in the SAME transaction as metrics_minute (one more upsert of the batch's
touched hours, adding the batch's per-minute deltas element by element), so the two never disagree, late
events included. Rows are written in (tenant, type, hour) order like the other upserts, so two
containers never deadlock on them. The upgrade backfills it from metrics_minute.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_minute_series"
down_revision: str | None = "0004_series_covering_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"

UPGRADE = [
    f"""
CREATE TABLE metrics_minute_series (
    tenant_id   uuid        NOT NULL,
    event_type  text        NOT NULL,
    hour_start  timestamptz NOT NULL,
    counts      bigint[]    NOT NULL,
    CONSTRAINT metrics_minute_series_pkey PRIMARY KEY (tenant_id, event_type, hour_start),
    CONSTRAINT metrics_minute_series_hour_check CHECK (hour_start = date_bin('1 hour', hour_start, {ORIGIN})),
    CONSTRAINT metrics_minute_series_counts_check
        CHECK (cardinality(counts) = 60 AND array_lower(counts, 1) = 1 AND array_ndims(counts) = 1)
) WITH (fillfactor = 80)
""",
    """COMMENT ON TABLE metrics_minute_series IS $$The minute counts of metrics_minute packed per UTC hour:
counts[m + 1] is the count of minute m of hour_start. Kept in the aggregator transaction; read by the
dashboard for minute series over long ranges. See migration 0005.$$""",
    "ALTER TABLE metrics_minute_series ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY tenant_isolation ON metrics_minute_series"
    f" USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    "GRANT SELECT ON metrics_minute_series TO cs_tenant",
    f"""
INSERT INTO metrics_minute_series (tenant_id, event_type, hour_start, counts)
SELECT k.tenant_id, k.event_type, k.h, array_agg(COALESCE(m.event_count, 0) ORDER BY g.i)
FROM (SELECT DISTINCT tenant_id, event_type, date_bin('1 hour', bucket_start, {ORIGIN}) AS h FROM metrics_minute) k
CROSS JOIN generate_series(0, 59) AS g(i)
LEFT JOIN metrics_minute m
    ON m.tenant_id = k.tenant_id AND m.event_type = k.event_type AND m.bucket_start = k.h + g.i * interval '1 minute'
GROUP BY k.tenant_id, k.event_type, k.h
""",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE metrics_minute_series")
