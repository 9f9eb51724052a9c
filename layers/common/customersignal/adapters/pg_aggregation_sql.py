"""The aggregator's SQL, one statement per step of the batch transaction (see domain/batch_apply.py).

The batch's events reach Postgres once, by COPY into a staging table; one set-based statement then does
every effect they have (COUNT_STAGED). The small steps (fences, standing, dead letters, freshness) take
their rows as one jsonb parameter. The comments on the tables (migrations) explain the schema side.
"""

from __future__ import annotations

from customersignal.adapters import pg_sketch as sketch
from customersignal.adapters.pg_rollup_sql import ROLLUP_CTES

CREATE_FENCES = """
INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset)
SELECT :group, t, p, 0 FROM jsonb_to_recordset(CAST(:partitions AS jsonb)) AS r(t text, p integer)
ORDER BY t, p
ON CONFLICT DO NOTHING
"""

LOCK_FENCES = """
SELECT c.topic, c.partition, c.next_offset
FROM consumer_offsets c
JOIN jsonb_to_recordset(CAST(:partitions AS jsonb)) AS r(t text, p integer) ON c.topic = r.t AND c.partition = r.p
WHERE c.consumer_group = :group
ORDER BY c.topic, c.partition
FOR UPDATE OF c
"""

TENANT_STANDING = """
SELECT t.id::text, t.status, array_agg(p.id::text)
FROM tenants t LEFT JOIN projects p ON p.tenant_id = t.id
WHERE t.id = ANY(CAST(:ids AS uuid[]))
GROUP BY t.id, t.status
"""

BLOCKED_TYPES = """
SELECT et.tenant_id::text, et.name
FROM event_types et
JOIN jsonb_to_recordset(CAST(:pairs AS jsonb)) AS r(t uuid, e text) ON et.tenant_id = r.t AND et.name = r.e
WHERE et.status = 'blocked'
"""

# The batch's candidates (decoded, vetted, past the fence, first of each event id), loaded by COPY. A temp
# table lives as long as the connection, and ON COMMIT DELETE ROWS empties it with every transaction (a
# rollback empties it too), so each batch starts from an empty stage. ``i`` is the candidate's position.
STAGE_COLUMNS = (
    "i",
    "tenant_id",
    "project_id",
    "event_id",
    "event_type",
    "user_id",
    "anonymous_id",
    "occurred_at",
    "client_timestamp",
    "sent_at",
    "received_at",
    "is_late",
    "properties",
    "context",
    "trace_id",
    "kafka_partition",
    "kafka_offset",
)

# The raw-event table's own columns and types (LIKE), so the two cannot drift; its CHECKs are left out:
# the decoder enforces them, and a violation there would fail the batch rather than set a record aside.
CREATE_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS batch_stage (i integer NOT NULL, LIKE events) ON COMMIT DELETE ROWS
"""

EMPTY_STAGE = "DELETE FROM batch_stage"

COPY_STAGE = f"COPY batch_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN"


def _upsert_metrics(grain: str) -> str:
    # grain is one of three literals below, never input. The sketch is merged (hll_union: idempotent per
    # user), and unique_users kept as its estimate, so readers of a single bucket need no hll function.
    return f"""
{grain}_upsert AS (
    INSERT INTO metrics_{grain} AS m (tenant_id, event_type, bucket_start, event_count, unique_users, users)
    SELECT t, e, b, n, round(hll_cardinality(u))::bigint, u FROM {grain}_c ORDER BY t, e, b
    ON CONFLICT (tenant_id, event_type, bucket_start) DO UPDATE
    SET event_count = m.event_count + EXCLUDED.event_count,
        users = hll_union(m.users, EXCLUDED.users),
        -- a bucket older than 0009 found no users to build its sketch from, and keeps its exact count
        unique_users = CASE
            WHEN hll_cardinality(m.users) = 0 THEN GREATEST(m.unique_users, round(hll_cardinality(EXCLUDED.users)))
            ELSE round(hll_cardinality(hll_union(m.users, EXCLUDED.users)))
        END::bigint
)"""  # noqa: S608


# The batch's minute deltas, packed per hour and added element by element (migration 0005).
MINUTE_SERIES_CTES = """
series_delta AS (
    SELECT k.t, k.e, k.h, array_agg(COALESCE(d.n, 0) ORDER BY g.i) AS counts
    FROM (SELECT DISTINCT t, e, date_trunc('hour', b) AS h FROM minute_c) k
    CROSS JOIN generate_series(0, 59) AS g(i)
    LEFT JOIN minute_c d ON d.t = k.t AND d.e = k.e AND d.b = k.h + g.i * interval '1 minute'
    GROUP BY k.t, k.e, k.h
), series_upsert AS (
    INSERT INTO metrics_minute_series AS s (tenant_id, event_type, hour_start, counts)
    SELECT t, e, h, counts FROM series_delta ORDER BY t, e, h
    ON CONFLICT (tenant_id, event_type, hour_start) DO UPDATE
    SET counts = ARRAY(
        SELECT x.old + x.add FROM unnest(s.counts, EXCLUDED.counts) WITH ORDINALITY AS x(old, add, i) ORDER BY x.i
    )
)"""

# first/last_seen_at: receive time; first/last_event_at: event time (migration 0007). LEAST and GREATEST
# ignore NULL, and a replayed batch moves neither bound. The project is the one of the type's first event.
CATALOG_CTES = """
types_c AS (
    SELECT tenant_id AS t, event_type AS e, (array_agg(project_id ORDER BY i))[1] AS p,
           min(received_at) AS f, max(received_at) AS l, min(occurred_at) AS fe, max(occurred_at) AS le,
           count(*) AS n
    FROM counted GROUP BY 1, 2
), types_upsert AS (
    INSERT INTO event_types AS et (tenant_id, project_id, name, first_seen_at, last_seen_at, first_event_at,
                                   last_event_at, volume_total)
    SELECT t, p, e, f, l, fe, le, n FROM types_c ORDER BY t, e
    ON CONFLICT (tenant_id, name) DO UPDATE
    SET first_seen_at = LEAST(et.first_seen_at, EXCLUDED.first_seen_at),
        last_seen_at = GREATEST(et.last_seen_at, EXCLUDED.last_seen_at),
        first_event_at = LEAST(et.first_event_at, EXCLUDED.first_event_at),
        last_event_at = GREATEST(et.last_event_at, EXCLUDED.last_event_at),
        volume_total = et.volume_total + EXCLUDED.volume_total,
        project_id = COALESCE(et.project_id, EXCLUDED.project_id),
        updated_at = now()
)"""

UPSERT_PROPERTIES = """
INSERT INTO event_type_properties AS ep (tenant_id, event_type, property_name, observed_types, first_seen_at,
                                         last_seen_at)
SELECT t, e, name, types, s, s
FROM jsonb_to_recordset(CAST(:properties AS jsonb)) AS r(t uuid, e text, name text, types text[], s timestamptz)
ORDER BY t, e, name
ON CONFLICT (tenant_id, event_type, property_name) DO UPDATE
SET observed_types = ARRAY(
        SELECT DISTINCT kind FROM unnest(ep.observed_types || EXCLUDED.observed_types) AS kind ORDER BY kind
    ),
    last_seen_at = GREATEST(ep.last_seen_at, EXCLUDED.last_seen_at)
"""

# Every effect of the staged batch in one statement, set-based: claim the dedup keys (a client retry is counted
# once), store the raw events whose claim is new, and add exactly those to the counts and sketches at three
# grains, the packed minutes, the catalog's event types (its properties: UPSERT_PROPERTIES, sent only when
# new; see domain/property_catalog), the property rollups and the identity map (pg_rollup_sql). Returns the
# positions of the counted candidates as one comma-separated text: a thousand one-integer rows cost the
# driver more than the statement's grouping.
# Buckets are UTC: the store's session runs in UTC, so date_trunc cuts UTC minutes, hours and days.
COUNT_STAGED = f"""
WITH claimed AS (
    INSERT INTO event_dedup (tenant_id, event_id, received_at)
    SELECT tenant_id, event_id, received_at FROM batch_stage ORDER BY tenant_id, event_id
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, event_id
), counted AS (
    SELECT s.* FROM batch_stage s JOIN claimed c USING (tenant_id, event_id)
), stored AS (
    -- DO NOTHING: a retry older than the dedup window may meet its own earlier row here
    INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, anonymous_id, occurred_at,
                        client_timestamp, sent_at, received_at, is_late, properties, context, trace_id,
                        kafka_partition, kafka_offset)
    SELECT tenant_id, project_id, event_id, event_type, user_id, anonymous_id, occurred_at, client_timestamp,
           sent_at, received_at, is_late, properties, context, trace_id, kafka_partition, kafka_offset
    FROM counted
    ON CONFLICT DO NOTHING
), minute_c AS (
    SELECT tenant_id AS t, event_type AS e, date_trunc('minute', occurred_at) AS b, count(*) AS n,
           {sketch.add_agg(sketch.USER_KEY)} AS u
    FROM counted GROUP BY 1, 2, 3
), hour_c AS (
    SELECT t, e, date_trunc('hour', b) AS b, sum(n)::bigint AS n, hll_union_agg(u) AS u FROM minute_c GROUP BY 1, 2, 3
), day_c AS (
    SELECT t, e, date_trunc('day', b) AS b, sum(n)::bigint AS n, hll_union_agg(u) AS u FROM hour_c GROUP BY 1, 2, 3
),{",".join(_upsert_metrics(grain) for grain in ("minute", "hour", "day"))},
{MINUTE_SERIES_CTES},
{CATALOG_CTES},
{ROLLUP_CTES}
SELECT COALESCE(string_agg(i::text, ','), '') FROM counted
"""  # noqa: S608

RECORD_DEAD_LETTERS = """
INSERT INTO dead_letters (tenant_id, reason_code, error_text, source_topic, source_partition, source_offset,
                          key, value, headers)
SELECT tenant, reason, error, topic, p, o, decode(key, 'base64'), decode(value, 'base64'), headers
FROM jsonb_to_recordset(CAST(:letters AS jsonb))
     AS r(tenant uuid, reason text, error text, topic text, p integer, o bigint, key text, value text, headers jsonb)
ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING
"""

# Freshness (slot marks, then each tenant's minimum) is in pg_freshness.

ADVANCE_FENCES = """
UPDATE consumer_offsets c
SET next_offset = r.n, updated_at = now()
FROM jsonb_to_recordset(CAST(:offsets AS jsonb)) AS r(t text, p integer, n bigint)
WHERE c.consumer_group = :group AND c.topic = r.t AND c.partition = r.p AND c.next_offset < r.n
"""

# answers each key's index, not the key: pg8000 parses a timestamptz with strptime, hundreds a batch
MINUTE_TOTALS = """
SELECT r.i, m.event_count
FROM metrics_minute m
JOIN jsonb_to_recordset(CAST(:keys AS jsonb)) AS r(i int, t uuid, e text, b timestamptz)
  ON m.tenant_id = r.t AND m.event_type = r.e AND m.bucket_start = r.b
"""

ENSURE_PARTITIONS = """
SELECT ensure_event_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 2)
"""
