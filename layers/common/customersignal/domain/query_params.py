"""Query-string parsing for read routes: every refusal is a 400 that names the parameter and says why."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from customersignal.domain.errors import MalformedRequest

MAX_LIST_ITEMS = 20
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class QueryParams:
    """A read-only view of a query string with typed getters that raise ``MalformedRequest``."""

    def __init__(self, raw: Mapping[str, str] | None) -> None:
        self._raw = dict(raw or {})

    def text(self, name: str, *, max_length: int = 256) -> str | None:
        value = self._raw.get(name)
        if value is None or value == "":
            return None
        if len(value) > max_length:
            raise invalid(name, f"'{name}' is longer than {max_length} characters")
        if "\x00" in value:  # no Postgres text can hold it (domain/nul_text.py)
            raise invalid(name, f"'{name}' holds a NUL character")
        return value

    def required_text(self, name: str, *, max_length: int = 256) -> str:
        value = self.text(name, max_length=max_length)
        if value is None:
            raise MalformedRequest(code="missing_parameter", message=f"'{name}' is required", field=name)
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(name) or default
        if value is None:
            raise MalformedRequest(
                code="missing_parameter", message=f"'{name}' is required: one of {', '.join(choices)}", field=name
            )
        if value not in choices:
            raise invalid(name, f"'{name}' must be one of {', '.join(choices)} (got '{value}')")
        return value

    def names(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        """A comma-separated list of distinct names (event types), in the order given."""
        value = self.text(name, max_length=MAX_LIST_ITEMS * 130)
        items = tuple(dict.fromkeys(item.strip() for item in (value or "").split(",") if item.strip()))
        if required and not items:
            raise MalformedRequest(code="missing_parameter", message=f"'{name}' is required", field=name)
        if len(items) > MAX_LIST_ITEMS:
            raise invalid(name, f"'{name}' takes at most {MAX_LIST_ITEMS} names (got {len(items)})")
        if any(len(item) > 128 for item in items):
            raise invalid(name, f"every name in '{name}' must be at most 128 characters")
        return items

    def timestamp(self, name: str) -> datetime | None:
        value = self.text(name, max_length=64)
        return None if value is None else parse_timestamp(value, name)

    def integer(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        value = self.text(name, max_length=12)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise invalid(name, f"'{name}' must be an integer (got '{value}')") from None
        if not minimum <= number <= maximum:
            raise invalid(name, f"'{name}' must be between {minimum} and {maximum} (got {number})")
        return number

    def zone(self, name: str, default: str = "UTC") -> ZoneInfo:
        value = self.text(name, max_length=64) or default
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(name, f"'{value}' is not an IANA time zone (such as UTC or Europe/Paris)") from None


def parse_timestamp(value: str, name: str) -> datetime:
    """ISO 8601 with an offset or Z; a time without an offset is refused, never guessed."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise invalid(name, f"'{name}' must be an ISO 8601 time such as 2026-11-27T13:00:00Z (got '{value}')") from None
    if moment.tzinfo is None:
        raise invalid(name, f"'{name}' needs a UTC offset or Z, e.g. 2026-11-27T13:00:00Z (got '{value}')")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        utc = datetime.min.replace(tzinfo=UTC)
    if not EARLIEST <= utc < LATEST:  # leaves room for the range arithmetic (bucket floors, +1 h, ...)
        raise invalid(name, f"'{name}' must be between {EARLIEST:%Y} and {LATEST:%Y} (got '{value}')")
    return utc


def parse_uuid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise invalid(name, f"'{name}' must be a UUID (got '{value[:64]}')") from None


def invalid(name: str, message: str) -> MalformedRequest:
    return MalformedRequest(code=f"invalid_{name.replace('-', '_')}", message=message, field=name)
