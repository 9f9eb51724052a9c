"""Rollup summaries: a breakdown by a dimension of hundreds of values ranks days, not hours.

Revision ID: 0015_rollup_summaries
Revises: 0014_alert_insights
Create Date: 2026-12-07

A trend broken down by a dimension ranks every value by its total over the range, draws the top N, and
folds the rest into "other". From ``property_rollup_hour`` alone that reads every value's every hour: at
500 values over 30 days, 360,000 rows per query. Two summaries of the same rows bring it to about 15,000:

* ``property_rollup_day``: per value per UTC day, to rank the values (the range's partial days at either
  end are read from the hourly rows);
* ``property_rollup_hour_total``: per hour, over all of a dimension's values, so "other" is the total less
  the top N, for the additive measures (count, sum, average). Unique users, minimum and maximum do not
  subtract; those still read every row.
Both keep event_count, value_count and value_sum only (no sketch, no min or max).

Triggers keep them, not the aggregator: an AFTER statement trigger per INSERT, UPDATE and DELETE of
``property_rollup_hour`` adds the rows' change (new - old) to both, in the same transaction as the change.
So whatever writes the hourly rows (a batch, the backfill, an unmark, the release still running while this
deploys, or a hand-run repair) keeps the summaries equal to them, exactly once; a TRUNCATE empties them
too. The functions run as their owner (SECURITY DEFINER): the tenant role deletes hourly rows when
unmarking and may only read the summaries. A summary row left with no events is deleted. Measure rows over
all events (dimension '') have one value and are not summarised.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_rollup_summaries"
down_revision: str | None = "0014_alert_insights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
ADDS = """event_count = {t}.event_count + EXCLUDED.event_count,
        value_count = {t}.value_count + EXCLUDED.value_count,
        value_sum = {t}.value_sum + EXCLUDED.value_sum"""
DAY = "date_trunc('day', bucket_start, 'UTC')"

# the change a statement made, as signed rows: the new rows, less the old ones
CHANGES = {
    "insert": "SELECT *, 1 AS sign FROM new_rows",
    "update": "SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 FROM old_rows",
}
TRIGGERS = ("insert", "update", "delete", "truncate")


def summarise(change: str) -> str:
    """The trigger function's body: add the change to both summaries in one statement, in key order (as
    batches lock the hourly rows)."""
    body = f"""
    WITH change AS (
        SELECT tenant_id, event_type, dimension, measure, bucket_start, dim_value, sign * event_count AS n,
               sign * value_count AS xn, sign * value_sum AS xs
        FROM ({CHANGES[change]}) c
        WHERE dimension <> ''
    ), day_change AS (
        INSERT INTO property_rollup_day AS d
        SELECT tenant_id, event_type, dimension, measure, {DAY}, dim_value, sum(n), sum(xn), sum(xs)
        FROM change
        GROUP BY tenant_id, event_type, dimension, measure, {DAY}, dim_value
        ORDER BY tenant_id, event_type, dimension, measure, {DAY}, dim_value
        ON CONFLICT (tenant_id, event_type, dimension, measure, day_start, dim_value) DO UPDATE
        SET {ADDS.format(t="d")}
    )
    INSERT INTO property_rollup_hour_total AS t
    SELECT tenant_id, event_type, dimension, measure, bucket_start, sum(n), sum(xn), sum(xs)
    FROM change
    GROUP BY tenant_id, event_type, dimension, measure, bucket_start
    ORDER BY tenant_id, event_type, dimension, measure, bucket_start
    ON CONFLICT (tenant_id, event_type, dimension, measure, bucket_start) DO UPDATE
    SET {ADDS.format(t="t")};"""
    return f"\nBEGIN{body}\n    RETURN NULL;\nEND"


def subtract(table: str, grain_column: str, grain: str, keys: tuple[str, ...]) -> str:
    """A delete subtracts (an upsert's insert row would be negative, which the CHECK refuses before any
    conflict is looked for) and drops the summary rows it emptied: an unmark deletes a dimension's rows."""
    key = ", ".join(keys)
    columns = (*keys, grain_column)
    return f"""
    UPDATE {table} s
    SET event_count = s.event_count - c.n, value_count = s.value_count - c.xn, value_sum = s.value_sum - c.xs
    FROM (
        SELECT {key}, {grain} AS {grain_column}, sum(event_count) AS n, sum(value_count) AS xn,
               sum(value_sum) AS xs
        FROM old_rows WHERE dimension <> ''
        GROUP BY {key}, {grain}
    ) c
    WHERE ({", ".join(f"s.{k}" for k in columns)}) = ({", ".join(f"c.{k}" for k in columns)});
    DELETE FROM {table} s
    WHERE s.event_count = 0 AND (s.tenant_id, s.event_type, s.dimension, s.measure) IN (
        SELECT DISTINCT tenant_id, event_type, dimension, measure FROM old_rows WHERE dimension <> ''
    );"""


SERIES = ("tenant_id", "event_type", "dimension", "measure")
DELETE = f"""
BEGIN{subtract("property_rollup_day", "day_start", DAY, (*SERIES, "dim_value"))}\
{subtract("property_rollup_hour_total", "bucket_start", "bucket_start", SERIES)}
    RETURN NULL;
END"""

# DELETE, not TRUNCATE: a TRUNCATE of the hours that names the summaries too (a test's or a bench's reset)
# still has them open when this fires, and a nested TRUNCATE of them is refused.
TRUNCATE = """
BEGIN
    DELETE FROM property_rollup_day;
    DELETE FROM property_rollup_hour_total;
    RETURN NULL;
END"""


def summary_table(name: str, grain: str, comment: str) -> list[str]:
    return [
        f"""
CREATE TABLE {name} (
    tenant_id    uuid             NOT NULL,
    event_type   text             NOT NULL,
    dimension    text             NOT NULL,
    measure      text             NOT NULL,
    {grain},
    event_count  bigint           NOT NULL CHECK (event_count >= 0),
    value_count  bigint           NOT NULL DEFAULT 0,
    value_sum    double precision NOT NULL DEFAULT 0
) WITH (fillfactor = 80)
""",
        f"COMMENT ON TABLE {name} IS $${' '.join(comment.split())}$$",
        f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {name} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
        f"GRANT SELECT ON {name} TO cs_tenant",
    ]


def trigger(change: str, referencing: str) -> list[str]:
    function = f"property_rollup_summarise_{change}"
    body = {"truncate": TRUNCATE, "delete": DELETE}.get(change) or summarise(change)
    return [
        f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $body${body}$body$
""",
        f"REVOKE ALL ON FUNCTION {function}() FROM PUBLIC",
        f"""
CREATE TRIGGER rollup_summaries_{change} AFTER {change.upper()} ON property_rollup_hour
{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()
""",
    ]


UPGRADE = [
    *summary_table(
        "property_rollup_day",
        "day_start    timestamptz      NOT NULL,\n    dim_value    jsonb            NOT NULL,\n"
        "    PRIMARY KEY (tenant_id, event_type, dimension, measure, day_start, dim_value)",
        """property_rollup_hour's dimension rows summed per UTC day (day_start), kept by its triggers: a
        breakdown ranks its values here. event_count, value_count and value_sum only.""",
    ),
    *summary_table(
        "property_rollup_hour_total",
        "bucket_start timestamptz      NOT NULL,\n"
        "    PRIMARY KEY (tenant_id, event_type, dimension, measure, bucket_start)",
        """property_rollup_hour's dimension rows summed over all values per hour, kept by its triggers: a
        breakdown's "other" is this less its top values. event_count, value_count and value_sum only.""",
    ),
    # A breakdown reads its top values' hours: by value, then hour (the primary key is by hour, then value).
    # Under the tenant's row-level security only leakproof operators may be index conditions, and jsonb's
    # = is not: the index is on the value's hash (int8 =, leakproof), and the reader also compares the values.
    # jsonb_hash_extended is the hash partitioning uses, which Postgres keeps stable across versions, and it
    # hashes equal jsonb alike (1.0 and 1).
    """
ALTER TABLE property_rollup_hour
ADD COLUMN value_hash bigint GENERATED ALWAYS AS (jsonb_hash_extended(dim_value, 0)) STORED
""",
    """
CREATE INDEX property_rollup_hour_value_idx
ON property_rollup_hour (tenant_id, event_type, dimension, measure, value_hash, bucket_start)
""",
    *trigger("insert", "REFERENCING NEW TABLE AS new_rows"),
    *trigger("update", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    *trigger("delete", "REFERENCING OLD TABLE AS old_rows"),
    *trigger("truncate", ""),
    # what exists already; the triggers (whose creation locks out writers until commit) add what follows
    f"""
INSERT INTO property_rollup_day
SELECT tenant_id, event_type, dimension, measure, {DAY}, dim_value, sum(event_count), sum(value_count),
       sum(value_sum)
FROM property_rollup_hour WHERE dimension <> ''
GROUP BY tenant_id, event_type, dimension, measure, {DAY}, dim_value
""",
    """
INSERT INTO property_rollup_hour_total
SELECT tenant_id, event_type, dimension, measure, bucket_start, sum(event_count), sum(value_count), sum(value_sum)
FROM property_rollup_hour WHERE dimension <> ''
GROUP BY tenant_id, event_type, dimension, measure, bucket_start
""",
]

DOWNGRADE = [
    *(f"DROP TRIGGER rollup_summaries_{change} ON property_rollup_hour" for change in TRIGGERS),
    *(f"DROP FUNCTION property_rollup_summarise_{change}()" for change in TRIGGERS),
    "DROP INDEX property_rollup_hour_value_idx",
    "ALTER TABLE property_rollup_hour DROP COLUMN value_hash",
    "DROP TABLE property_rollup_hour_total",
    "DROP TABLE property_rollup_day",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
