"""The versioned envelope every accepted event travels in, from the API through Kafka to the aggregator.

The Kafka record: key = tenant id (so one tenant's events stay ordered on one partition), value = this
envelope as compact JSON, headers = ``traceparent`` and ``cs-schema`` (the version below).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
SCHEMA_HEADER = "cs-schema"
TRACEPARENT_HEADER = "traceparent"


class EnvelopedEvent(BaseModel):
    """The event as the client described it, after validation (field names as in the API)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    event_type: str
    user_id: str | None = None
    anonymous_id: str | None = None
    timestamp: AwareDatetime | None = None
    sent_at: AwareDatetime | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)


class Envelope(BaseModel):
    """Schema version 1. Add fields with defaults only; anything else is a new version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1  # SCHEMA_VERSION
    tenant_id: uuid.UUID
    project_id: uuid.UUID
    received_at: AwareDatetime
    occurred_at: AwareDatetime = Field(description="corrected event time: the time buckets use")
    is_late: bool = False
    trace_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    event: EnvelopedEvent

    def kafka_key(self) -> bytes:
        return str(self.tenant_id).encode()

    def kafka_value(self) -> bytes:
        return self.model_dump_json(exclude_defaults=False).encode()


def utc_iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
