"""One evaluator run: judge every enabled rule's latest complete window, apply its lifecycle step, then
publish the notification outbox. Pure: the stores and the channel come in as ports.

Completeness. A window ending at the minute boundary ``bucket_end`` is judged only once the tenant's data
is complete up to it: its freshness watermark is at or past ``bucket_end``, or the whole pipeline has
applied everything Kafka holds (then silence is real, and an absence rule may fire). Otherwise the
verdict is NODATA, never a false breach.

Exactly once. ``store.apply`` writes the state under optimistic locking and the history row under its
deterministic key (unique) in one transaction; only rows written are published, each endpoint gets one
delivery record per row, and the Standard-Webhooks id is the row's key, so a republish after a crash
carries the same id and receivers drop it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from customersignal.domain.alert_conditions import Verdict, WindowObservation, evaluate
from customersignal.domain.alert_lifecycle import LifecycleRule, RuleState, Step, step
from customersignal.domain.alert_rule_conditions import AnomalyCondition, AnyCondition, ChangeCondition
from customersignal.domain.alert_rules import Metric
from customersignal.domain.errors import MalformedRequest, Unavailable
from customersignal.domain.property_filters import PropertyFilter
from customersignal.domain.webhook_signing import envelope
from customersignal.domain.webhook_urls import UrlPolicy

WEEK = timedelta(days=7)
TRACEPARENT_ATTRIBUTE = "traceparent"  # SNS message attribute: the span that published the notification


@dataclass(frozen=True)
class RuleSnapshot:
    rule_id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    event_type: str
    metric: Metric
    window_seconds: int
    condition: AnyCondition
    lifecycle: LifecycleRule
    severity: str
    state: RuleState
    watermark: datetime | None
    property: str | None = None  # the numeric property of sum/avg/min/max
    filters: tuple[PropertyFilter, ...] = ()

    def window_request(self, window_ends: tuple[datetime, ...]) -> WindowRequest:
        return WindowRequest(
            self.tenant_id, self.event_type, self.metric, self.window_seconds, window_ends, self.property, self.filters
        )


@dataclass(frozen=True)
class WindowRequest:
    tenant_id: uuid.UUID
    event_type: str
    metric: str
    window_seconds: int
    window_ends: tuple[datetime, ...]  # current, then what the condition compares with
    property: str | None = None
    filters: tuple[PropertyFilter, ...] = ()


@dataclass(frozen=True)
class AppliedStep:
    rule_id: uuid.UUID
    tenant_id: uuid.UUID
    seen_version: int
    state: dict[str, Any]  # alert_states columns
    history: dict[str, Any] | None  # alert_history columns, or None


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: uuid.UUID
    sealed_secret: bytes
    url: str


@dataclass(frozen=True)
class Notification:
    history_id: int
    tenant_id: uuid.UUID
    payload: dict[str, Any]
    webhook_id: str
    severity: str
    rule_id: uuid.UUID
    endpoints: tuple[Endpoint, ...]


@dataclass(frozen=True)
class Delivery:
    endpoint_id: uuid.UUID
    status: Literal["delivered", "failed"]
    error: str | None = None


@dataclass
class RunReport:
    rules: int = 0
    nodata: int = 0
    transitions: int = 0
    notifications: int = 0
    deliveries_failed: int = 0
    errors: list[str] = field(default_factory=list)


class AlertStore(Protocol):
    def enabled_rules(self) -> list[RuleSnapshot]: ...

    def window_values(self, request: WindowRequest) -> list[float | None]:
        """One value per window end; None where avg/min/max had no numeric value to read."""
        ...

    def apply(self, applied: AppliedStep) -> int | None: ...

    def deliver_pending(self, publish: PublishPending, limit: int = 500) -> list[tuple[Notification, list[Delivery]]]:
        """Lock the pending outbox rows (skipping rows another run holds), hand each to ``publish``, and
        record its deliveries in the same transaction."""
        ...


class PublishPending(Protocol):
    def __call__(self, notification: Notification) -> list[Delivery]: ...


class PipelineLag(Protocol):
    def caught_up(self) -> bool: ...


class AlertChannel(Protocol):
    def publish(
        self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, message: str, attributes: dict[str, str]
    ) -> str: ...


class SecretOpener(Protocol):
    def open(self, sealed: bytes, endpoint_id: uuid.UUID) -> str: ...


def evaluate_rules(store: AlertStore, lag: PipelineLag, now: datetime, trace_id: str) -> RunReport:
    report = RunReport()
    bucket_end = now.astimezone(UTC).replace(second=0, microsecond=0)
    caught_up: bool | None = None
    for rule in store.enabled_rules():
        report.rules += 1
        complete = rule.watermark is not None and rule.watermark >= bucket_end
        if not complete and caught_up is None:
            caught_up = lag.caught_up()  # asked once per run, and only if a tenant's watermark is behind
        verdict = judge(store, rule, bucket_end) if complete or caught_up else lagging(rule)
        report.nodata += verdict.state == "nodata"
        window_start = bucket_end - timedelta(seconds=rule.window_seconds)
        result = step(rule.lifecycle, rule.state, verdict, window_start, bucket_end, now)
        if result.changed:
            report.transitions += store.apply(applied_step(rule, result, trace_id)) is not None
    return report


def judge(store: AlertStore, rule: RuleSnapshot, bucket_end: datetime) -> Verdict:
    width = timedelta(seconds=rule.window_seconds)
    ends = [bucket_end]
    if isinstance(rule.condition, ChangeCondition):
        ends.append(bucket_end - width)
    if isinstance(rule.condition, AnomalyCondition):
        ends += [bucket_end - WEEK * k for k in range(rule.condition.weeks, 0, -1)]  # oldest first
    values = store.window_values(rule.window_request(tuple(ends)))
    if values[0] is None:  # an average (or min, max) of no values: nothing to judge, which is not zero
        return Verdict("nodata", None, {"reason": "no_values", "metric": rule.metric})
    previous = values[1] if isinstance(rule.condition, ChangeCondition) else None
    observation = WindowObservation(
        current=float(values[0]),
        previous=None if previous is None else float(previous),
        history=[float(v) for v in values[1:] if v is not None] if isinstance(rule.condition, AnomalyCondition) else (),
    )
    return evaluate(rule.condition, observation)


def lagging(rule: RuleSnapshot) -> Verdict:
    mark = rule.watermark.isoformat() if rule.watermark else "none"
    return Verdict("nodata", None, {"reason": "pipeline_lagging", "complete_up_to": mark})


def applied_step(rule: RuleSnapshot, result: Step, trace_id: str) -> AppliedStep:
    state = result.state
    columns = {
        "state": state.state,
        "since": state.since,
        "breaches": state.consecutive_breaches,
        "bucket": state.last_evaluated_bucket,
        "notified": state.last_notified_at,
    }
    history: dict[str, Any] | None = None
    event = result.transition or result.repeat
    if event is not None:
        kind = "transition" if result.transition is not None else "repeat"
        history = {
            "kind": kind,
            "from_state": result.transition.from_state if result.transition else "FIRING",
            "to_state": result.transition.to_state if result.transition else "FIRING",
            "observed": event.observed,
            "expected": dict(event.expected),
            "bucket_start": event.bucket_start,
            "bucket_end": event.bucket_end,
            "key": event.transition_key,
            "trace": trace_id,
            "status": result.transition.notification_status if result.transition else "pending",
        }
    return AppliedStep(rule.rule_id, rule.tenant_id, rule.state.version, columns, history)


def publish_pending(
    store: AlertStore,
    channel: AlertChannel,
    secrets: SecretOpener,
    now: datetime,
    report: RunReport,
    *,
    traceparent: str | None = None,
    urls: UrlPolicy | None = None,
) -> RunReport:
    """``traceparent``: the publishing span (the evaluator run, or the aggregator batch of the fast path),
    sent as the SNS message attribute of that name; the payload's ``trace_id`` stays the transition's.
    ``urls``: the webhook URL policy, checked again before each endpoint's message is published (the
    functions always pass theirs; None only where the caller owns every receiver, as tests do)."""

    def publish(notification: Notification) -> list[Delivery]:
        return send(notification, channel, secrets, int(now.timestamp()), traceparent, urls=urls)

    for _notification, deliveries in store.deliver_pending(publish):
        report.notifications += 1
        report.deliveries_failed += sum(d.status == "failed" for d in deliveries)
    return report


def send(
    notification: Notification,
    channel: AlertChannel,
    secrets: SecretOpener,
    timestamp: int,
    traceparent: str | None = None,
    *,
    urls: UrlPolicy | None,
) -> list[Delivery]:
    """Publish to each endpoint whose URL still passes ``urls`` (what its host resolves to now may differ
    from what it resolved to at registration: DNS rebinding); a refused one is a failed delivery, with why."""
    deliveries: list[Delivery] = []
    attributes = {"rule": str(notification.rule_id), "severity": notification.severity}
    if traceparent:
        attributes[TRACEPARENT_ATTRIBUTE] = traceparent
    for endpoint in notification.endpoints:
        try:
            if urls is not None:
                urls.check(endpoint.url)
        except MalformedRequest as refused:
            deliveries.append(Delivery(endpoint.endpoint_id, "failed", f"{refused.code}: {refused.message}"))
            continue
        secret = secrets.open(endpoint.sealed_secret, endpoint.endpoint_id)
        message = envelope(notification.webhook_id, timestamp, notification.payload, secret)
        try:
            channel.publish(notification.tenant_id, endpoint.endpoint_id, message, attributes)
            deliveries.append(Delivery(endpoint.endpoint_id, "delivered"))
        except Unavailable as error:
            deliveries.append(Delivery(endpoint.endpoint_id, "failed", error.message))
    return deliveries


def alert_payload(row: dict[str, Any], dashboard_url: str) -> dict[str, Any]:
    """The documented JSON body of a notification (docs/alerts.md, "Webhooks")."""
    return {
        "type": "customersignal.alert." + ("repeat" if row["kind"] == "repeat" else "transition"),
        "id": row["transition_key"],
        "tenant_id": str(row["tenant_id"]),
        "rule": {
            "id": str(row["rule_id"]),
            "name": row["name"],
            "event_type": row["event_type"],
            "metric": row["metric"],
            "condition": row["condition_kind"],
            "severity": row["severity"],
        },
        "state": row["to_state"],
        "previous_state": row["from_state"],
        "observed_value": row["observed_value"],
        "expected": row["expected"],
        "bucket": {"start": _iso(row["bucket_start"]), "end": _iso(row["bucket_end"])},
        "dashboard_url": f"{dashboard_url.rstrip('/')}/alerts/{row['rule_id']}",
        "trace_id": row["trace_id"],
        "occurred_at": _iso(row["created_at"]),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def endpoints_of(rows: Sequence[tuple[uuid.UUID | None, bytes | None, str | None]]) -> tuple[Endpoint, ...]:
    return tuple(Endpoint(e, bytes(s), u) for e, s, u in rows if e is not None and s is not None and u is not None)
