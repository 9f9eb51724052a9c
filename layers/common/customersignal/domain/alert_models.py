"""Response bodies of the alert routes (rules, history, webhook endpoints, deliveries); the OpenAPI document
is generated from them. Rule bodies in requests are ``alert_rules.RuleSpec`` and ``RulePatch``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from customersignal.domain.alert_rule_conditions import ConditionKind
from customersignal.domain.alert_rules import RuleSpec

RuleState = Literal["OK", "PENDING", "FIRING", "RESOLVED", "NODATA"]


class RuleStateOut(BaseModel):
    state: RuleState
    since: datetime = Field(description="When the state last changed, as recorded (the transition's history time).")
    consecutive_breaches: int
    last_evaluated_bucket: datetime | None
    last_notified_at: datetime | None


class RuleOut(RuleSpec):
    # every field is in every answer, defaults included: the OpenAPI document says so (required)
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)

    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    status: RuleStateOut


class RuleListItem(RuleOut):
    """A rule as GET /v1/alerts lists it: the whole body of GET /v1/alerts/{id} (metric, property, filters,
    window, condition, silence...), so a list can describe each rule without reading it, plus the flat summary
    fields the list has always had."""

    condition_kind: ConditionKind = Field(description="condition.kind, flat.")
    state: RuleState = Field(description="status.state, flat.")
    since: datetime = Field(description="status.since, flat: when the state last changed, as recorded.")


def list_item(rule: RuleOut) -> RuleListItem:
    return RuleListItem(
        **dict(rule), condition_kind=rule.condition.kind, state=rule.status.state, since=rule.status.since
    )


class RuleList(BaseModel):
    rules: list[RuleListItem] = Field(description="FIRING rules first, then by name.")


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: uuid.UUID
    alert_history_id: int
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    error: str | None
    created_at: datetime
    delivered_at: datetime | None


NotificationOutcome = Literal["pending", "retrying", "sent", "no_channels", "suppressed"]


def notification_outcome(status: str, deliveries: list[DeliveryOut]) -> NotificationOutcome:
    """What became of a history row's notification, from its outbox status *and* its delivery records:
    the outbox marks a row 'sent' once nothing is left to deliver, which is also true of a rule with no
    (active) channels, where nothing was delivered at all."""
    if status == "suppressed":
        return "suppressed"
    if status == "sent":
        return "sent" if any(d.status == "delivered" for d in deliveries) else "no_channels"
    return "retrying" if deliveries else "pending"


class HistoryEntry(BaseModel):
    id: int
    kind: Literal["transition", "repeat"]
    from_state: str
    to_state: str
    observed_value: float | None
    expected: dict[str, Any] | None
    bucket_start: datetime
    bucket_end: datetime
    transition_key: str
    trace_id: str | None
    notification_status: Literal["pending", "sent", "suppressed"] = Field(
        description="The outbox's status: 'sent' means nothing is left to deliver (see notification_outcome)."
    )
    notification_outcome: NotificationOutcome = Field(
        description="From the deliveries: sent (delivered to at least one channel), no_channels (nothing to deliver"
        " to), retrying (a delivery failed; retried), pending, suppressed (silenced or not notifying)."
    )
    notified_at: datetime | None
    created_at: datetime
    deliveries: list[DeliveryOut]


class HistoryPage(BaseModel):
    history: list[HistoryEntry]
    next_cursor: str | None


class EndpointCreate(BaseModel):
    model_config = {"extra": "forbid"}

    url: str = Field(min_length=1, max_length=2048)
    description: str = Field(default="", max_length=500)


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    status: Literal["pending", "active", "disabled"]
    subscription_arn: str | None
    created_at: datetime
    disabled_at: datetime | None


class EndpointCreated(BaseModel):
    endpoint: EndpointOut
    secret: str = Field(description="The signing secret (whsec_...). Shown once: store it in your receiver.")


class EndpointList(BaseModel):
    endpoints: list[EndpointOut]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
