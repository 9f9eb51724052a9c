"""Unique users as HyperLogLog sketches: a ``users hll`` column per metrics row, membership tables dropped.

Revision ID: 0009_unique_user_sketches
Revises: 0008_alert_state_changed_at
Create Date: 2026-12-07

Why. The exact membership tables (metrics_{minute,hour,day}_users, 0002) cost one row per user per bucket
at three grains, the largest write in the batch transaction (docs/scaling.md), and were pruned after 8
days, so a range older than that had no distinct count at all and an event more than 8 days late counted
its user twice. A sketch per metrics row is bounded (at most 2,563 bytes), unions across any buckets,
and re-adding a user is idempotent, however late.

Precision: ``hll(12, 5, -1, 1)``, the same in customersignal.adapters.pg_sketch (a test compares them):
about 1.6 % standard error, and exact up to 320 users per sketch (explicit mode). See
docs/aggregation.md, "Unique users: two estimators", and bench/hll-precision.md.

Storage. A full dense sketch is 2,563 bytes; with STORAGE MAIN and toast_tuple_target 4080 the whole
row stays in the heap page, uncompressed: the aggregator rewrites it on every batch that touches the
bucket, and a TOAST pointer would make each such update write a new out-of-line value as well.

The upgrade fills each sketch from every source of user keys that still exists: the membership rows
(the last 8 days) and the raw events (the raw-event retention, often longer). A union is idempotent, so
a user present in both is counted once. ``unique_users`` is kept (the covering index of 0004 and the
native series read it), now maintained as ``hll_cardinality(users)``; the upgrade sets it so wherever a
sketch could be built. Where neither source survives (buckets older than both the membership horizon
and the raw-event retention) the sketch stays empty and ``unique_users`` keeps its exact value; a union
over such a bucket does not see its users.

Privileges. ``CREATE EXTENSION hll`` needs a superuser, or on RDS and Aurora PostgreSQL the master user
(a member of rds_superuser). The local stack creates it in template1 and the application database as
the postgres superuser (infra/local/postgres.sh), so this statement finds it there; docs/deploy.md says
what a managed database needs. The downgrade leaves the extension: it may predate this revision.

Downgrade. Membership cannot be recovered from sketches (a sketch keeps hashed registers, not user
keys). The membership tables come back EMPTY, exactly as 0002 made them, and say so in a NOTICE;
``unique_users`` keeps the estimates. Non-native unique-user series (5m, local days) over the past are
then empty until new events arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from alembic import op

log = logging.getLogger("alembic.runtime.migration")

revision: str = "0009_unique_user_sketches"
down_revision: str | None = "0008_alert_state_changed_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPMOD = "12, 5, -1, 1"  # frozen here: customersignal.adapters.pg_sketch.TYPMOD must equal it (tested)
GRAINS = {"minute": "1 minute", "hour": "1 hour", "day": "1 day"}
ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
LOST = (
    "0009 downgrade: unique-user membership cannot be recovered from HyperLogLog sketches;"
    " metrics_minute_users, metrics_hour_users and metrics_day_users are recreated EMPTY,"
    " unique_users keeps its estimates"
)
TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
# room for the row and a full dense sketch, so the sketch is never compressed or moved out of line
TOAST_TUPLE_TARGET = 4080

ENSURE_EXTENSION = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'hll')
       AND NOT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'hll') THEN
        RAISE EXCEPTION 'the hll extension is not installed on this server'
            USING HINT = 'Debian: apt-get install postgresql-15-hll; RDS/Aurora PostgreSQL ship it (docs/deploy.md)';
    END IF;
END
$$
"""

COLUMN_COMMENT = """Unique users of this bucket as a HyperLogLog sketch (hll extension, precision {typmod}: about
1.6 % standard error, exact up to 320 users). The aggregator adds each batch's users with
hll_add_agg(hll_hash_text(user_key)) and merges with hll_union in the batch transaction; user_key =
COALESCE(user_id, 'anon-' || anonymous_id). Unions across buckets and grains give unique users over any
range. unique_users is hll_cardinality(users). Kept inline (STORAGE MAIN, toast_tuple_target). See
migration 0009."""

SOURCES = f"""
SELECT tenant_id, event_type, bucket_start, user_key FROM metrics_{{grain}}_users
UNION ALL
SELECT tenant_id, event_type, date_bin('{{width}}', occurred_at, {ORIGIN}), COALESCE(user_id, 'anon-' || anonymous_id)
FROM events
"""

FILL = f"""
UPDATE metrics_{{grain}} m
SET users = s.users, unique_users = hll_cardinality(s.users)::bigint
FROM (
    SELECT tenant_id, event_type, bucket_start, hll_add_agg(hll_hash_text(user_key), {TYPMOD}) AS users
    FROM ({SOURCES}) keys
    GROUP BY 1, 2, 3
) s
WHERE m.tenant_id = s.tenant_id AND m.event_type = s.event_type AND m.bucket_start = s.bucket_start
"""


def membership_table(grain: str, width: str) -> list[str]:
    """metrics_<grain>_users exactly as 0002 created it (empty)."""
    table = f"metrics_{grain}_users"
    return [
        f"""
CREATE TABLE {table} (
    tenant_id     uuid        NOT NULL,
    event_type    text        NOT NULL,
    bucket_start  timestamptz NOT NULL,
    user_key      text        NOT NULL,
    CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, event_type, bucket_start, user_key),
    CONSTRAINT {table}_bucket_check
        CHECK (bucket_start = date_bin('{width}', bucket_start, {ORIGIN}))
)
""",
        f"CREATE INDEX {table}_bucket_brin ON {table} USING brin (bucket_start)",
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
        f"GRANT SELECT ON {table} TO cs_tenant",
        f"COMMENT ON TABLE {table} IS $$Unique-user membership per {grain} bucket, recreated EMPTY by the"
        " downgrade of 0009: membership cannot be recovered from the sketches it replaced.$$",
    ]


def upgrade() -> None:
    op.execute(ENSURE_EXTENSION)
    op.execute("CREATE EXTENSION IF NOT EXISTS hll")
    for grain, width in GRAINS.items():
        table = f"metrics_{grain}"
        op.execute(f"ALTER TABLE {table} ADD COLUMN users hll({TYPMOD}) NOT NULL DEFAULT hll_empty({TYPMOD})")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN users SET STORAGE MAIN")
        op.execute(f"ALTER TABLE {table} SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")
        op.execute(f"COMMENT ON COLUMN {table}.users IS $${' '.join(COLUMN_COMMENT.format(typmod=TYPMOD).split())}$$")
        op.execute(
            f"COMMENT ON COLUMN {table}.unique_users IS $$hll_cardinality(users), kept by the aggregator with the"
            " sketch (0009): exact up to 320 users, about 1.6 % standard error above.$$"
        )
        op.execute(FILL.format(grain=grain, width=width))
        op.execute(f"DROP TABLE {table}_users")


def downgrade() -> None:
    log.warning(LOST)
    op.execute(f"DO $$ BEGIN RAISE NOTICE '{LOST}'; END $$")
    for grain, width in GRAINS.items():
        table = f"metrics_{grain}"
        for statement in membership_table(grain, width):
            op.execute(statement)
        op.execute(f"ALTER TABLE {table} DROP COLUMN users")
        op.execute(f"ALTER TABLE {table} RESET (toast_tuple_target)")
        op.execute(f"COMMENT ON COLUMN {table}.unique_users IS NULL")
