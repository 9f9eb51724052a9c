"""``RuleStore`` and ``EndpointStore`` on Postgres, under the tenant's row-level security."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from pg8000.exceptions import DatabaseError

from customersignal.adapters.key_store import error_field, sqlstate
from customersignal.adapters.pg_alert_store import PENDING_COLUMNS
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.alert_evaluation import Delivery, Notification, alert_payload, endpoints_of
from customersignal.domain.alert_models import (
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    HistoryEntry,
    RuleOut,
    RuleStateOut,
    notification_outcome,
)
from customersignal.domain.alert_rule_conditions import condition_from_row, condition_to_parameters
from customersignal.domain.alert_rules import RuleSpec
from customersignal.domain.errors import Conflict

UNIQUE_VIOLATION = "23505"
RULE_COLUMNS = """r.id, r.name, r.description, r.event_type, r.metric, r.window_seconds, r.condition_kind, r.parameters,
       r.pending_evaluations, r.repeat_interval_seconds, r.notify_on_resolve, r.silenced_until, r.severity, r.enabled,
       r.channels, r.created_at, r.updated_at, COALESCE(s.state, 'OK'), COALESCE(s.changed_at, r.created_at),
       COALESCE(s.consecutive_breaches, 0), s.last_evaluated_bucket, s.last_notified_at, r.property, r.filters"""
RULES = f"""
SELECT {RULE_COLUMNS}
FROM alert_rules r LEFT JOIN alert_states s ON s.tenant_id = r.tenant_id AND s.rule_id = r.id
WHERE r.tenant_id = :tenant AND (CAST(:rule AS uuid) IS NULL OR r.id = CAST(:rule AS uuid))
ORDER BY (COALESCE(s.state, 'OK') = 'FIRING') DESC, r.name
"""
SPEC_COLUMNS = """name, description, event_type, metric, window_seconds, condition_kind, parameters,
    pending_evaluations, repeat_interval_seconds, notify_on_resolve, silenced_until, severity, enabled, channels,
    property, filters"""
SPEC_VALUES = """:name, :description, :event_type, :metric, :window_seconds, :kind, CAST(:parameters AS jsonb),
    :pending_evaluations, :repeat_interval_seconds, :notify_on_resolve, :silenced_until, :severity, :enabled,
    CAST(:channels AS uuid[]), :property, CAST(:filters AS jsonb)"""
INSERT_RULE = f"INSERT INTO alert_rules (tenant_id, {SPEC_COLUMNS}) VALUES (:tenant, {SPEC_VALUES}) RETURNING id"
# What is measured changed (event type, metric, window or condition): the lifecycle starts over at OK.
REPLACE_RULE = f"""
WITH old AS (SELECT event_type, metric, window_seconds, condition_kind, parameters, property, filters
             FROM alert_rules WHERE tenant_id = :tenant AND id = :rule FOR UPDATE)
UPDATE alert_rules r SET ({SPEC_COLUMNS}) = ({SPEC_VALUES}), updated_at = now()
FROM old WHERE r.tenant_id = :tenant AND r.id = :rule
RETURNING r.id, (old.event_type, old.metric, old.window_seconds, old.condition_kind, old.parameters, old.property,
                 old.filters)
    IS DISTINCT FROM (r.event_type, r.metric, r.window_seconds, r.condition_kind, r.parameters, r.property, r.filters)
"""
ENSURE_STATE = "INSERT INTO alert_states (rule_id, tenant_id) VALUES (:rule, :tenant) ON CONFLICT DO NOTHING"
RESET_STATE = """
UPDATE alert_states SET state = 'OK', since = now(), changed_at = now(), consecutive_breaches = 0,
    last_evaluated_bucket = NULL, version = version + 1, updated_at = now()
WHERE tenant_id = :tenant AND rule_id = :rule
"""
DELETE_RULE = "DELETE FROM alert_rules WHERE tenant_id = :tenant AND id = :rule RETURNING id"
USABLE_ENDPOINTS = """
SELECT id FROM webhook_endpoints WHERE tenant_id = :tenant AND id = ANY(CAST(:ids AS uuid[])) AND status <> 'disabled'
"""
DELIVERY_COLUMNS = (
    "d.id, d.endpoint_id, d.alert_history_id, d.status, d.attempts, d.error, d.created_at, d.delivered_at"
)
HISTORY = f"""
SELECT h.id, h.kind, h.from_state, h.to_state, h.observed_value, h.expected, h.bucket_start, h.bucket_end,
       h.transition_key, h.trace_id, h.notification_status, h.notified_at, h.created_at,
       COALESCE((SELECT json_agg(json_build_array({DELIVERY_COLUMNS}) ORDER BY d.id)
                 FROM webhook_deliveries d WHERE d.tenant_id = h.tenant_id AND d.alert_history_id = h.id), '[]')
FROM alert_history h
WHERE h.tenant_id = :tenant AND h.rule_id = :rule AND (CAST(:before AS bigint) IS NULL OR h.id < :before)
ORDER BY h.id DESC LIMIT :limit
"""
ENDPOINT_COLUMNS = "id, url, description, status, sns_subscription_arn, created_at, disabled_at"
ENDPOINTS = f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = :tenant ORDER BY created_at DESC, id"
INSERT_ENDPOINT = f"""
INSERT INTO webhook_endpoints (id, tenant_id, url, description, secret_ciphertext)
VALUES (:id, :tenant, :url, :description, CAST(:sealed AS bytea)) RETURNING {ENDPOINT_COLUMNS}
"""
SUBSCRIBED = f"""
UPDATE webhook_endpoints SET sns_subscription_arn = :arn, status = :status, updated_at = now()
WHERE tenant_id = :tenant AND id = :id AND status <> 'disabled' RETURNING {ENDPOINT_COLUMNS}
"""
DISABLE = f"""
UPDATE webhook_endpoints SET status = 'disabled', disabled_at = COALESCE(disabled_at, now()), updated_at = now()
WHERE tenant_id = :tenant AND id = :id RETURNING {ENDPOINT_COLUMNS}
"""
DELIVERIES = f"""
SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d
WHERE d.tenant_id = :tenant AND d.endpoint_id = :id ORDER BY d.id DESC LIMIT :limit
"""
ENDPOINT_EXISTS = "SELECT 1 FROM webhook_endpoints WHERE tenant_id = :tenant AND id = :id"
REDELIVERY = """
SELECT h.id, h.tenant_id, h.rule_id, r.name, r.event_type, r.metric, r.condition_kind, r.severity, h.kind,
       h.from_state, h.to_state, h.observed_value, h.expected, h.bucket_start, h.bucket_end, h.transition_key,
       h.trace_id, h.created_at, e.id, e.secret_ciphertext, e.url
FROM webhook_deliveries d
JOIN alert_history h ON h.tenant_id = d.tenant_id AND h.id = d.alert_history_id
JOIN alert_rules r ON r.tenant_id = h.tenant_id AND r.id = h.rule_id
JOIN webhook_endpoints e ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id AND e.status <> 'disabled'
WHERE d.tenant_id = :tenant AND d.id = :delivery
"""
RECORD_REDELIVERY = f"""
INSERT INTO webhook_deliveries AS d (tenant_id, endpoint_id, alert_history_id, status, attempts, error, delivered_at)
VALUES (:tenant, :endpoint, :history, :status, 1, :error, CASE WHEN :status = 'delivered' THEN now() END)
RETURNING {DELIVERY_COLUMNS}
"""


def _rule(row: Sequence[Any]) -> RuleOut:
    (ident, name, description, event_type, metric, window_s, kind, parameters, pending, repeat, on_resolve, silenced,
     severity, enabled, channels, created, updated, state, since, breaches, last_bucket,
     last_notified, prop, filters) = row  # fmt: skip
    return RuleOut(
        id=ident, name=name, description=description, event_type=event_type, metric=metric, property=prop,
        filters=filters, window_seconds=window_s,
        condition=condition_from_row(kind, parameters), pending_evaluations=pending, repeat_interval_seconds=repeat,
        notify_on_resolve=on_resolve, silenced_until=silenced, severity=severity, enabled=enabled,
        channels=list(channels), created_at=created, updated_at=updated,
        status=RuleStateOut(state=state, since=since, consecutive_breaches=breaches,
                            last_evaluated_bucket=last_bucket, last_notified_at=last_notified),
    )  # fmt: skip


def _spec_params(spec: RuleSpec) -> dict[str, Any]:
    kind, parameters = condition_to_parameters(spec.condition)
    fields = spec.model_dump(exclude={"condition", "channels", "filters"})
    return {
        **fields,
        "filters": orjson.dumps(spec.filters).decode(),
        "kind": kind,
        "parameters": orjson.dumps(parameters).decode(),
        "channels": [str(c) for c in spec.channels],
    }


def _delivery(values: Sequence[Any]) -> DeliveryOut:
    names = ("id", "endpoint_id", "alert_history_id", "status", "attempts", "error", "created_at", "delivered_at")
    return DeliveryOut(**dict(zip(names, values, strict=True)))


def _endpoint(row: Sequence[Any]) -> EndpointOut:
    names = ("id", "url", "description", "status", "subscription_arn", "created_at", "disabled_at")
    return EndpointOut(**dict(zip(names, row, strict=True)))


class PostgresRuleStore:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def list(self, tenant_id: uuid.UUID) -> builtins.list[RuleOut]:
        with self._db.transaction(tenant_id) as db:
            return [_rule(row) for row in db.run(RULES, tenant=tenant_id, rule=None)]

    def get(self, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> RuleOut | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(RULES, tenant=tenant_id, rule=str(rule_id))
        return _rule(rows[0]) if rows else None

    def save(self, tenant_id: uuid.UUID, rule_id: uuid.UUID | None, spec: RuleSpec) -> RuleOut | None:
        params = _spec_params(spec)
        try:
            with self._db.transaction(tenant_id) as db:
                if rule_id is None:
                    rule_id = db.run(INSERT_RULE, tenant=tenant_id, **params)[0][0]
                    db.run(ENSURE_STATE, tenant=tenant_id, rule=rule_id)
                else:
                    replaced = db.run(REPLACE_RULE, tenant=tenant_id, rule=rule_id, **params)
                    if not replaced:
                        return None
                    if replaced[0][1]:
                        db.run(RESET_STATE, tenant=tenant_id, rule=rule_id)
                rows = db.run(RULES, tenant=tenant_id, rule=str(rule_id))
        except DatabaseError as error:
            if sqlstate(error) == UNIQUE_VIOLATION and "name" in error_field(error, "C") + str(error):
                raise Conflict(
                    "rule_name_taken", f"this tenant already has a rule named '{spec.name}'", "name"
                ) from None
            raise
        return _rule(rows[0])

    def delete(self, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> bool:
        with self._db.transaction(tenant_id) as db:
            return bool(db.run(DELETE_RULE, tenant=tenant_id, rule=rule_id))

    def history(
        self, tenant_id: uuid.UUID, rule_id: uuid.UUID, before_id: int | None, limit: int
    ) -> builtins.list[HistoryEntry]:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(HISTORY, tenant=tenant_id, rule=rule_id, before=before_id, limit=limit)
        names = ("id", "kind", "from_state", "to_state", "observed_value", "expected", "bucket_start", "bucket_end",
                 "transition_key", "trace_id", "notification_status", "notified_at", "created_at")  # fmt: skip
        entries = []
        for row in rows:
            fields = dict(zip(names, row[:13], strict=True))
            deliveries = [_delivery(d) for d in row[13]]
            outcome = notification_outcome(fields["notification_status"], deliveries)
            entries.append(HistoryEntry(**fields, deliveries=deliveries, notification_outcome=outcome))
        return entries

    def usable_endpoints(self, tenant_id: uuid.UUID, endpoint_ids: builtins.list[uuid.UUID]) -> set[uuid.UUID]:
        if not endpoint_ids:
            return set()
        with self._db.transaction(tenant_id) as db:
            rows = db.run(USABLE_ENDPOINTS, tenant=tenant_id, ids=[str(e) for e in endpoint_ids])
        return {uuid.UUID(str(row[0])) for row in rows}


class PostgresDeliveryStore:
    def __init__(self, db: TenantDatabase, dashboard_url: str) -> None:
        self._db = db
        self._dashboard_url = dashboard_url

    def notification_of(self, tenant_id: uuid.UUID, delivery_id: int) -> Notification | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(REDELIVERY, tenant=tenant_id, delivery=delivery_id)
        if not rows:
            return None
        fields = dict(zip(PENDING_COLUMNS, rows[0][:18], strict=True))
        return Notification(
            history_id=fields["id"],
            tenant_id=fields["tenant_id"],
            payload=alert_payload(fields, self._dashboard_url),
            webhook_id=fields["transition_key"],
            severity=fields["severity"],
            rule_id=fields["rule_id"],
            endpoints=endpoints_of([(rows[0][18], rows[0][19], rows[0][20])]),
        )

    def record(self, tenant_id: uuid.UUID, history_id: int, delivery: Delivery) -> DeliveryOut:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(
                RECORD_REDELIVERY, tenant=tenant_id, endpoint=delivery.endpoint_id, history=history_id,
                status=delivery.status, error=delivery.error,
            )  # fmt: skip
        return _delivery(rows[0])


class PostgresEndpointStore:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def list(self, tenant_id: uuid.UUID) -> builtins.list[EndpointOut]:
        with self._db.transaction(tenant_id) as db:
            return [_endpoint(row) for row in db.run(ENDPOINTS, tenant=tenant_id)]

    def create(
        self, tenant_id: uuid.UUID, endpoint: EndpointCreate, endpoint_id: uuid.UUID, sealed: bytes
    ) -> EndpointOut:
        try:
            with self._db.transaction(tenant_id) as db:
                rows = db.run(
                    INSERT_ENDPOINT, id=endpoint_id, tenant=tenant_id, url=endpoint.url,
                    description=endpoint.description, sealed=sealed,
                )  # fmt: skip
        except DatabaseError as error:
            if sqlstate(error) == UNIQUE_VIOLATION:
                raise Conflict(
                    "endpoint_exists", f"{endpoint.url} is already registered for this tenant", "url"
                ) from None
            raise
        return _endpoint(rows[0])

    def subscribed(
        self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, subscription_arn: str, *, confirmed: bool
    ) -> EndpointOut:
        status = "active" if confirmed else "pending"
        with self._db.transaction(tenant_id) as db:
            rows = db.run(SUBSCRIBED, tenant=tenant_id, id=endpoint_id, arn=subscription_arn, status=status)
        return _endpoint(rows[0])

    def disable(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> tuple[EndpointOut, str | None] | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(DISABLE, tenant=tenant_id, id=endpoint_id)
        if not rows:
            return None
        endpoint = _endpoint(rows[0])
        return endpoint, endpoint.subscription_arn

    def deliveries(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, limit: int) -> builtins.list[DeliveryOut] | None:
        with self._db.transaction(tenant_id) as db:
            if not db.run(ENDPOINT_EXISTS, tenant=tenant_id, id=endpoint_id):
                return None
            return [_delivery(row) for row in db.run(DELIVERIES, tenant=tenant_id, id=endpoint_id, limit=limit)]
