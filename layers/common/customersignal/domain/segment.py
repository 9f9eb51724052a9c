"""Segment-compatible ingestion: ``/v1/track``, ``/identify``, ``/page``, ``/screen``, ``/group``, ``/alias``
and ``/v1/batch`` map each Segment message onto our event and judge it on the same per-event path as
``/v1/events`` (``IngestPlanBuilder``): same limits, same codes, same time correction.

Mapping (Segment -> ours)
    ``messageId`` -> ``event_id``: a UUID (any textual form Python's ``uuid.UUID`` reads) is used as is;
    anything else (Segment SDKs send ids like ``ajs-next-1700000000000-…``) becomes
    ``uuid5(MESSAGE_ID_NAMESPACE, messageId)``, so a retry of the same message maps to the same id and is
    deduplicated downstream. A missing ``messageId`` is rejected (``missing_field``): without it, a retry
    can't be recognised.

    ``type`` -> ``event_type``: ``track`` uses its ``event``; the other calls become ``$identify``, ``$page``,
    ``$screen``, ``$group`` and ``$alias``.

    ``properties`` (track, page, screen, alias) or ``traits`` (identify, group) -> ``properties``. The call's
    other top-level data is kept in ``properties`` under its Segment name, overriding a same-named property:
    ``name`` and ``category`` (page, screen), ``groupId`` (group), ``previousId`` (alias), and the other one of
    ``traits``/``properties`` when a client sends both. ``group`` needs ``groupId`` and ``alias`` needs
    ``previousId`` (``missing_field`` otherwise).

    ``userId`` -> ``user_id`` and ``anonymousId`` -> ``anonymous_id`` (integers become strings, as the SDKs do);
    ``timestamp`` (or, when it is absent, ``originalTimestamp``) -> ``timestamp``; ``sentAt`` -> ``sent_at``;
    ``context`` -> ``context``. A JSON ``null`` counts as absent. The 32 KB limit applies to the mapped event
    (what we store), so ignored fields don't count and an inherited batch ``context`` does.

Ignored fields (``SEGMENT_IGNORED_FIELDS``): ``integrations``, ``_metadata``, ``writeKey``, ``receivedAt``,
``originalTimestamp`` (when ``timestamp`` is present), ``channel``, ``version``, ``options``, ``projectId``.
SDKs send these; they steer Segment's own routing and carry nothing we store. Any *other* top-level field is
rejected (``unknown_field``), as on ``/v1/events``, so a typo doesn't silently lose data.

``/v1/batch`` takes ``{"batch": [...], "sentAt"?, "context"?}``; each item carries its own ``type``, and the
batch's ``sentAt`` and ``context`` apply to items that have none. Other batch-level keys (``writeKey``,
``integrations``, ``messageId`` from analytics-go, ...) are ignored. Field paths in rejections use Segment's
names: ``batch[2].messageId``, ``userId``, or ``sentAt`` for the batch-level value.

Answering Segment SDKs (``segment_response_status``): 200 when at least one event was accepted, since the SDKs
treat any 2xx as delivered and a partial retry would only duplicate the accepted ones; 400 when every event was
rejected: the SDKs do not retry a 400 (analytics-python retries only 408, 410, 429, 460 and 5xx), which is right
for data that will never become valid. The body is our ``IngestResponse`` plus Segment's ``success`` flag and,
on a 400, a top-level ``code`` and ``message`` (the SDKs log those two fields of an error body).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from customersignal.domain.auth import Principal
from customersignal.domain.errors import MalformedRequest
from customersignal.domain.events import MAX_EVENTS_PER_REQUEST, EventErrorCode, EventProblem, join_path, json_type
from customersignal.domain.ingest import (
    DEFAULT_LIMITS,
    IngestLimits,
    IngestPlan,
    IngestPlanBuilder,
    check_event_count,
    parse_body,
)
from customersignal.domain.responses import SegmentResponse

SegmentCall = Literal["track", "identify", "page", "screen", "group", "alias", "batch"]
MessageType = Literal["track", "identify", "page", "screen", "group", "alias"]
MESSAGE_TYPES: tuple[str, ...] = get_args(MessageType)

MESSAGE_ID_NAMESPACE = uuid.UUID("e4a30182-25c4-4da7-911f-53a95b2f1572")
"""Namespace of the UUIDv5 ids derived from non-UUID messageIds. Never change it: retries would stop matching."""

_UUID_TEXT_LENGTHS = frozenset({32, 36, 38, 45})  # hex, hyphenated, {braced}, urn:uuid: (what uuid.UUID reads)

SEGMENT_IGNORED_FIELDS = frozenset(
    {
        "integrations",
        "_metadata",
        "writeKey",
        "receivedAt",
        "originalTimestamp",
        "channel",
        "version",
        "options",
        "projectId",
    }
)


# -- Documentation models. They are also the list of fields each call accepts (``_ACCEPTED``); the values
# -- themselves are validated by ``IncomingEvent`` after the mapping, never by these models.


class _SegmentMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    messageId: str = Field(description="Unique per message; a retry must reuse it. Becomes event_id.")
    userId: str | int | None = Field(default=None, description="Becomes user_id; this or anonymousId.")
    anonymousId: str | int | None = Field(default=None, description="Becomes anonymous_id; this or userId.")
    timestamp: AwareDatetime | None = Field(default=None, description="When it happened (client clock).")
    sentAt: AwareDatetime | None = Field(default=None, description="When it was sent (same clock).")
    context: dict[str, Any] | None = Field(default=None, description="Becomes context.")
    originalTimestamp: AwareDatetime | None = Field(default=None, description="Used when timestamp is absent.")
    integrations: dict[str, Any] | None = Field(default=None, description="Ignored.")
    metadata: dict[str, Any] | None = Field(default=None, alias="_metadata", description="Ignored.")
    writeKey: str | None = Field(default=None, description="Ignored (authenticate with the header).")
    receivedAt: AwareDatetime | None = Field(default=None, description="Ignored: the server sets it.")
    channel: str | None = Field(default=None, description="Ignored.")
    version: int | str | None = Field(default=None, description="Ignored.")
    options: dict[str, Any] | None = Field(default=None, description="Ignored.")
    projectId: str | None = Field(default=None, description="Ignored.")


class SegmentTrack(_SegmentMessage):
    """A Segment track call: ``event`` becomes the event_type."""

    type: Literal["track"] | None = Field(default=None, description="Required in a batch item.")
    event: str = Field(description="The event name; same rules as event_type.")
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = Field(default=None, description="Kept as properties.traits.")


class SegmentIdentify(_SegmentMessage):
    """A Segment identify call: event_type ``$identify``; traits become the properties."""

    type: Literal["identify"] | None = Field(default=None, description="Required in a batch item.")
    traits: dict[str, Any] | None = None
    properties: dict[str, Any] | None = Field(default=None, description="Kept as properties.properties.")


class SegmentPage(_SegmentMessage):
    """A Segment page call: event_type ``$page``; name and category are kept in properties."""

    type: Literal["page"] | None = Field(default=None, description="Required in a batch item.")
    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = Field(default=None, description="Kept as properties.traits.")


class SegmentScreen(_SegmentMessage):
    """A Segment screen call: event_type ``$screen``; name and category are kept in properties."""

    type: Literal["screen"] | None = Field(default=None, description="Required in a batch item.")
    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = Field(default=None, description="Kept as properties.traits.")


class SegmentGroup(_SegmentMessage):
    """A Segment group call: event_type ``$group``; traits become the properties, plus groupId."""

    type: Literal["group"] | None = Field(default=None, description="Required in a batch item.")
    groupId: str | int = Field(description="Kept as properties.groupId.")
    traits: dict[str, Any] | None = None
    properties: dict[str, Any] | None = Field(default=None, description="Kept as properties.properties.")


class SegmentAlias(_SegmentMessage):
    """A Segment alias call: event_type ``$alias``; previousId is kept in properties."""

    type: Literal["alias"] | None = Field(default=None, description="Required in a batch item.")
    previousId: str | int = Field(description="Kept as properties.previousId.")
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = Field(default=None, description="Kept as properties.traits.")


SegmentMessage = SegmentTrack | SegmentIdentify | SegmentPage | SegmentScreen | SegmentGroup | SegmentAlias


class SegmentBatch(BaseModel):
    """The body of /v1/batch. Keys other than batch, sentAt and context are ignored."""

    model_config = ConfigDict(extra="allow")

    batch: list[SegmentMessage] = Field(
        min_length=1, max_length=MAX_EVENTS_PER_REQUEST, description="Each item has its own type."
    )
    sentAt: AwareDatetime | None = Field(default=None, description="For items without their own sentAt.")
    context: dict[str, Any] | None = Field(default=None, description="For items without their own context.")


MESSAGE_MODELS: Mapping[str, type[_SegmentMessage]] = {
    "track": SegmentTrack,
    "identify": SegmentIdentify,
    "page": SegmentPage,
    "screen": SegmentScreen,
    "group": SegmentGroup,
    "alias": SegmentAlias,
}

_ACCEPTED: Mapping[str, frozenset[str]] = {
    kind: frozenset(info.alias or name for name, info in model.model_fields.items())
    for kind, model in MESSAGE_MODELS.items()
}
_PAYLOAD = {"track": "properties", "page": "properties", "screen": "properties", "alias": "properties"}
_KEPT_IN_PROPERTIES: Mapping[str, tuple[str, ...]] = {
    "track": ("traits",),
    "identify": ("properties",),
    "page": ("name", "category", "traits"),
    "screen": ("name", "category", "traits"),
    "group": ("groupId", "properties"),
    "alias": ("previousId", "traits"),
}
_REQUIRED: Mapping[str, tuple[str, ...]] = {"group": ("groupId",), "alias": ("previousId",)}
_OUR_NAMES = {
    "event_id": "messageId",
    "user_id": "userId",
    "anonymous_id": "anonymousId",
    "timestamp": "timestamp",
    "sent_at": "sentAt",
    "context": "context",
}


class SegmentPaths:
    """Our field names -> the client's Segment paths, for one message (``FieldPaths``)."""

    __slots__ = ("_overrides", "_payload", "_prefix", "_type")

    def __init__(self, prefix: str, kind: str, overrides: dict[str, str] | None = None) -> None:
        self._prefix = prefix
        self._type = kind
        self._payload = _PAYLOAD.get(kind, "traits")
        self._overrides = overrides

    def get(self, name: str, /) -> str | None:
        if self._overrides is not None and name in self._overrides:
            return self._overrides[name]
        if name == "properties":
            return join_path(self._prefix, self._payload)
        if name == "event_type":
            return join_path(self._prefix, "event" if self._type == "track" else "type")
        segment_name = _OUR_NAMES.get(name)
        return join_path(self._prefix, segment_name) if segment_name else None


def event_id_for(message_id: str) -> uuid.UUID:
    """The event_id of a Segment messageId: the UUID itself, or a UUIDv5 derived from the string."""
    if len(message_id) in _UUID_TEXT_LENGTHS:  # skip the costly failed parse for ids like "ajs-next-…"
        try:
            return uuid.UUID(message_id)
        except ValueError:
            pass
    return uuid.uuid5(MESSAGE_ID_NAMESPACE, message_id)


def plan_segment(
    body: bytes,
    *,
    call: SegmentCall,
    principal: Principal,
    received_at: datetime,
    trace_id: str,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> IngestPlan:
    """Judge a Segment request's messages; raise a ``DomainError`` for whole-request problems."""
    document = parse_body(body, limits)
    builder = IngestPlanBuilder(principal=principal, received_at=received_at, trace_id=trace_id, limits=limits)
    if call != "batch":
        _add(builder, 0, document, prefix="", endpoint=call, shared={})
        return builder.build()
    items = document.get("batch")
    if not isinstance(items, list):
        problem = "is missing" if items is None else f"must be an array of messages, not {json_type(items)}"
        raise MalformedRequest(code="invalid_body", message=f'batch {problem}: send {{"batch": [...]}}', field="batch")
    check_event_count(len(items), limits, field="batch")
    shared = {key: document[key] for key in ("sentAt", "context") if document.get(key) is not None}
    for index, item in enumerate(items):
        _add(builder, index, item, prefix=f"batch[{index}]", endpoint=None, shared=shared)
    return builder.build()


def segment_response_status(plan: IngestPlan) -> int:
    """200 when at least one event was accepted, 400 when all were rejected (see the module docstring)."""
    return 200 if plan.accepted else 400


def segment_response_body(plan: IngestPlan, request_id: str, trace_id: str) -> dict[str, Any]:
    """Our per-event results plus Segment's ``success`` flag (and ``code``/``message`` when all were rejected)."""
    code: str | None = None
    message: str | None = None
    if not plan.accepted and plan.results:
        first = plan.results[0]
        code = str(first.code) if first.code is not None else None
        message = f"every event was rejected ({len(plan.results)}); the first: {first.message}"
    response = SegmentResponse(
        request_id=request_id,
        trace_id=trace_id,
        accepted=plan.accepted,
        rejected=plan.rejected,
        results=plan.results,
        success=plan.accepted > 0,
        code=code,
        message=message,
    )
    return response.model_dump(mode="json")


def _add(
    builder: IngestPlanBuilder,
    index: int,
    item: object,
    *,
    prefix: str,
    endpoint: MessageType | None,
    shared: Mapping[str, Any],
) -> None:
    mapped = _map(item, prefix=prefix, endpoint=endpoint, shared=shared)
    if isinstance(mapped, tuple):
        event, paths = mapped
        builder.add(index, event, prefix=prefix, paths=paths)
        return
    problem, event_id = mapped.problem, mapped.event_id
    builder.reject(index, problem.code, problem.field, problem.message, event_id=event_id)


class _Refused:
    __slots__ = ("event_id", "problem")

    def __init__(self, problem: EventProblem, event_id: str | None = None) -> None:
        self.problem = problem
        self.event_id = event_id


def _map(
    item: object, *, prefix: str, endpoint: MessageType | None, shared: Mapping[str, Any]
) -> tuple[dict[str, Any], SegmentPaths] | _Refused:
    """One Segment message -> our event dict and its paths, or the reason it can't be mapped."""
    if not isinstance(item, dict):
        return _refuse(EventErrorCode.NOT_AN_OBJECT, prefix, f"a message must be a JSON object, not {json_type(item)}")
    kind = _message_type(item, prefix, endpoint)
    if isinstance(kind, _Refused):
        return kind
    message_id = item.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        code, message = _message_id_problem(message_id)
        return _refuse(code, join_path(prefix, "messageId"), message)
    event_id = event_id_for(message_id)
    problem = _field_problem(item, prefix, kind)
    if problem is not None:
        return _Refused(problem, str(event_id))
    return _event(item, kind, event_id, shared), _paths(item, prefix, kind, shared)


def _message_type(item: dict[str, Any], prefix: str, endpoint: MessageType | None) -> MessageType | _Refused:
    declared = item.get("type")
    path = join_path(prefix, "type")
    if endpoint is not None:
        if declared is None or declared == endpoint:
            return endpoint
        return _refuse(
            EventErrorCode.INVALID_VALUE, path, f"type is {declared!r} but this endpoint takes {endpoint} messages"
        )
    if declared is None:
        return _refuse(
            EventErrorCode.MISSING_FIELD, path, f"type is required in a batch: one of {', '.join(MESSAGE_TYPES)}"
        )
    if declared not in MESSAGE_TYPES:
        return _refuse(
            EventErrorCode.INVALID_VALUE, path, f"type must be one of {', '.join(MESSAGE_TYPES)}, not {declared!r}"
        )
    kind: MessageType = declared
    return kind


def _message_id_problem(value: object) -> tuple[EventErrorCode, str]:
    if value is None:
        return (
            EventErrorCode.MISSING_FIELD,
            "messageId is required: it identifies the message, so retries can be recognised",
        )
    if not isinstance(value, str):
        return EventErrorCode.INVALID_TYPE, f"messageId must be a string, not {json_type(value)}"
    return EventErrorCode.INVALID_VALUE, "messageId must not be empty"


def _field_problem(item: dict[str, Any], prefix: str, kind: str) -> EventProblem | None:
    accepted = _ACCEPTED[kind]
    for key in item:
        if key not in accepted:
            return EventProblem(
                EventErrorCode.UNKNOWN_FIELD,
                join_path(prefix, key),
                f"{key} is not a field of a Segment {kind} message; custom data goes in "
                f"{_PAYLOAD.get(kind, 'traits')} or context",
            )
    for key in _REQUIRED.get(kind, ()):
        if item.get(key) is None:
            return EventProblem(
                EventErrorCode.MISSING_FIELD, join_path(prefix, key), f"{key} is required in a {kind} call"
            )
    return None


def _event(item: dict[str, Any], kind: str, event_id: uuid.UUID, shared: Mapping[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {"event_id": event_id, "properties": _properties(item, kind)}
    event_type = item.get("event") if kind == "track" else f"${kind}"
    if event_type is not None:
        event["event_type"] = event_type
    for ours, theirs in (("user_id", "userId"), ("anonymous_id", "anonymousId")):
        value = item.get(theirs)
        if value is not None:
            event[ours] = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    timestamp = item.get("timestamp")
    if timestamp is None:
        timestamp = item.get("originalTimestamp")
    if timestamp is not None:
        event["timestamp"] = timestamp
    for ours, theirs in (("sent_at", "sentAt"), ("context", "context")):
        value = item.get(theirs)
        if value is None:
            value = shared.get(theirs)
        if value is not None:
            event[ours] = value
    return event


def _properties(item: dict[str, Any], kind: str) -> object:
    payload = item.get(_PAYLOAD.get(kind, "traits"))
    kept = {key: item[key] for key in _KEPT_IN_PROPERTIES[kind] if item.get(key) not in (None, {})}
    if payload is None:
        return kept
    if kept and isinstance(payload, dict):
        return {**payload, **kept}
    return payload  # a non-object payload is left for IncomingEvent to reject, with its Segment path


def _paths(item: dict[str, Any], prefix: str, kind: str, shared: Mapping[str, Any]) -> SegmentPaths:
    overrides: dict[str, str] | None = None
    if item.get("timestamp") is None and item.get("originalTimestamp") is not None:
        overrides = {"timestamp": join_path(prefix, "originalTimestamp")}
    for ours, theirs in (("sent_at", "sentAt"), ("context", "context")):
        if item.get(theirs) is None and theirs in shared:
            overrides = overrides or {}
            overrides[ours] = theirs  # the batch-level value: its path has no prefix
    return SegmentPaths(prefix, kind, overrides)


def _refuse(code: EventErrorCode, field: str, message: str) -> _Refused:
    return _Refused(EventProblem(code, field or None, message))
