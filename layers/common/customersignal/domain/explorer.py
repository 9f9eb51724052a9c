"""The event explorer's and the dead-letter list's filters and keyset cursors. Pure.

A cursor is the position of the last row of a page, (occurred_at, event_id) for events and the id for
dead letters, base64url-encoded JSON. Keyset pagination, not OFFSET: a page never shifts when new
events arrive (they sort before the first page), and page N costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from customersignal.domain.nul_text import NUL_MESSAGE, holds_nul
from customersignal.domain.query_params import QueryParams, invalid, parse_timestamp, parse_uuid

DEFAULT_RANGE = timedelta(hours=24)
FUTURE_SKEW = timedelta(hours=1)  # ingestion accepts events up to an hour ahead: the default range shows them
MAX_RANGE = timedelta(days=400)
LETTER_STATUSES = ("new", "replayed", "discarded", "all")


@dataclass(frozen=True)
class EventFilter:
    start: datetime
    end: datetime
    event_types: tuple[str, ...] = ()
    user_id: str | None = None
    property_match: dict[str, Any] | None = None  # {"name": value}: properties @> this
    after: tuple[datetime, uuid.UUID] | None = None  # the last row of the previous page


@dataclass(frozen=True)
class LetterFilter:
    reason: str | None
    status: str | None  # None: every status
    after_id: int | None


def parse_event_filter(params: QueryParams, now: datetime) -> tuple[EventFilter, int]:
    end = params.timestamp("to") or now + FUTURE_SKEW
    start = params.timestamp("from") or now - DEFAULT_RANGE
    if end <= start:
        raise invalid("to", "'to' must be after 'from'")
    if end - start > MAX_RANGE:
        raise invalid("from", f"the range may span at most {MAX_RANGE.days} days")
    prop, value = params.text("property", max_length=255), params.text("value", max_length=1024)
    if (prop is None) != (value is None):
        missing = "value" if value is None else "property"
        raise invalid(missing, "'property' and 'value' go together: send both or neither")
    cursor = params.text("cursor", max_length=512)
    where = EventFilter(
        start=start,
        end=end,
        event_types=params.names("types"),
        user_id=params.text("user_id", max_length=255),
        property_match=None if prop is None else {prop: _filter_value(value or "")},
        after=None if cursor is None else decode_event_cursor(cursor),
    )
    return where, params.integer("limit", default=50, minimum=1, maximum=200)


def parse_letter_filter(params: QueryParams) -> tuple[LetterFilter, int]:
    status = params.choice("status", LETTER_STATUSES, "new")
    cursor = params.text("cursor", max_length=64)
    after = None if cursor is None else _decode(cursor).get("id")
    if cursor is not None and not isinstance(after, int):
        raise invalid("cursor", "this cursor is not one the API gave out; start from the first page")
    where = LetterFilter(params.text("reason", max_length=64), None if status == "all" else status, after)
    return where, params.integer("limit", default=50, minimum=1, maximum=200)


def event_cursor(occurred_at: datetime, event_id: uuid.UUID) -> str:
    return _encode({"at": occurred_at.isoformat(), "id": str(event_id)})


def letter_cursor(letter_id: int) -> str:
    return _encode({"id": letter_id})


def decode_event_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    data = _decode(cursor)
    try:
        return parse_timestamp(str(data["at"]), "cursor"), parse_uuid(str(data["id"]), "cursor")
    except KeyError:
        raise invalid("cursor", "this cursor is not one the API gave out; start from the first page") from None


def _filter_value(value: str) -> Any:
    """The property value to match; a 400 for one no stored property can hold, which would otherwise fail
    in the encoder (nested deeper than about 250 levels) or in Postgres (a ``\\u0000`` escape)."""
    parsed = _json_or_text(value)
    try:
        encoded = orjson.dumps(parsed)
    except orjson.JSONEncodeError:
        raise invalid("value", "'value' is nested too deeply (events take about 250 levels at most)") from None
    if holds_nul(encoded):
        raise invalid("value", f"'value' {NUL_MESSAGE}")
    return parsed


def _json_or_text(value: str) -> Any:
    """``42`` matches the number 42, ``true`` the boolean, ``"42"`` and ``abc`` strings."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        data = None
    if not isinstance(data, dict):
        raise invalid("cursor", "this cursor is not one the API gave out; start from the first page")
    return data
