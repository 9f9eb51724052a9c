"""Response bodies of the alert routes (rules, history, webhook endpoints, deliveries); the OpenAPI document
is generated from them. Rule bodies in requests are ``alert_rules.RuleSpec`` and ``RulePatch``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from customersignal.domain.alert_rules import RuleSpec


class RuleStateOut(BaseModel):
    state: Literal["OK", "PENDING", "FIRING", "RESOLVED", "NODATA"]
    since: datetime
    consecutive_breaches: int
    last_evaluated_bucket: datetime | None
    last_notified_at: datetime | None


class RuleOut(RuleSpec):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    status: RuleStateOut


class RuleList(BaseModel):
    rules: list[RuleOut]


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: uuid.UUID
    alert_history_id: int
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    error: str | None
    created_at: datetime
    delivered_at: datetime | None


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
    notification_status: Literal["pending", "sent", "suppressed"]
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
