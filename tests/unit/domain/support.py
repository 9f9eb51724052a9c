"""Builders shared by the domain tests: one principal, one server clock, one trace id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from customersignal.domain.auth import Principal, Scope
from customersignal.domain.ingest import IngestLimits, IngestPlan, plan_ingest

RECEIVED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PRINCIPAL = Principal(
    key_id=uuid.UUID("00000000-0000-4000-8000-00000000000a"),
    tenant_id=uuid.UUID("00000000-0000-4000-8000-00000000000b"),
    project_id=uuid.UUID("00000000-0000-4000-8000-00000000000c"),
    scopes=frozenset({Scope.INGEST}),
    rate_limit_per_s=1000.0,
    rate_limit_burst=2000,
)


def event_id(n: int) -> str:
    """A stable, distinct, non-nil UUID per test event."""
    return str(uuid.UUID(int=n + 1))


def event(n: int = 0, **fields: Any) -> dict[str, Any]:
    """A valid /v1/events event; ``fields`` override (``None`` removes a field)."""
    base: dict[str, Any] = {"event_id": event_id(n), "event_type": "Order Completed", "user_id": "user-1"}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def encode(document: object) -> bytes:
    return orjson.dumps(document)


def plan(document: object, limits: IngestLimits | None = None) -> IngestPlan:
    body = encode(document)
    if limits is None:
        return plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED_AT, trace_id=TRACE_ID)
    return plan_ingest(body, principal=PRINCIPAL, received_at=RECEIVED_AT, trace_id=TRACE_ID, limits=limits)
