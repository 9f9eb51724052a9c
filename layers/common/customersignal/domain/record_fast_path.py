"""Decode an envelope the way our own producer writes it, at wire speed: orjson and a few exact checks.

The pydantic ``Envelope`` is the authority on what a record may hold. This path accepts a strict subset of
it: canonical lower-case UUIDs, ISO 8601 times of one shape, no unknown fields, nothing that needs a second
look. Anything else returns ``None`` and goes to pydantic, which accepts it (normalized) or says why not.
A unit test checks that whatever this path accepts, pydantic accepts with the same values.

Why each cut-out exists:
- ``\\u0000`` anywhere: Postgres stores NUL in neither text nor jsonb, and the escape may sit in any string;
- a run of 19 digits: orjson reads integers past 64 bits as floats, which would change the stored number;
- any other surprise (a missing field, another type, another time format): pydantic's message is the one
  a dead letter should carry.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson

from customersignal.domain.event_row import EventRow

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_TRACE_ID = re.compile(r"[0-9a-f]{32}").fullmatch
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)").fullmatch
# digits to "0", every other byte to " ": a run of 19 zeros is then a substring test (a regex scanning
# for \d{19} costs about 20 times as much)
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_NINETEEN_DIGITS = b"0" * 19
_NUL = b"\\u0000"
NULL = "\\N"  # COPY text format

ENVELOPE_FIELDS = frozenset(
    {"v", "tenant_id", "project_id", "received_at", "occurred_at", "is_late", "trace_id", "event"}
)
EVENT_FIELDS = frozenset(
    {"event_id", "event_type", "user_id", "anonymous_id", "timestamp", "sent_at", "properties", "context"}
)


def fast_row(value: bytes) -> EventRow | None:
    """The row of a canonical envelope, or ``None`` when pydantic must decide."""
    if _NUL in value or _NINETEEN_DIGITS in value.translate(_DIGITS_ONLY):
        return None
    try:
        envelope = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if type(envelope) is not dict or not envelope.keys() <= ENVELOPE_FIELDS:
        return None
    try:  # the required fields; a KeyError is pydantic's to word
        event = envelope["event"]
        tenant_id, project_id, trace_id = envelope["tenant_id"], envelope["project_id"], envelope["trace_id"]
        occurred_text, received_text = envelope["occurred_at"], envelope["received_at"]
        event_id, event_type = event["event_id"], event["event_type"]
    except (KeyError, TypeError):
        return None
    if type(event) is not dict or not event.keys() <= EVENT_FIELDS:
        return None
    is_late, version = envelope.get("is_late", False), envelope.get("v", 1)
    properties, context = event.get("properties", {}), event.get("context", {})
    if not (
        type(tenant_id) is str
        and _UUID(tenant_id) is not None
        and type(project_id) is str
        and _UUID(project_id) is not None
        and type(event_id) is str
        and _UUID(event_id) is not None
        and type(event_type) is str
        and type(trace_id) is str
        and _TRACE_ID(trace_id) is not None
        and type(is_late) is bool
        and type(version) is int
        and version == 1
        and type(properties) is dict
        and type(context) is dict
    ):
        return None
    user_id, anonymous_id = event.get("user_id"), event.get("anonymous_id")
    if not (_is_optional_text(user_id) and _is_optional_text(anonymous_id)):
        return None
    occurred_at, received_at = _time(occurred_text), _time(received_text)
    timestamp, sent_at = event.get("timestamp"), event.get("sent_at")
    client_timestamp = None if timestamp is None else _time(timestamp)
    client_sent_at = None if sent_at is None else _time(sent_at)
    if (
        occurred_at is None
        or received_at is None
        or (client_timestamp is None and timestamp is not None)
        or (client_sent_at is None and sent_at is not None)
    ):
        return None
    return EventRow(
        tenant_id,
        project_id,
        event_id,
        event_type,
        user_id,
        anonymous_id,
        occurred_at,
        received_at,
        client_timestamp,
        client_sent_at,
        is_late,
        trace_id,
        orjson.dumps(properties).decode(),
        orjson.dumps(context).decode(),
        properties,
        f"{occurred_text}\t{timestamp or NULL}\t{sent_at or NULL}\t{received_text}",
    )


def _is_optional_text(value: Any) -> bool:
    return value is None or type(value) is str


def _time(value: Any) -> datetime | None:
    if type(value) is not str or _TIME(value) is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # a month 13, a 25th hour: pydantic words the error
        return None
