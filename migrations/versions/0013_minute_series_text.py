"""The packed minute counts keep their text form too, so a month of minutes is read without converting
432,000 numbers.

Revision ID: 0013_minute_series_text
Revises: 0012_rollup_unmark
Create Date: 2026-12-07

Why. The 1-minute series (30 days x 10 types = 7,200 packed rows, 432,000 counts) spent most of its
Postgres time in ``array_to_string``: one output-function call per count, on every read. A read-mostly
table should pay that once per write instead: ``counts_text`` is a stored generated column, recomputed by
Postgres whenever the aggregator adds to ``counts`` (60 numbers per touched hour and batch), and read as
it is. On the dashboard bench's data the statement took half the time (``make bench``, docs/performance.md).

``array_to_string`` is only STABLE (some element types print by session settings); bigint's output is not
one of them, so ``minute_counts_text`` wraps it as IMMUTABLE, which a generated column requires.
The upgrade rewrites the table once (ALTER TABLE ... ADD COLUMN ... STORED).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013_minute_series_text"
down_revision: str | None = "0012_rollup_unmark"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = [
    """
CREATE FUNCTION minute_counts_text(counts bigint[]) RETURNS text
IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT array_to_string(counts, ',') $$
""",
    """
ALTER TABLE metrics_minute_series
    ADD COLUMN counts_text text GENERATED ALWAYS AS (minute_counts_text(counts)) STORED
""",
    """COMMENT ON COLUMN metrics_minute_series.counts_text IS $$counts as comma-separated text, kept by
Postgres on every write, so the 1-minute series reads text instead of converting each count (0013).$$""",
]

DOWNGRADE = [
    "ALTER TABLE metrics_minute_series DROP COLUMN counts_text",
    "DROP FUNCTION minute_counts_text(bigint[])",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
