"""Alerts, webhooks and dead letters: rules, state, history, endpoints, deliveries, dead-lettered records.

Revision ID: 0003_alerts_webhooks_dlq
Revises: 0002_events_metrics
Create Date: 2025-11-27

Exactly-once notification: the evaluator changes alert_states under optimistic locking (UPDATE ...
WHERE version = $seen) and inserts the transition into alert_history with a deterministic
transition_key (ON CONFLICT DO NOTHING) in the same transaction. Only the run whose insert succeeded
publishes; alert_history.notification_status is the outbox, so a crash between commit and publish is
retried by a sweeper and receivers deduplicate on the transition key (the webhook id).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_alerts_webhooks_dlq"
down_revision: str | None = "0002_events_metrics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
DML = "SELECT, INSERT, UPDATE, DELETE"
ALERT_STATES = "('OK', 'PENDING', 'FIRING', 'RESOLVED', 'NODATA')"


def comment(target: str, text: str) -> str:
    """COMMENT ON target, reflowed to one paragraph: line breaks in the source are layout only."""
    return f"COMMENT ON {target} IS $${' '.join(text.split())}$$"


def tenant_rls(table: str, privileges: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
        f"GRANT {privileges} ON {table} TO cs_tenant",
    ]


ALERT_RULES = """
CREATE TABLE alert_rules (
    id                       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id                uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                     text        NOT NULL,
    description              text        NOT NULL DEFAULT '',
    event_type               text        NOT NULL,
    metric                   text        NOT NULL,
    window_seconds           integer     NOT NULL,
    condition_kind           text        NOT NULL,
    parameters               jsonb       NOT NULL DEFAULT '{}',
    pending_evaluations      integer     NOT NULL DEFAULT 1,
    repeat_interval_seconds  integer,
    notify_on_resolve        boolean     NOT NULL DEFAULT true,
    silenced_until           timestamptz,
    severity                 text        NOT NULL DEFAULT 'warning',
    enabled                  boolean     NOT NULL DEFAULT true,
    channels                 uuid[]      NOT NULL DEFAULT '{}',
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_rules_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT alert_rules_tenant_name_key UNIQUE (tenant_id, name),
    CONSTRAINT alert_rules_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT alert_rules_metric_check CHECK (metric IN ('count', 'unique_users')),
    CONSTRAINT alert_rules_window_check
        CHECK (window_seconds BETWEEN 60 AND 86400 AND mod(window_seconds, 60) = 0),
    CONSTRAINT alert_rules_condition_check
        CHECK (condition_kind IN ('threshold', 'change', 'absence', 'anomaly')),
    CONSTRAINT alert_rules_parameters_check CHECK (jsonb_typeof(parameters) = 'object'),
    CONSTRAINT alert_rules_pending_check CHECK (pending_evaluations BETWEEN 1 AND 1440),
    CONSTRAINT alert_rules_repeat_check CHECK (repeat_interval_seconds >= 60),
    CONSTRAINT alert_rules_severity_check CHECK (severity IN ('info', 'warning', 'critical')),
    CONSTRAINT alert_rules_channels_check CHECK (array_position(channels, NULL) IS NULL)
)
"""

ALERT_STATES_TABLE = f"""
CREATE TABLE alert_states (
    rule_id                uuid        PRIMARY KEY,
    tenant_id              uuid        NOT NULL,
    state                  text        NOT NULL DEFAULT 'OK',
    since                  timestamptz NOT NULL DEFAULT now(),
    consecutive_breaches   integer     NOT NULL DEFAULT 0,
    last_evaluated_bucket  timestamptz,
    last_notified_at       timestamptz,
    version                bigint      NOT NULL DEFAULT 0,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_states_rule_fkey FOREIGN KEY (tenant_id, rule_id)
        REFERENCES alert_rules (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT alert_states_state_check CHECK (state IN {ALERT_STATES}),
    CONSTRAINT alert_states_counters_check CHECK (consecutive_breaches >= 0 AND version >= 0)
) WITH (fillfactor = 70)
"""

ALERT_HISTORY = f"""
CREATE TABLE alert_history (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id            uuid        NOT NULL,
    rule_id              uuid        NOT NULL,
    from_state           text        NOT NULL,
    to_state             text        NOT NULL,
    observed_value       double precision,
    expected             jsonb,
    bucket_start         timestamptz NOT NULL,
    bucket_end           timestamptz NOT NULL,
    transition_key       text        NOT NULL,
    trace_id             text,
    notification_status  text        NOT NULL DEFAULT 'pending',
    notified_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_history_transition_key UNIQUE (transition_key),
    CONSTRAINT alert_history_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT alert_history_rule_fkey FOREIGN KEY (tenant_id, rule_id)
        REFERENCES alert_rules (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT alert_history_states_check
        CHECK (from_state IN {ALERT_STATES} AND to_state IN {ALERT_STATES} AND from_state <> to_state),
    CONSTRAINT alert_history_bucket_check CHECK (bucket_end > bucket_start),
    CONSTRAINT alert_history_expected_check CHECK (jsonb_typeof(expected) = 'object'),
    CONSTRAINT alert_history_notification_check
        CHECK (notification_status IN ('pending', 'sent', 'suppressed')),
    CONSTRAINT alert_history_notified_check CHECK (notification_status <> 'sent' OR notified_at IS NOT NULL)
)
"""

WEBHOOK_ENDPOINTS = """
CREATE TABLE webhook_endpoints (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id             uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                   text        NOT NULL,
    description           text        NOT NULL DEFAULT '',
    secret_ciphertext     bytea       NOT NULL,
    sns_subscription_arn  text,
    status                text        NOT NULL DEFAULT 'pending',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    disabled_at           timestamptz,
    CONSTRAINT webhook_endpoints_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT webhook_endpoints_url_check CHECK (url ~ '^https?://' AND char_length(url) <= 2048),
    CONSTRAINT webhook_endpoints_status_check CHECK (status IN ('pending', 'active', 'disabled')),
    CONSTRAINT webhook_endpoints_disabled_check CHECK ((status = 'disabled') = (disabled_at IS NOT NULL))
)
"""

WEBHOOK_DELIVERIES = """
CREATE TABLE webhook_deliveries (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id         uuid        NOT NULL,
    endpoint_id       uuid        NOT NULL,
    alert_history_id  bigint      NOT NULL,
    status            text        NOT NULL DEFAULT 'pending',
    attempts          integer     NOT NULL DEFAULT 0,
    response_code     integer,
    error             text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    delivered_at      timestamptz,
    CONSTRAINT webhook_deliveries_endpoint_fkey FOREIGN KEY (tenant_id, endpoint_id)
        REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_alert_history_fkey FOREIGN KEY (tenant_id, alert_history_id)
        REFERENCES alert_history (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'failed')),
    CONSTRAINT webhook_deliveries_attempts_check CHECK (attempts >= 0),
    CONSTRAINT webhook_deliveries_response_code_check CHECK (response_code BETWEEN 100 AND 599),
    CONSTRAINT webhook_deliveries_delivered_check CHECK (status <> 'delivered' OR delivered_at IS NOT NULL)
)
"""

DEAD_LETTERS = """
CREATE TABLE dead_letters (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id         uuid        REFERENCES tenants (id) ON DELETE CASCADE,
    reason_code       text        NOT NULL,
    error_text        text        NOT NULL DEFAULT '',
    source_topic      text        NOT NULL,
    source_partition  integer     NOT NULL,
    source_offset     bigint      NOT NULL,
    key               bytea,
    value             bytea,
    headers           jsonb       NOT NULL DEFAULT '[]',
    received_at       timestamptz NOT NULL DEFAULT now(),
    status            text        NOT NULL DEFAULT 'new',
    replayed_at       timestamptz,
    CONSTRAINT dead_letters_source_key UNIQUE (source_topic, source_partition, source_offset),
    CONSTRAINT dead_letters_reason_code_check CHECK (reason_code ~ '^[a-z][a-z0-9_]{0,63}$'),
    CONSTRAINT dead_letters_source_check CHECK (source_partition >= 0 AND source_offset >= 0),
    CONSTRAINT dead_letters_status_check CHECK (status IN ('new', 'replayed', 'discarded')),
    CONSTRAINT dead_letters_replayed_check CHECK (status <> 'replayed' OR replayed_at IS NOT NULL)
)
"""

UPGRADE: list[str] = [
    ALERT_RULES,
    "CREATE INDEX alert_rules_enabled_type_idx ON alert_rules (tenant_id, event_type) WHERE enabled",
    comment(
        "TABLE alert_rules",
        """One alert rule on one event type. metric count or unique_users; window_seconds whole minutes from
        1 minute to 24 hours; condition_kind selects how parameters (a JSON object, validated by the API per
        kind) is read - threshold (operator, value), change (against the previous window, absolute or
        percent), absence, anomaly (seasonal median/MAD baseline, sensitivity). pending_evaluations =
        consecutive breaching evaluations before FIRING (1 = fire at once); repeat_interval_seconds NULL =
        notify a firing alert once. channels = webhook_endpoints ids (an array cannot carry a foreign key:
        the API validates them and the evaluator skips ids that no longer exist). event_type is not a
        foreign key either: a rule may watch a type that has not been seen yet.""",
    ),
    ALERT_STATES_TABLE,
    comment(
        "TABLE alert_states",
        """Current lifecycle state per rule (OK, PENDING, FIRING, RESOLVED, NODATA). Writers use optimistic
        locking - UPDATE ... SET version = version + 1 WHERE rule_id = $1 AND version = $seen - so
        overlapping evaluator runs cannot both apply a transition.""",
    ),
    ALERT_HISTORY,
    "CREATE INDEX alert_history_rule_idx ON alert_history (tenant_id, rule_id, created_at DESC)",
    "CREATE INDEX alert_history_tenant_idx ON alert_history (tenant_id, created_at DESC)",
    "CREATE INDEX alert_history_pending_idx ON alert_history (created_at) WHERE notification_status = 'pending'",
    comment(
        "TABLE alert_history",
        """Every state transition, kept for the UI. transition_key is deterministic (rule id, target state,
        bucket end), and its uniqueness makes each transition notify exactly once even when evaluator runs
        overlap or retry. expected holds the threshold or the expected band as a JSON object;
        bucket_start/bucket_end bound the evaluated window. notification_status is the outbox - pending
        until SNS accepted the message (sent), or suppressed (silenced, resolve notifications off).""",
    ),
    WEBHOOK_ENDPOINTS,
    "CREATE UNIQUE INDEX webhook_endpoints_tenant_url_key ON webhook_endpoints (tenant_id, url)"
    " WHERE status <> 'disabled'",
    comment(
        "TABLE webhook_endpoints",
        """A tenant webhook receiver, subscribed to the alerts SNS topic with a filter policy on its tenant.
        status pending = SNS subscription awaiting confirmation. secret_ciphertext is the per-endpoint
        HMAC-SHA256 signing secret (Standard Webhooks), ENCRYPTED AT REST - the application encrypts it (KMS
        envelope encryption) before writing and decrypts it only to sign; the plaintext never reaches the
        database. URL policy (https, public addresses, loopback only in local mode) is enforced by the API,
        which resolves the host; the CHECK here only pins the scheme.""",
    ),
    WEBHOOK_DELIVERIES,
    "CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (tenant_id, endpoint_id, created_at DESC)",
    "CREATE INDEX webhook_deliveries_alert_idx ON webhook_deliveries (tenant_id, alert_history_id)",
    comment(
        "TABLE webhook_deliveries",
        """Delivery log of one alert notification to one endpoint. A redelivery is a new row, so the log
        shows every attempt series.""",
    ),
    DEAD_LETTERS,
    "CREATE INDEX dead_letters_tenant_reason_idx ON dead_letters (tenant_id, reason_code, received_at DESC)",
    "CREATE INDEX dead_letters_tenant_received_idx ON dead_letters (tenant_id, received_at DESC)",
    comment(
        "TABLE dead_letters",
        """Records the aggregator could not apply (undecodable, envelope schema failure, unknown or blocked
        tenant or event type), also produced to the events_dlq topic. Unique per source (topic, partition,
        offset), so a poison record that is delivered again is recorded once (INSERT ... ON CONFLICT DO
        NOTHING). tenant_id is NULL when the tenant is unknown; such rows are visible to operators (owner
        role) only. key/value are the original bytes; headers a JSON array of {key, value (base64)} objects,
        because Kafka allows repeated header keys. reason_code is a snake_case code (decode_error,
        schema_invalid, unknown_tenant, blocked_tenant, unknown_event_type, blocked_event_type, ...):
        checked for shape, not listed, so new reasons need no migration.""",
    ),
    *tenant_rls("alert_rules", DML),
    *tenant_rls("alert_states", DML),
    *tenant_rls("alert_history", DML),
    *tenant_rls("webhook_endpoints", DML),
    *tenant_rls("webhook_deliveries", DML),
    *tenant_rls("dead_letters", DML),
]

DOWNGRADE: list[str] = [
    "DROP TABLE dead_letters",
    "DROP TABLE webhook_deliveries",
    "DROP TABLE webhook_endpoints",
    "DROP TABLE alert_history",
    "DROP TABLE alert_states",
    "DROP TABLE alert_rules",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
