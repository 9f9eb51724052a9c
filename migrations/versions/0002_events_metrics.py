"""Event pipeline: catalog, minute/hour/day metrics with exact unique users, raw events, dedup, offsets.

Revision ID: 0002_events_metrics
Revises: 0001_tenancy
Create Date: 2025-11-27

The aggregator applies one Kafka batch in ONE transaction: fence the offsets (consumer_offsets), claim
the dedup keys (event_dedup, ON CONFLICT DO NOTHING), store the raw events that were new, upsert the
pre-aggregated metrics (minute, hour and day, with unique-user membership), update the catalog, and
advance the tenant freshness watermark. Either all of it is visible or none of it is, so a replayed
batch or a client retry is counted exactly once.

High-volume tables (events, event_dedup, metrics_*) have no foreign keys: each insert would pay a
lookup, and deleting a tenant must not become one huge cascading transaction; a purge job removes
them. RLS still applies to them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002_events_metrics"
down_revision: str | None = "0001_tenancy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
DML = "SELECT, INSERT, UPDATE, DELETE"
BUCKET_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
JSON_TYPES = "ARRAY['string', 'number', 'boolean', 'object', 'array', 'null']::text[]"


def comment(target: str, text: str) -> str:
    """COMMENT ON target, reflowed to one paragraph: line breaks in the source are layout only."""
    return f"COMMENT ON {target} IS $${' '.join(text.split())}$$"


def tenant_rls(table: str, privileges: str | None) -> list[str]:
    statements = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    ]
    if privileges:
        statements.append(f"GRANT {privileges} ON {table} TO cs_tenant")
    return statements


# --- event catalog -------------------------------------------------------------------------------

EVENT_TYPES = """
CREATE TABLE event_types (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    project_id     uuid,
    name           text        NOT NULL,
    status         text        NOT NULL DEFAULT 'unplanned',
    description    text        NOT NULL DEFAULT '',
    owner          text,
    first_seen_at  timestamptz,
    last_seen_at   timestamptz,
    volume_total   bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_types_tenant_name_key UNIQUE (tenant_id, name),
    CONSTRAINT event_types_project_fkey FOREIGN KEY (tenant_id, project_id)
        REFERENCES projects (tenant_id, id) ON DELETE SET NULL (project_id),
    CONSTRAINT event_types_name_check CHECK (char_length(name) BETWEEN 1 AND 128),
    CONSTRAINT event_types_status_check CHECK (status IN ('planned', 'unplanned', 'blocked')),
    CONSTRAINT event_types_volume_check CHECK (volume_total >= 0)
) WITH (fillfactor = 90)
"""

EVENT_TYPE_PROPERTIES = f"""
CREATE TABLE event_type_properties (
    tenant_id       uuid        NOT NULL,
    event_type      text        NOT NULL,
    property_name   text        NOT NULL,
    observed_types  text[]      NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_type_properties_pkey PRIMARY KEY (tenant_id, event_type, property_name),
    CONSTRAINT event_type_properties_event_type_fkey FOREIGN KEY (tenant_id, event_type)
        REFERENCES event_types (tenant_id, name) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT event_type_properties_name_check CHECK (char_length(property_name) BETWEEN 1 AND 255),
    CONSTRAINT event_type_properties_types_check CHECK (
        cardinality(observed_types) > 0 AND observed_types <@ {JSON_TYPES}
    )
)
"""

CATALOG: list[str] = [
    EVENT_TYPES,
    comment(
        "TABLE event_types",
        """The event catalog, one row per (tenant, event name). The aggregator registers a type it has not
        seen as unplanned and keeps first_seen_at, last_seen_at and volume_total current in the batch
        transaction. People plan types ahead (planned: first_seen_at is NULL until the first event) or block
        them (blocked: the aggregator dead-letters their events). project_id is the project that first sent
        or planned the type; deleting that project only clears it (PG 15 column list in ON DELETE SET NULL).""",
    ),
    EVENT_TYPE_PROPERTIES,
    comment(
        "TABLE event_type_properties",
        """Top-level property names observed per event type, with every JSON type seen for each
        (jsonb_typeof values), merged by the aggregator. Keyed by event type name, like the metrics, so the
        aggregator writes it without looking up ids.""",
    ),
    *tenant_rls("event_types", DML),
    *tenant_rls("event_type_properties", DML),
]

# --- aggregated metrics --------------------------------------------------------------------------


def metrics_tables(grain: str, width: str) -> list[str]:
    table = f"metrics_{grain}"
    return [
        f"""
CREATE TABLE {table} (
    tenant_id     uuid        NOT NULL,
    event_type    text        NOT NULL,
    bucket_start  timestamptz NOT NULL,
    event_count   bigint      NOT NULL DEFAULT 0,
    unique_users  bigint      NOT NULL DEFAULT 0,
    CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, event_type, bucket_start),
    CONSTRAINT {table}_bucket_check CHECK (bucket_start = date_bin('{width}', bucket_start, {BUCKET_ORIGIN})),
    CONSTRAINT {table}_counts_check CHECK (event_count >= 0 AND unique_users >= 0)
) WITH (fillfactor = 90)
""",
        # retention pruning and the Redis hot-window rebuild scan by time across tenants
        f"CREATE INDEX {table}_bucket_brin ON {table} USING brin (bucket_start)",
        f"""
CREATE TABLE {table}_users (
    tenant_id     uuid        NOT NULL,
    event_type    text        NOT NULL,
    bucket_start  timestamptz NOT NULL,
    user_key      text        NOT NULL,
    CONSTRAINT {table}_users_pkey PRIMARY KEY (tenant_id, event_type, bucket_start, user_key),
    CONSTRAINT {table}_users_bucket_check
        CHECK (bucket_start = date_bin('{width}', bucket_start, {BUCKET_ORIGIN}))
)
""",
        f"CREATE INDEX {table}_users_bucket_brin ON {table}_users USING brin (bucket_start)",
        *tenant_rls(table, "SELECT"),
        *tenant_rls(f"{table}_users", "SELECT"),
    ]


METRICS: list[str] = [
    *metrics_tables("minute", "1 minute"),
    *metrics_tables("hour", "1 hour"),
    *metrics_tables("day", "1 day"),
    comment(
        "TABLE metrics_minute",
        """Events per (tenant, event type, UTC minute), by corrected event time. The aggregator
        pre-aggregates each batch and upserts event_count = event_count + EXCLUDED.event_count; late events
        amend past buckets. unique_users is exact: see metrics_minute_users.""",
    ),
    comment(
        "TABLE metrics_hour",
        """Roll-up of metrics_minute per UTC hour, same shape. Maintained by the aggregator in the SAME
        transaction as the minute upsert (three upserts of pre-aggregated rows per batch), not by a periodic
        job. Why: reads are exact at every instant (the sum of a roll-up bucket always equals the sum of its
        minutes, including late events, which amend all three tables atomically); there is no roll-up lag
        for the dashboard to hide, no job to schedule or monitor, and no re-roll of hours that late events
        touch. The cost is a few extra collapsed rows per batch, small next to the raw-event writes.
        Dashboard intervals - 1m and 5m read metrics_minute, 1h reads metrics_hour, 1d reads metrics_day in
        UTC; a day in another time zone is summed from metrics_hour (or from minutes for zones with 30/45
        minute offsets). Retention guideline - minute 90 days, hour 13 months, day unlimited.""",
    ),
    comment(
        "TABLE metrics_day",
        """Roll-up of metrics_minute per UTC day, same shape and the same maintenance as metrics_hour
        (upserted in the aggregator transaction). See the comment on metrics_hour.""",
    ),
    comment(
        "TABLE metrics_minute_users",
        """Unique-user membership per minute bucket: one row per (tenant, event type, bucket, user_key),
        user_key = COALESCE(user_id, 'anon-' || anonymous_id). Decision - exact distinct counts, maintained
        incrementally. In the batch transaction the aggregator inserts the batch distinct (bucket, user_key)
        pairs with ON CONFLICT DO NOTHING RETURNING and adds the number of rows actually inserted per bucket
        to metrics_minute.unique_users. The same is done at hour and day grain (metrics_hour_users,
        metrics_day_users), because distinct counts do not add up across buckets. Reads stay O(buckets) and
        exact; recomputing COUNT(DISTINCT) from raw events would scan a whole day of events per touched day
        bucket on every batch, and HyperLogLog (used in the Redis hot window) is approximate. Intervals that
        are not stored (5m) use COUNT(DISTINCT user_key) over these rows while they are kept. Membership is
        only needed while a bucket can still change, so it is pruned by bucket_start after the lateness
        horizon (at least the 7-day dedup window; the BRIN index serves the prune). After that the
        unique_users column is final: a later late event amends event_count only.""",
    ),
    comment(
        "TABLE metrics_hour_users",
        """Unique-user membership per hour bucket; see metrics_minute_users.""",
    ),
    comment(
        "TABLE metrics_day_users",
        """Unique-user membership per day bucket; see metrics_minute_users.""",
    ),
]

# --- raw events ----------------------------------------------------------------------------------

EVENTS = """
CREATE TABLE events (
    tenant_id         uuid        NOT NULL,
    project_id        uuid        NOT NULL,
    event_id          uuid        NOT NULL,
    event_type        text        NOT NULL,
    user_id           text,
    anonymous_id      text,
    occurred_at       timestamptz NOT NULL,
    client_timestamp  timestamptz,
    sent_at           timestamptz,
    received_at       timestamptz NOT NULL,
    is_late           boolean     NOT NULL DEFAULT false,
    properties        jsonb       NOT NULL DEFAULT '{}',
    context           jsonb       NOT NULL DEFAULT '{}',
    trace_id          text,
    kafka_partition   integer,
    kafka_offset      bigint,
    CONSTRAINT events_pkey PRIMARY KEY (tenant_id, occurred_at, event_id),
    CONSTRAINT events_identity_check CHECK (user_id IS NOT NULL OR anonymous_id IS NOT NULL),
    CONSTRAINT events_kafka_position_check CHECK ((kafka_partition IS NULL) = (kafka_offset IS NULL))
) PARTITION BY RANGE (occurred_at)
"""

ENSURE_EVENT_PARTITIONS = """
CREATE FUNCTION ensure_event_partitions(from_day date, to_day date)
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $fn$
DECLARE
    d        date;
    part     text;
    lo       text;
    hi       text;
    locked   boolean := false;
    created  integer := 0;
BEGIN
    IF from_day IS NULL OR to_day IS NULL OR to_day < from_day THEN
        RAISE EXCEPTION 'ensure_event_partitions: bad range % .. %', from_day, to_day;
    END IF;
    -- one caller at a time (a scheduled job, a migration), so none fails on "already exists"
    PERFORM pg_advisory_xact_lock(hashtext('customersignal.ensure_event_partitions'));
    FOR d IN SELECT g::date FROM generate_series(from_day, to_day, interval '1 day') AS g LOOP
        part := 'events_p' || to_char(d, 'YYYYMMDD');
        CONTINUE WHEN to_regclass(quote_ident(part)) IS NOT NULL;
        -- UTC day bounds, written with an explicit offset so the session TimeZone cannot shift them
        lo := to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00';
        hi := to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00';
        IF NOT locked THEN
            -- Blocks inserts that would route to the default partition, so no row for this day can
            -- land there between the move below and the attach (the attach verifies the default).
            LOCK TABLE events_default IN ACCESS EXCLUSIVE MODE;
            locked := true;
        END IF;
        -- CREATE + ATTACH instead of CREATE ... PARTITION OF: attach locks the parent with SHARE UPDATE
        -- EXCLUSIVE only, so reads and inserts on other days keep flowing. The bounds CHECK lets the
        -- attach skip its validation scan; it is dropped afterwards.
        EXECUTE format(
            'CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE,'
            ' CONSTRAINT %I CHECK (occurred_at >= %L AND occurred_at < %L))',
            part, part || '_bounds', lo, hi);
        -- rows that fell into the default partition before this day existed move to their partition
        EXECUTE format(
            'WITH moved AS (DELETE FROM events_default WHERE occurred_at >= %L AND occurred_at < %L'
            ' RETURNING *) INSERT INTO %I SELECT * FROM moved',
            lo, hi, part);
        EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_bounds');
        created := created + 1;
    END LOOP;
    RETURN created;
END
$fn$
"""

RAW_EVENTS: list[str] = [
    EVENTS,
    comment(
        "TABLE events",
        """Raw events for the explorer, partitioned by UTC day of occurred_at, the corrected event time
        (received_at - (sent_at - client_timestamp)). Partitioning by event time, not by received_at, keeps
        a retried event in the same partition and makes retention a DROP of old partitions. A unique key on
        a partitioned table must contain the partition key, so the primary key (tenant_id, occurred_at,
        event_id) cannot deduplicate retries whose corrected time differs slightly; dedup on (tenant_id,
        event_id) lives in event_dedup. The primary key doubles as the explorer index - ORDER BY occurred_at
        DESC, event_id DESC with keyset (occurred_at, event_id) < (last page row) is a backward scan of it.
        No GIN index on properties: the explorer property filter runs inside a tenant + time range, and a
        GIN index would tax every insert.""",
    ),
    "CREATE TABLE events_default PARTITION OF events DEFAULT",
    comment(
        "TABLE events_default",
        """Catches events whose day has no partition (very late events, a lagging partition job), so an
        insert never fails for lack of a partition. It should stay nearly empty: ensure_event_partitions
        moves a day out of it when it creates that day, and the retention job prunes it.""",
    ),
    # explorer filters; DESC on both so the same keyset predicate uses them forward
    "CREATE INDEX events_type_time_idx ON events (tenant_id, event_type, occurred_at DESC, event_id DESC)",
    "CREATE INDEX events_user_time_idx ON events (tenant_id, user_id, occurred_at DESC, event_id DESC)"
    " WHERE user_id IS NOT NULL",
    *tenant_rls("events", "SELECT"),
    ENSURE_EVENT_PARTITIONS,
    comment(
        "FUNCTION ensure_event_partitions(date, date)",
        """Creates the missing daily partitions events_pYYYYMMDD for every UTC day from from_day to to_day
        inclusive and returns how many it created; existing days are skipped, so calling it again is
        harmless. A daily job calls it for today .. today+2 (the migration did today-7 .. today+2). Rows
        already in events_default for a new day are moved into it. Partitions belong to the caller and
        cs_tenant gets no grant on them.""",
    ),
    "REVOKE ALL ON FUNCTION ensure_event_partitions(date, date) FROM PUBLIC",
    "SELECT ensure_event_partitions((now() AT TIME ZONE 'UTC')::date - 7, (now() AT TIME ZONE 'UTC')::date + 2)",
]

# --- dedup, offsets, freshness -------------------------------------------------------------------

PIPELINE_STATE: list[str] = [
    """
CREATE TABLE event_dedup (
    tenant_id    uuid        NOT NULL,
    event_id     uuid        NOT NULL,
    received_at  timestamptz NOT NULL,
    CONSTRAINT event_dedup_pkey PRIMARY KEY (tenant_id, event_id)
)
""",
    "CREATE INDEX event_dedup_received_at_idx ON event_dedup (received_at)",
    comment(
        "TABLE event_dedup",
        """Dedup keys (tenant_id, event_id), not partitioned, so the key can be unique without the event
        time. The aggregator claims keys with INSERT ... ON CONFLICT DO NOTHING RETURNING in the SAME
        transaction that stores the raw events and upserts the counts, and counts only the events whose key
        it inserted. Claiming the key in a separate, earlier transaction would lose the event if the write
        then failed. The window is at least 7 days: a job deletes rows with received_at older than 8 days
        (index event_dedup_received_at_idx). Pipeline-internal: no grant to cs_tenant.""",
    ),
    *tenant_rls("event_dedup", None),
    """
CREATE TABLE consumer_offsets (
    consumer_group  text        NOT NULL,
    topic           text        NOT NULL,
    partition       integer     NOT NULL,
    next_offset     bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT consumer_offsets_pkey PRIMARY KEY (consumer_group, topic, partition),
    CONSTRAINT consumer_offsets_partition_check CHECK (partition >= 0),
    CONSTRAINT consumer_offsets_next_offset_check CHECK (next_offset >= 0)
) WITH (fillfactor = 70)
""",
    comment(
        "TABLE consumer_offsets",
        """Offset fence per (consumer group, topic, partition): the next offset whose effects are not yet
        applied. In the batch transaction the aggregator locks the row (INSERT ... ON CONFLICT DO NOTHING,
        then SELECT ... FOR UPDATE), skips records below next_offset, applies the rest and sets next_offset
        to the last offset + 1. A replayed or overlapping batch then changes nothing. Not tenant data: no
        RLS, no grant to cs_tenant.""",
    ),
    """
CREATE TABLE tenant_freshness (
    tenant_id       uuid        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    complete_up_to  timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 70)
""",
    comment(
        "TABLE tenant_freshness",
        """The tenant freshness watermark: every event of this tenant that was received before
        complete_up_to has been counted, so buckets that end at or before it are complete (except for late
        events, which amend them). The dashboard shows it; the alert evaluator evaluates only buckets it
        covers and reports NODATA instead of firing on a lagging pipeline.""",
    ),
    *tenant_rls("tenant_freshness", "SELECT"),
]

UPGRADE: list[str] = [*CATALOG, *METRICS, *RAW_EVENTS, *PIPELINE_STATE]

DOWNGRADE: list[str] = [
    "DROP TABLE tenant_freshness",
    "DROP TABLE consumer_offsets",
    "DROP TABLE event_dedup",
    "DROP FUNCTION ensure_event_partitions(date, date)",
    "DROP TABLE events",  # and every partition with it
    *(f"DROP TABLE metrics_{grain}_users, metrics_{grain}" for grain in ("day", "hour", "minute")),
    "DROP TABLE event_type_properties",
    "DROP TABLE event_types",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
