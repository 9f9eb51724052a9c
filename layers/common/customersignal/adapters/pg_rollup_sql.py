"""The batch statement's insight effects: property rollups and the identity map (migration 0011).

These CTEs join ``COUNT_STAGED`` (pg_aggregation_sql) and read its ``counted`` rows, so they commit or roll
back with the counts: a retried batch is fenced or deduplicated before it reaches them, exactly once.

Rollups. ``rollup_marks`` is the batch's (tenant, type)s' active, uncapped rollups; with none (the common
case) every join below is against an empty side and costs next to nothing. ``rollup_cells`` lists the
(dimension, measure) cells of each type ('' for none) with the time each is active from, and each counted
event is joined with its type's cells once (a hash join on the type; joining events with themselves to
pair a dimension with a measure made the planner, which sees CTEs as one-row tables, loop over every
pair of events). Each counted event adds to:
* a dimension's rows when received at or after the dimension's ``active_from``;
* a measure's all-events row (dimension '') when received at or after the measure's ``active_from``;
* a measure's per-value rows of a dimension when received at or after the later of the two: the pair
  belongs to whichever was marked last, and that one's backfill adds the events received before.
``FOR KEY SHARE``: unmarking deletes the rollup and its rows, and must wait for a batch that is writing
them (or the batch, once the delete committed, skips it); a backfill's NO KEY UPDATE lock does not block it.
A value is the property's jsonb (unset: JSON null). A value over ``MAX_VALUE_BYTES`` is keyed by its md5
instead (``{"$md5": ...}``): the primary key's btree refuses index rows past ~2.7 kB, and refusing the event
for it would lose a count. A measure counts only JSON numbers that a double holds (about 1e-300 to 1e300 in
magnitude, or 0); any other value counts in ``event_count`` but not in ``value_*``, so a huge number never
fails the batch.

Identity map. An event carrying both ids links its anonymous id to its user; a ``$alias`` event links
``properties.previousId``. The earliest link by event time wins (the DO UPDATE's WHERE), so a replay or a
later re-identification moves nobody.
"""

from __future__ import annotations

from typing import Final

from customersignal.adapters import pg_sketch as sketch

MAX_VALUE_BYTES: Final = 512
# How a batch's (or a backfill's) rows merge into the stored ones: every column adds up, so the order in
# which batches and the backfill arrive does not matter.
MERGE = """ON CONFLICT (tenant_id, event_type, dimension, measure, bucket_start, dim_value) DO UPDATE
    SET event_count = h.event_count + EXCLUDED.event_count,
        users = COALESCE(hll_union(h.users, EXCLUDED.users), h.users, EXCLUDED.users),
        value_count = h.value_count + EXCLUDED.value_count,
        value_sum = h.value_sum + EXCLUDED.value_sum,
        value_min = LEAST(h.value_min, EXCLUDED.value_min),
        value_max = GREATEST(h.value_max, EXCLUDED.value_max)"""
COLUMNS = """tenant_id, event_type, dimension, dim_value, measure, bucket_start, event_count, users, value_count,
    value_sum, value_min, value_max"""


def number_sql(v: str) -> str:
    """A jsonb number as a double, or NULL for anything a double does not hold (no cast error, ever)."""
    return f"""CASE WHEN jsonb_typeof({v}) = 'number'
              AND (CAST({v} AS numeric) = 0 OR abs(CAST({v} AS numeric)) BETWEEN 1e-300 AND 1e300)
         THEN CAST({v} AS double precision) END"""


def value_sql(v: str) -> str:
    """A dimension's value as stored: the jsonb, JSON null when unset, an md5 key when too large."""
    return f"""CASE WHEN pg_column_size({v}) > {MAX_VALUE_BYTES} THEN jsonb_build_object('$md5', md5(CAST({v} AS text)))
         ELSE COALESCE({v}, 'null'::jsonb) END"""


ROLLUP_CTES = f"""
rollup_marks AS (
    SELECT r.tenant_id AS t, r.event_type AS e, r.property_name AS name, r.role, r.active_from AS since
    FROM property_rollups r
    WHERE r.capped_at IS NULL
      AND (r.tenant_id, r.event_type) IN (SELECT DISTINCT tenant_id, event_type FROM counted)
    FOR KEY SHARE OF r
), rollup_cells AS (
    SELECT t, e, CASE WHEN role = 'dimension' THEN name ELSE '' END AS d,
           CASE WHEN role = 'measure' THEN name ELSE '' END AS mn, since
    FROM rollup_marks
    UNION ALL
    SELECT d.t, d.e, d.name, m.name, GREATEST(d.since, m.since)
    FROM rollup_marks d JOIN rollup_marks m ON m.t = d.t AND m.e = d.e AND m.role = 'measure'
    WHERE d.role = 'dimension'
), rollup_rows AS (
    SELECT c.tenant_id AS t, c.event_type AS e, r.d, r.mn, date_trunc('hour', c.occurred_at) AS b,
           CASE WHEN r.d = '' THEN 'null'::jsonb ELSE {value_sql("(c.properties -> r.d)")} END AS v,
           CASE WHEN r.mn <> '' THEN {number_sql("(c.properties -> r.mn)")} END AS x,
           {sketch.USER_KEY} AS k
    FROM counted c JOIN rollup_cells r ON r.t = c.tenant_id AND r.e = c.event_type
    WHERE c.received_at >= r.since
), rollup_c AS (
    SELECT t, e, d, v, mn, b, count(*) AS n, {sketch.add_agg("k")} FILTER (WHERE mn = '') AS u, count(x) AS xn,
           COALESCE(sum(x), 0) AS xs, min(x) AS lo, max(x) AS hi
    FROM rollup_rows GROUP BY t, e, d, v, mn, b
), rollup_upsert AS (
    INSERT INTO property_rollup_hour AS h ({COLUMNS})
    SELECT t, e, d, v, mn, b, n, u, xn, xs, lo, hi FROM rollup_c ORDER BY t, e, d, mn, b, v
    {MERGE}
), alias_c AS (
    SELECT DISTINCT ON (t, anon) t, anon, u, at
    FROM (
        SELECT tenant_id AS t, anonymous_id AS anon, user_id AS u, occurred_at AS at FROM counted
        WHERE user_id IS NOT NULL AND anonymous_id IS NOT NULL
        UNION ALL
        SELECT tenant_id, properties ->> 'previousId', user_id, occurred_at FROM counted
        WHERE event_type = '$alias' AND user_id IS NOT NULL AND jsonb_typeof(properties -> 'previousId') = 'string'
    ) links
    WHERE anon <> u
    ORDER BY t, anon, at, u
), alias_upsert AS (
    -- most links are known already (an identified user's every event carries both ids): skip those
    -- rather than lock their rows with a DO UPDATE that changes nothing
    INSERT INTO person_aliases AS a (tenant_id, anonymous_id, user_id, linked_at)
    SELECT t, anon, u, at FROM alias_c
    WHERE NOT EXISTS (
        SELECT 1 FROM person_aliases k WHERE k.tenant_id = alias_c.t AND k.anonymous_id = alias_c.anon
                                         AND k.linked_at <= alias_c.at
    )
    ORDER BY t, anon
    ON CONFLICT (tenant_id, anonymous_id) DO UPDATE
    SET user_id = EXCLUDED.user_id, linked_at = EXCLUDED.linked_at
    WHERE EXCLUDED.linked_at < a.linked_at
)"""  # noqa: S608
