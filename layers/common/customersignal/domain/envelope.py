"""The versioned envelope every accepted event travels in, from the API through Kafka to the aggregator.

The Kafka record: key = tenant id (so one tenant's events stay ordered on one partition; a tenant spread
over several partitions adds a slot, see ``spread``), value = this
envelope as compact JSON, headers = ``traceparent`` and ``cs-schema`` (the version below).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from customersignal.domain.spread import event_key

SCHEMA_VERSION = 1
SCHEMA_HEADER = "cs-schema"
TRACEPARENT_HEADER = "traceparent"


def _wire_time(value: object) -> object:
    """Postgres casts the envelope's own text, and reads only ISO 8601 (pydantic would also read Unix
    seconds, as a JSON number or as digits): one character test, no regex, on the aggregator's hot path."""
    if isinstance(value, datetime) or (isinstance(value, str) and value[4:5] == "-"):
        return value
    raise PydanticCustomError("wire_time", "must be ISO 8601 text such as 2024-05-01T12:00:00Z, not Unix time")


def _wire_uuid(value: object) -> object:
    # pydantic reads the plain, 32-hex, braced and urn:uuid: forms; Postgres's uuid input all but the last
    if isinstance(value, str) and len(value) > 38:
        raise PydanticCustomError("wire_uuid", "must be a UUID such as 0b9a8f8e-6d4f-4c1e-9a57-2f9b1d3c4e5f, not a URN")
    return value


# What the aggregator stores is cast by Postgres from the envelope's bytes, so the envelope accepts only
# what Postgres accepts (see record_decoding for the checks that need the parsed value).
WireTime = Annotated[AwareDatetime, BeforeValidator(_wire_time)]
WireUuid = Annotated[uuid.UUID, BeforeValidator(_wire_uuid)]


class EnvelopedEvent(BaseModel):
    """The event as the client described it, after validation (field names as in the API)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: WireUuid
    event_type: str
    user_id: str | None = None
    anonymous_id: str | None = None
    timestamp: WireTime | None = None
    sent_at: WireTime | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)


class Envelope(BaseModel):
    """Schema version 1. Add fields with defaults only; anything else is a new version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1  # SCHEMA_VERSION
    tenant_id: WireUuid
    project_id: WireUuid
    received_at: WireTime
    occurred_at: WireTime = Field(description="corrected event time: the time buckets use")
    is_late: StrictBool = False
    trace_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    event: EnvelopedEvent

    def kafka_key(self, spread: int = 1) -> bytes:
        """The tenant id, or ``<tenant>:<slot>`` for a tenant spread over several partitions (see spread)."""
        return event_key(self.tenant_id, self.event.event_id, spread)

    def kafka_value(self) -> bytes:
        return self.model_dump_json(exclude_defaults=False).encode()


_SHARED_HEAD: set[str] = {"v", "tenant_id", "project_id", "received_at"}  # read-only
_OWN: set[str] = {"occurred_at", "is_late", "event"}


class EnvelopeEncoder:
    """``kafka_value()`` and ``kafka_key()`` for the envelopes of one request, byte for byte, with the
    fields they share (version, tenant, project, receive time, trace) serialised once per request: each
    envelope then costs one serialisation of its own part (corrected time, lateness, the event), spliced
    in. Envelopes built from the same objects (one request's) share; any other envelope gets its own."""

    def __init__(self) -> None:
        self._last: Envelope | None = None
        self._head = self._trace = self._key = b""

    def record(self, envelope: Envelope, spread: int = 1) -> tuple[bytes, bytes]:
        """(value, key) for Kafka."""
        last = self._last
        if not (
            last is not None
            and envelope.tenant_id is last.tenant_id
            and envelope.project_id is last.project_id
            and envelope.received_at is last.received_at
            and envelope.trace_id is last.trace_id
        ):
            self._last = envelope
            self._head = envelope.model_dump_json(include=_SHARED_HEAD).encode()[:-1] + b","
            self._trace = b"," + envelope.model_dump_json(include={"trace_id"}).encode()[1:-1]
            self._key = envelope.kafka_key()
        own = envelope.model_dump_json(include=_OWN).encode()
        at = own.index(b',"event":')  # after the time and the flag, whose values hold no such text
        value = self._head + own[1:at] + self._trace + own[at:]
        return value, self._key if spread == 1 else envelope.kafka_key(spread)


def utc_iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
