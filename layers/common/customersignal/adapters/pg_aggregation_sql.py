"""The aggregator's SQL, one statement per step of the batch transaction (see domain/batch_apply.py).

Every statement takes its rows as one jsonb parameter; the comments on the tables (migrations 0002 and
0003) explain the schema side of each step.
"""

from __future__ import annotations

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

# Claim the dedup key and store the raw event in one statement: only events whose claim is new are
# stored, and the claimed keys come back so the caller counts exactly those.
STORE_EVENTS = """
WITH batch AS (
    SELECT (r->>'p')::integer AS kafka_partition, (r->>'o')::bigint AS kafka_offset, r->'e' AS e
    FROM jsonb_array_elements(CAST(:batch AS jsonb)) AS r
), rows AS (
    SELECT (e->>'tenant_id')::uuid AS tenant_id,
           (e->>'project_id')::uuid AS project_id,
           (e->'event'->>'event_id')::uuid AS event_id,
           e->'event'->>'event_type' AS event_type,
           e->'event'->>'user_id' AS user_id,
           e->'event'->>'anonymous_id' AS anonymous_id,
           (e->>'occurred_at')::timestamptz AS occurred_at,
           (e->'event'->>'timestamp')::timestamptz AS client_timestamp,
           (e->'event'->>'sent_at')::timestamptz AS sent_at,
           (e->>'received_at')::timestamptz AS received_at,
           COALESCE((e->>'is_late')::boolean, false) AS is_late,
           COALESCE(e->'event'->'properties', '{}') AS properties,
           COALESCE(e->'event'->'context', '{}') AS context,
           e->>'trace_id' AS trace_id,
           kafka_partition,
           kafka_offset
    FROM batch
), claimed AS (
    INSERT INTO event_dedup (tenant_id, event_id, received_at)
    SELECT tenant_id, event_id, received_at FROM rows ORDER BY tenant_id, event_id
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, event_id
), stored AS (
    -- DO NOTHING: a retry older than the dedup window may meet its own earlier row here
    INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, anonymous_id, occurred_at,
                        client_timestamp, sent_at, received_at, is_late, properties, context, trace_id,
                        kafka_partition, kafka_offset)
    SELECT r.* FROM rows r JOIN claimed c USING (tenant_id, event_id)
    ON CONFLICT DO NOTHING
)
SELECT tenant_id::text, event_id::text FROM claimed
"""


def _metrics_ctes(grain: str) -> str:
    # grain is one of three literals below, never input
    return f"""
{grain}_c AS (
    SELECT * FROM jsonb_to_recordset(CAST(:{grain}_counts AS jsonb)) AS r(t uuid, e text, b timestamptz, n bigint)
), {grain}_new_users AS (
    INSERT INTO metrics_{grain}_users (tenant_id, event_type, bucket_start, user_key)
    SELECT t, e, b, u FROM jsonb_to_recordset(CAST(:{grain}_users AS jsonb)) AS r(t uuid, e text, b timestamptz, u text)
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, event_type, bucket_start
), {grain}_added_users AS (
    SELECT tenant_id, event_type, bucket_start, count(*) AS n FROM {grain}_new_users GROUP BY 1, 2, 3
), {grain}_upsert AS (
    INSERT INTO metrics_{grain} AS m (tenant_id, event_type, bucket_start, event_count, unique_users)
    SELECT c.t, c.e, c.b, c.n, COALESCE(a.n, 0)
    FROM {grain}_c c
    LEFT JOIN {grain}_added_users a ON a.tenant_id = c.t AND a.event_type = c.e AND a.bucket_start = c.b
    ORDER BY c.t, c.e, c.b
    ON CONFLICT (tenant_id, event_type, bucket_start) DO UPDATE
    SET event_count = m.event_count + EXCLUDED.event_count, unique_users = m.unique_users + EXCLUDED.unique_users
)"""  # noqa: S608


# The batch's minute deltas, packed per hour and added element by element (migration 0005).
MINUTE_SERIES_CTES = """
series_delta AS (
    SELECT k.t, k.e, k.h, array_agg(COALESCE(d.n, 0) ORDER BY g.i) AS counts
    FROM (SELECT DISTINCT t, e, date_bin('1 hour', b, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS h FROM minute_c) k
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

# Counts and exact unique users at the three grains, and the packed minutes, in one round trip (see the
# metrics_* comments).
ADD_METRICS = (
    "WITH"
    + ",".join(_metrics_ctes(grain) for grain in ("minute", "hour", "day"))
    + ","
    + MINUTE_SERIES_CTES
    + "\nSELECT 1"
)

# first/last_seen_at: receive time; first/last_event_at: event time (migration 0007). LEAST and GREATEST
# ignore NULL, and a replayed batch moves neither bound.
UPSERT_TYPES = """
INSERT INTO event_types AS et (tenant_id, project_id, name, first_seen_at, last_seen_at, first_event_at,
                               last_event_at, volume_total)
SELECT t, p, e, f, l, fe, le, n
FROM jsonb_to_recordset(CAST(:catalog AS jsonb))
     AS r(t uuid, p uuid, e text, f timestamptz, l timestamptz, fe timestamptz, le timestamptz, n bigint)
ORDER BY t, e
ON CONFLICT (tenant_id, name) DO UPDATE
SET first_seen_at = LEAST(et.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(et.last_seen_at, EXCLUDED.last_seen_at),
    first_event_at = LEAST(et.first_event_at, EXCLUDED.first_event_at),
    last_event_at = GREATEST(et.last_event_at, EXCLUDED.last_event_at),
    volume_total = et.volume_total + EXCLUDED.volume_total,
    project_id = COALESCE(et.project_id, EXCLUDED.project_id),
    updated_at = now()
"""

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

MINUTE_TOTALS = """
SELECT m.tenant_id::text, m.event_type, m.bucket_start, m.event_count
FROM metrics_minute m
JOIN jsonb_to_recordset(CAST(:keys AS jsonb)) AS r(t uuid, e text, b timestamptz)
  ON m.tenant_id = r.t AND m.event_type = r.e AND m.bucket_start = r.b
"""

ENSURE_PARTITIONS = """
SELECT ensure_event_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 2)
"""
