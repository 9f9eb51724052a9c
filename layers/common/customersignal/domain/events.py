"""The public event model of ``POST /v1/events``, and how a rejected event is explained.

``IncomingEvent`` is the validated form of one event as a client sends it. It *is* an ``EnvelopedEvent``
(a subclass that only tightens the rules), so an accepted event goes into its ``Envelope`` as is, without a
second validation or a copy.

event_type
    ``EVENT_TYPE_PATTERN`` (with a separate 1-128 length check, so an over-long name gets its own message)::

        ^(?:[A-Za-z0-9](?:[A-Za-z0-9 _.:/-]*[A-Za-z0-9_.:/-])?|\\$(?:identify|page|screen|group|alias))$

    A custom type is ASCII letters, digits, space and ``_ . : - /``; it starts with a letter or digit and does
    not end with a space ("Signup " and "Signup" would otherwise be two types). Non-ASCII letters are left out on
    purpose: look-alike and differently normalised names would split one type in two. A leading ``$`` is
    reserved: only the five system types in ``SYSTEM_EVENT_TYPES`` exist, which the Segment mapping produces.
    ``/v1/events`` accepts them too (a client may send its own ``$identify``: it means the same thing there),
    and any other ``$`` name is rejected.

Timestamps
    ``timestamp`` and ``sent_at`` are ISO 8601 strings *with* an offset (``Z`` or ``±hh:mm``). A naive time is
    rejected, because guessing its zone would shift it by hours. Numbers (and digit strings) are rejected too,
    although pydantic would read them as Unix time: seconds and milliseconds can't be told apart reliably.

Error codes (``EventErrorCode``; ``PYDANTIC_ERROR_CODES`` maps pydantic's error types onto them)
    =====================  ===========================================================================
    ``missing_field``      a required field is absent (``event_id``, ``event_type``; Segment ``messageId``)
    ``invalid_type``       a field has the wrong JSON type (a number where a string goes, an array ...)
    ``invalid_value``      right type, wrong value (bad UUID, bad characters, too long, naive timestamp)
    ``unknown_field``      a field the API does not define (``/v1/events`` forbids extras)
    ``missing_identity``   neither ``user_id`` nor ``anonymous_id``
    ``not_an_object``      an item of ``events`` (or ``batch``) is not a JSON object
    ``event_too_large``    the event's compact JSON is over 32 KB (or nested too deeply to encode)
    ``timestamp_in_future``  the corrected time is more than 1 h after the server received the event
    ``duplicate_event_id`` an earlier event of the same request, which was accepted, has this ``event_id``
    =====================  ===========================================================================

Each rejection reports one problem: the first one, in field order (unknown fields come last), and the message
says how many more there are.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Protocol, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from customersignal.domain.envelope import EnvelopedEvent

SYSTEM_EVENT_TYPES = ("$identify", "$page", "$screen", "$group", "$alias")
EVENT_TYPE_MAX_LENGTH = 128
EVENT_TYPE_PATTERN = r"^(?:[A-Za-z0-9](?:[A-Za-z0-9 _.:/-]*[A-Za-z0-9_.:/-])?|\$(?:identify|page|screen|group|alias))$"
IDENTITY_MAX_LENGTH = 255
MAX_REQUEST_BYTES = 1_048_576  # 1 MB per request (the whole body, as sent)
MAX_EVENTS_PER_REQUEST = 500
MAX_EVENT_BYTES = 32 * 1024  # 32 KB per event, measured as its compact JSON encoding


class EventErrorCode(StrEnum):
    """Why one event was rejected: a stable, machine-readable code."""

    MISSING_FIELD = "missing_field"
    INVALID_TYPE = "invalid_type"
    INVALID_VALUE = "invalid_value"
    UNKNOWN_FIELD = "unknown_field"
    MISSING_IDENTITY = "missing_identity"
    NOT_AN_OBJECT = "not_an_object"
    EVENT_TOO_LARGE = "event_too_large"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    DUPLICATE_EVENT_ID = "duplicate_event_id"


# pydantic error type -> our code. Types not listed map to invalid_value. Our own validators raise
# PydanticCustomError with one of our codes as the type, hence the identity rows.
PYDANTIC_ERROR_CODES: Mapping[str, EventErrorCode] = {
    "missing": EventErrorCode.MISSING_FIELD,
    "extra_forbidden": EventErrorCode.UNKNOWN_FIELD,
    "string_type": EventErrorCode.INVALID_TYPE,
    "uuid_type": EventErrorCode.INVALID_TYPE,
    "dict_type": EventErrorCode.INVALID_TYPE,
    "datetime_type": EventErrorCode.INVALID_TYPE,
    "model_type": EventErrorCode.NOT_AN_OBJECT,
    "model_attributes_type": EventErrorCode.NOT_AN_OBJECT,
    "string_too_short": EventErrorCode.INVALID_VALUE,
    "string_too_long": EventErrorCode.INVALID_VALUE,
    "string_pattern_mismatch": EventErrorCode.INVALID_VALUE,
    "uuid_parsing": EventErrorCode.INVALID_VALUE,
    "uuid_version": EventErrorCode.INVALID_VALUE,
    "timezone_aware": EventErrorCode.INVALID_VALUE,
    "datetime_parsing": EventErrorCode.INVALID_VALUE,
    "datetime_from_date_parsing": EventErrorCode.INVALID_VALUE,
    "invalid_type": EventErrorCode.INVALID_TYPE,
    "invalid_value": EventErrorCode.INVALID_VALUE,
    "missing_identity": EventErrorCode.MISSING_IDENTITY,
}

# What each field must be, in words: the tail of every message about that field.
FIELD_RULES: Mapping[str, str] = {
    "event_id": "a UUID (the idempotency key), such as 0b9a8f8e-6d4f-4c1e-9a57-2f9b1d3c4e5f",
    "event_type": (
        "1-128 characters of ASCII letters, digits, space and _ . : - /, starting with a letter or digit and "
        "not ending with a space"
    ),
    "user_id": "a string of 1-255 characters",
    "anonymous_id": "a string of 1-255 characters",
    "timestamp": "an ISO 8601 date-time with a timezone offset, such as 2024-05-01T12:00:00Z",
    "sent_at": "an ISO 8601 date-time with a timezone offset, such as 2024-05-01T12:00:00Z",
    "properties": "a JSON object",
    "context": "a JSON object",
}


def _event_time(value: object) -> object:
    """Parse an ISO 8601 string with Python's own parser, and refuse naive times and Unix numbers."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "invalid_value",
                "is not an ISO 8601 date-time; send one with a timezone offset, e.g. 2024-05-01T12:00:00Z",
            ) from None
        if parsed.tzinfo is None:
            raise PydanticCustomError(
                "invalid_value",
                "has no timezone offset, so it can't be placed in time; add Z or +hh:mm, e.g. 2024-05-01T12:00:00Z",
            )
        return parsed
    if isinstance(value, datetime):
        return value
    raise PydanticCustomError(
        "invalid_type", "must be an ISO 8601 string with a timezone offset, such as 2024-05-01T12:00:00Z"
    )


def _not_nil(value: uuid.UUID) -> uuid.UUID:
    if value.int == 0:
        raise PydanticCustomError(
            "invalid_value", "must not be the nil UUID: it is the idempotency key, so each event needs its own"
        )
    return value


# Real zones lie within -12:00..+14:00; ISO 8601 allows up to 23:59, but Postgres refuses offsets past 15:59,
# so such a time, accepted, would fail its aggregator batch on every retry (a poison record).
MAX_UTC_OFFSET = timedelta(hours=14)


def _real_offset(moment: datetime) -> datetime:
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise PydanticCustomError("invalid_value", "the UTC offset must be within -14:00 and +14:00")
    return moment


EventTime = Annotated[AwareDatetime, BeforeValidator(_event_time), AfterValidator(_real_offset)]
Identity = Annotated[str, StringConstraints(min_length=1, max_length=IDENTITY_MAX_LENGTH)]


class IncomingEvent(EnvelopedEvent):
    """One event as a client sends it: at least one of user_id and anonymous_id, no other fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: Annotated[uuid.UUID, AfterValidator(_not_nil)] = Field(
        description="Client-generated UUID; the idempotency key (a retry must reuse it)."
    )
    event_type: Annotated[
        str, StringConstraints(min_length=1, max_length=EVENT_TYPE_MAX_LENGTH, pattern=EVENT_TYPE_PATTERN)
    ] = Field(description="What happened, e.g. 'Order Completed'. The '$' prefix is reserved for system types.")
    user_id: Identity | None = Field(default=None, description="Your id for the user; this or anonymous_id.")
    anonymous_id: Identity | None = Field(default=None, description="A device/browser id; this or user_id.")
    timestamp: EventTime | None = Field(default=None, description="When it happened, by the client's clock.")
    sent_at: EventTime | None = Field(
        default=None, description="When the client sent it, by the same clock: lets the server correct skew."
    )
    properties: dict[str, Any] = Field(default_factory=dict, description="Facts about the event.")
    context: dict[str, Any] = Field(default_factory=dict, description="Facts about where it came from.")

    @model_validator(mode="after")
    def _needs_identity(self) -> Self:
        if self.user_id is None and self.anonymous_id is None:
            raise PydanticCustomError("missing_identity", "is required (at least one of the two)")
        return self


class EventBatch(BaseModel):
    """Several events in one request (documentation model: the ingest path reads the body itself)."""

    model_config = ConfigDict(extra="forbid")

    events: list[IncomingEvent] = Field(
        min_length=1, max_length=MAX_EVENTS_PER_REQUEST, description="1-500 events, 32 KB each."
    )


class EventsRequest(RootModel[IncomingEvent | EventBatch]):
    """The body of POST /v1/events: one event, or {"events": [...]}; 1 MB at most."""


@dataclass(frozen=True, slots=True)
class EventProblem:
    """Why one event was rejected: ``field`` is the client's dotted path, e.g. ``events[3].timestamp``."""

    code: EventErrorCode
    field: str | None
    message: str


class FieldPaths(Protocol):
    """Where the client's request has our field ``name`` (for the Segment endpoints: ``user_id`` -> ``userId``).

    ``None`` means "the same name, under the event's prefix". A ``dict[str, str]`` qualifies.
    """

    def get(self, name: str, /) -> str | None: ...


def join_path(prefix: str, name: str) -> str:
    """``events[3]`` + ``timestamp`` -> ``events[3].timestamp``; no prefix for a single event."""
    return f"{prefix}.{name}" if prefix else name


def field_path(name: str, *, prefix: str, paths: FieldPaths | None) -> str:
    """The client's path of our field ``name`` in the event at ``prefix``."""
    return (paths.get(name) if paths is not None else None) or join_path(prefix, name)


def leaf(path: str) -> str:
    """The last name of a dotted path: how a message refers to the field."""
    return path.rsplit(".", 1)[-1]


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


def explain(exc: ValidationError, *, prefix: str = "", paths: FieldPaths | None = None) -> EventProblem:
    """Turn pydantic's errors for one event into our first problem.

    ``paths`` gives the client's paths where they differ from ours (the Segment endpoints: ``user_id`` ->
    ``batch[2].userId``); other fields are ``prefix.field``.
    """
    errors = exc.errors(include_url=False, include_context=False)
    first = errors[0]
    code = PYDANTIC_ERROR_CODES.get(first["type"], EventErrorCode.INVALID_VALUE)
    more = len(errors) - 1
    suffix = f" ({more} more problem{'s' if more > 1 else ''} in this event)" if more else ""
    if code is EventErrorCode.MISSING_IDENTITY:
        field = field_path("user_id", prefix=prefix, paths=paths)
        other = field_path("anonymous_id", prefix=prefix, paths=paths)
        return EventProblem(code, field, f"{leaf(field)} or {leaf(other)} {first['msg']}{suffix}")
    if not first["loc"]:  # a model-level error other than the identity rule: about the event as a whole
        return EventProblem(code, prefix or None, f"the event {first['msg']}{suffix}")
    name = str(first["loc"][0])
    field = field_path(name, prefix=prefix, paths=paths)
    field += "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"][1:])
    return EventProblem(code, field, f"{leaf(field)} {_detail(code, name, first)}{suffix}")


def _detail(code: EventErrorCode, name: str, error: ErrorDetails) -> str:
    rule = FIELD_RULES.get(name, "valid")
    if error["type"] in ("invalid_type", "invalid_value"):  # ours: the message is already written for people
        return error["msg"]
    if code is EventErrorCode.MISSING_FIELD:
        return f"is required: it must be {rule}"
    if code is EventErrorCode.UNKNOWN_FIELD:
        return "is not a field of this API; put custom data in properties (the event) or context (its source)"
    if code is EventErrorCode.INVALID_TYPE:
        return f"must be {rule}, not {json_type(error['input'])}"
    value = error["input"]
    if error["type"] == "string_pattern_mismatch" and isinstance(value, str) and value.startswith("$"):
        return f"must not start with '$' unless it is a system type ({', '.join(SYSTEM_EVENT_TYPES)})"
    return f"must be {rule} ({error['msg'][0].lower()}{error['msg'][1:]})"
