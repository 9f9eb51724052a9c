"""The alert evaluator's Postgres side (owner role: it works across tenants and names the tenant in every
statement): the enabled rules with their states and their tenants' watermarks, window values, one
state step per transaction, and the notification outbox.

Exactly once per transition: the step is applied with optimistic locking (``version``), and its history
row is inserted under its deterministic ``transition_key`` (unique) in the same transaction, so of two
overlapping or retried runs only one writes the row, and only rows written are published.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import Any

import orjson
import pg8000.native

from customersignal.adapters import pg_sketch
from customersignal.adapters.pg_alert_windows import mixed_window_statement, raw_window_statement
from customersignal.adapters.pg_trend import USABLE as USABLE_ROLLUPS
from customersignal.domain.alert_evaluation import (
    AppliedStep,
    Delivery,
    Notification,
    PublishPending,
    RuleSnapshot,
    WindowRequest,
    alert_payload,
    endpoints_of,
)
from customersignal.domain.alert_lifecycle import LifecycleRule, RuleState
from customersignal.domain.alert_rule_conditions import condition_from_row
from customersignal.domain.errors import Unprocessable
from customersignal.domain.property_filters import PropertyFilter, parse_filters
from customersignal.domain.trend import rollup_rows

log = logging.getLogger(__name__)

ENABLED_RULES = """
SELECT r.id, r.tenant_id, r.name, r.event_type, r.metric, r.window_seconds, r.condition_kind, r.parameters,
       r.pending_evaluations, r.repeat_interval_seconds, r.notify_on_resolve, r.silenced_until, r.severity,
       r.channels, COALESCE(s.state, 'OK'), COALESCE(s.since, r.created_at), COALESCE(s.consecutive_breaches, 0),
       s.last_evaluated_bucket, s.last_notified_at, COALESCE(s.version, 0), f.complete_up_to, r.property, r.filters
FROM alert_rules r
JOIN tenants t ON t.id = r.tenant_id AND t.status = 'active'
LEFT JOIN alert_states s ON s.rule_id = r.id
LEFT JOIN tenant_freshness f ON f.tenant_id = r.tenant_id
WHERE r.enabled
ORDER BY r.tenant_id, r.id
"""
FAST_RULES = ENABLED_RULES.replace(
    "WHERE r.enabled",
    "WHERE r.enabled AND r.metric = 'count' AND r.condition_kind = 'threshold'"
    " AND (r.tenant_id, r.event_type) IN"
    " (SELECT t, e FROM jsonb_to_recordset(CAST(:pairs AS jsonb)) AS p(t uuid, e text))",
)
HOUR_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
COUNT_WINDOWS = """
SELECT w.k, COALESCE(sum(m.event_count), 0)::bigint
FROM unnest(CAST(:ends AS timestamptz[])) WITH ORDINALITY AS w(window_end, k)
LEFT JOIN metrics_minute m
    ON m.tenant_id = :tenant AND m.event_type = :event_type
   AND m.bucket_start >= w.window_end - CAST(:width AS interval) AND m.bucket_start < w.window_end
GROUP BY w.k ORDER BY w.k
"""
# Unique users of a window: the union of its sketches (migration 0009), whole UTC hours from metrics_hour and
# the ragged minutes at both ends from metrics_minute, so a 24 h window unions about 140 sketches, not 1,440.
# h0: the first hour start at or after lo; h1: the last at or before hi. Exact up to 320 users, ~1.6 % above.
USER_WINDOWS = f"""
WITH w AS (
    SELECT k, window_end - CAST(:width AS interval) AS lo, window_end AS hi
    FROM unnest(CAST(:ends AS timestamptz[])) WITH ORDINALITY AS u(window_end, k)
), c AS (
    SELECT k, lo, hi, date_bin('1 hour', hi, {HOUR_ORIGIN}) AS h1,
           CASE WHEN date_bin('1 hour', lo, {HOUR_ORIGIN}) = lo THEN lo
                ELSE date_bin('1 hour', lo, {HOUR_ORIGIN}) + interval '1 hour' END AS h0
    FROM w
)
SELECT c.k, {pg_sketch.union_cardinality("s.users")}
FROM c LEFT JOIN LATERAL (
    SELECT users FROM metrics_minute WHERE tenant_id = :tenant AND event_type = :event_type
        AND bucket_start >= c.lo AND bucket_start < LEAST(c.h0, c.hi)
    UNION ALL
    SELECT users FROM metrics_hour WHERE tenant_id = :tenant AND event_type = :event_type
        AND bucket_start >= c.h0 AND bucket_start < c.h1
    UNION ALL
    SELECT users FROM metrics_minute WHERE tenant_id = :tenant AND event_type = :event_type
        AND bucket_start >= GREATEST(c.h0, c.h1) AND bucket_start < c.hi
) s ON true
GROUP BY c.k ORDER BY c.k
"""  # noqa: S608 - constants, not input
ENSURE_STATE = "INSERT INTO alert_states (rule_id, tenant_id) VALUES (:rule, :tenant) ON CONFLICT DO NOTHING"
# changed_at moves only with the state, to the transaction's now(): the history row's created_at (migration 0008)
UPDATE_STATE = """
UPDATE alert_states
SET changed_at = CASE WHEN state IS DISTINCT FROM CAST(:state AS text) THEN now() ELSE changed_at END,
    state = :state, since = :since, consecutive_breaches = :breaches, last_evaluated_bucket = :bucket,
    last_notified_at = :notified, version = version + 1, updated_at = now()
WHERE rule_id = :rule AND tenant_id = :tenant AND version = :seen
RETURNING version
"""
INSERT_HISTORY = """
INSERT INTO alert_history (tenant_id, rule_id, kind, from_state, to_state, observed_value, expected, bucket_start,
                           bucket_end, transition_key, trace_id, notification_status)
VALUES (:tenant, :rule, :kind, :from_state, :to_state, :observed, CAST(:expected AS jsonb), :bucket_start,
        :bucket_end, :key, :trace, :status)
ON CONFLICT (transition_key) DO NOTHING
RETURNING id
"""
PENDING = """
SELECT h.id, h.tenant_id, h.rule_id, r.name, r.event_type, r.metric, r.condition_kind, r.severity, h.kind,
       h.from_state, h.to_state, h.observed_value, h.expected, h.bucket_start, h.bucket_end, h.transition_key,
       h.trace_id, h.created_at
FROM alert_history h
JOIN alert_rules r ON r.tenant_id = h.tenant_id AND r.id = h.rule_id
WHERE h.notification_status = 'pending'
ORDER BY h.id
LIMIT :limit
FOR UPDATE OF h SKIP LOCKED
"""
PENDING_COLUMNS = (
    "id", "tenant_id", "rule_id", "name", "event_type", "metric", "condition_kind", "severity", "kind", "from_state",
    "to_state", "observed_value", "expected", "bucket_start", "bucket_end", "transition_key", "trace_id", "created_at",
)  # fmt: skip
# the rule's channels that have not had this notification yet (a retry after a partial failure)
ENDPOINTS = """
SELECT e.id, e.secret_ciphertext, e.url
FROM alert_rules r JOIN webhook_endpoints e ON e.tenant_id = r.tenant_id AND e.id = ANY(r.channels)
WHERE r.tenant_id = :tenant AND r.id = :rule AND e.status <> 'disabled'
  AND NOT EXISTS (SELECT FROM webhook_deliveries d
                  WHERE d.alert_history_id = :history AND d.endpoint_id = e.id AND d.status = 'delivered')
ORDER BY e.id
"""
RECORD_DELIVERY = """
INSERT INTO webhook_deliveries (tenant_id, endpoint_id, alert_history_id, status, attempts, error, delivered_at)
VALUES (:tenant, :endpoint, :history, :status, 1, :error, CASE WHEN :status = 'delivered' THEN now() END)
"""
MARK_SENT = "UPDATE alert_history SET notification_status = 'sent', notified_at = now() WHERE id = :id"


class PostgresAlertStore:
    def __init__(self, connect: Callable[[], pg8000.native.Connection], dashboard_url: str) -> None:
        self._connect = connect
        self._dashboard_url = dashboard_url
        self._db: pg8000.native.Connection | None = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def enabled_rules(self) -> list[RuleSnapshot]:
        rules = []
        for row in self._conn().run(ENABLED_RULES):
            try:
                rules.append(_snapshot(row))
            except ValueError as error:  # a row no API would write: skip it, loudly, rather than guess
                log.error("alert rule skipped", extra={"rule_id": str(row[0]), "error": str(error)})
        return rules

    def fast_rules(self, counted_types: Collection[tuple[uuid.UUID, str]]) -> list[RuleSnapshot]:
        pairs = orjson.dumps([{"t": str(t), "e": e} for t, e in sorted(counted_types)]).decode()
        return [_snapshot(row) for row in self._conn().run(FAST_RULES, pairs=pairs)]

    def window_values(self, request: WindowRequest) -> list[float | None]:
        if request.filters or request.metric not in ("count", "unique_users"):
            usable = self._conn().run(USABLE_ROLLUPS, tenant=request.tenant_id, event_type=request.event_type)
            found = frozenset((name, role) for name, role in usable)
            rows_of = rollup_rows(request.metric, request.property, None, request.filters, found)
            sql, params = (
                raw_window_statement(request) if rows_of is None else mixed_window_statement(request, *rows_of)
            )
            rows = self._conn().run(sql, **params)
            return [None if value is None else float(value) for _, value in rows]
        sql = COUNT_WINDOWS if request.metric == "count" else USER_WINDOWS
        rows = self._conn().run(
            sql,
            tenant=request.tenant_id,
            event_type=request.event_type,
            ends=list(request.window_ends),
            width=timedelta(seconds=request.window_seconds),
        )
        return [int(value) for _, value in rows]

    def apply(self, step: AppliedStep) -> int | None:
        """Apply one rule's step; the new history row's id, or None (no transition, or another run won)."""
        db = self._conn()
        db.run("BEGIN")
        try:
            db.run(ENSURE_STATE, rule=step.rule_id, tenant=step.tenant_id)
            updated = db.run(
                UPDATE_STATE, rule=step.rule_id, tenant=step.tenant_id, seen=step.seen_version, **step.state
            )
            history_id: int | None = None
            if updated and step.history is not None:
                history = {**step.history, "expected": orjson.dumps(step.history["expected"]).decode()}
                rows = db.run(INSERT_HISTORY, rule=step.rule_id, tenant=step.tenant_id, **history)
                history_id = rows[0][0] if rows else None
            db.run("COMMIT")
        except BaseException:
            db.run("ROLLBACK")
            raise
        return history_id

    def deliver_pending(self, publish: PublishPending, limit: int = 500) -> list[tuple[Notification, list[Delivery]]]:
        db = self._conn()
        done: list[tuple[Notification, list[Delivery]]] = []
        db.run("BEGIN")
        try:
            for row in db.run(PENDING, limit=limit):
                fields = dict(zip(PENDING_COLUMNS, row, strict=True))
                endpoints = db.run(ENDPOINTS, tenant=fields["tenant_id"], rule=fields["rule_id"], history=fields["id"])
                notification = Notification(
                    history_id=fields["id"],
                    tenant_id=fields["tenant_id"],
                    payload=alert_payload(fields, self._dashboard_url),
                    webhook_id=fields["transition_key"],
                    severity=fields["severity"],
                    rule_id=fields["rule_id"],
                    endpoints=endpoints_of([(e, s, u) for e, s, u in endpoints]),
                )
                deliveries = publish(notification)
                for delivery in deliveries:
                    db.run(
                        RECORD_DELIVERY, tenant=fields["tenant_id"], endpoint=delivery.endpoint_id,
                        history=fields["id"], status=delivery.status, error=delivery.error,
                    )  # fmt: skip
                if all(d.status == "delivered" for d in deliveries):
                    db.run(MARK_SENT, id=fields["id"])
                done.append((notification, deliveries))
            db.run("COMMIT")
        except BaseException:
            db.run("ROLLBACK")
            raise
        return done

    def _conn(self) -> pg8000.native.Connection:
        if self._db is None:
            self._db = self._connect()
        return self._db


def _snapshot(row: Sequence[Any]) -> RuleSnapshot:
    (rule_id, tenant_id, name, event_type, metric, window_s, kind, parameters, pending, repeat, on_resolve, silenced,
     severity, _channels, state, since, breaches, last_bucket, last_notified, version, watermark, prop,
     filters) = row  # fmt: skip
    return RuleSnapshot(
        rule_id=rule_id,
        tenant_id=tenant_id,
        name=name,
        event_type=event_type,
        metric=metric,
        window_seconds=window_s,
        condition=condition_from_row(kind, parameters),
        lifecycle=LifecycleRule(rule_id, pending, repeat, on_resolve, silenced),
        severity=severity,
        state=RuleState(state, since, breaches, last_bucket, last_notified, version),
        watermark=watermark,
        property=prop,
        filters=_stored_filters(filters),
    )


def _stored_filters(raw: Any) -> tuple[PropertyFilter, ...]:
    """The rule's filters as stored; a row the parser refuses raises ValueError (the rule is skipped, logged)."""
    try:
        return parse_filters(raw or [], "filters")
    except Unprocessable as error:
        raise ValueError(f"alert rule filters do not parse: {error}") from None
