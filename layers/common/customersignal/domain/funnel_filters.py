"""Property filters as the insights design's shared contract defines them, parsed for funnel steps. Pure.

A filter is ``{"property": name, "op": OP, "value": V}``; up to 5 per step, ANDed. The contract names one
shared parser (``domain/property_filters.py``, owned by the insights API); it was not on main when funnels
were built, so this module implements the same contract and should give way to it once it lands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from customersignal.domain.errors import Unprocessable

Op = Literal["eq", "neq", "in", "contains", "is_set", "is_not_set", "gt", "lt"]
OPS: tuple[Op, ...] = ("eq", "neq", "in", "contains", "is_set", "is_not_set", "gt", "lt")
MAX_FILTERS = 5
MAX_IN_VALUES = 100
MAX_PROPERTY_CHARS = 255
MAX_TEXT_CHARS = 1024
Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class PropertyFilter:
    property: str
    op: Op
    value: Scalar | tuple[Scalar, ...] = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"property": self.property, "op": self.op}
        if self.op not in ("is_set", "is_not_set"):
            body["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        return body


def parse_filters(raw: object, field: str) -> tuple[PropertyFilter, ...]:
    """``raw`` is the decoded JSON list; ``field`` prefixes every error's field (``step[0].filters``)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise bad(field, "must be a list of filter objects")
    if len(raw) > MAX_FILTERS:
        raise bad(field, f"takes at most {MAX_FILTERS} filters (got {len(raw)})")
    return tuple(parse_filter(item, f"{field}[{index}]") for index, item in enumerate(raw))


def parse_filter(raw: object, field: str) -> PropertyFilter:
    if not isinstance(raw, dict):
        raise bad(field, 'must be an object such as {"property": "plan", "op": "eq", "value": "pro"}')
    unknown = sorted(set(raw) - {"property", "op", "value"})
    if unknown:
        raise bad(f"{field}.{unknown[0]}", "is not a filter field (property, op, value)")
    name = raw.get("property")
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_PROPERTY_CHARS or "\x00" in name:
        raise bad(f"{field}.property", f"must be a property name of 1 to {MAX_PROPERTY_CHARS} characters")
    op = raw.get("op")
    if op not in OPS:
        raise bad(f"{field}.op", f"must be one of {', '.join(OPS)} (got {op!r})")
    return PropertyFilter(name, op, _value(op, raw, f"{field}.value"))


def _value(op: Op, raw: dict[str, Any], field: str) -> Scalar | tuple[Scalar, ...]:
    if op in ("is_set", "is_not_set"):
        if "value" in raw:
            raise bad(field, f"'{op}' takes no value")
        return None
    if "value" not in raw:
        raise bad(field, f"'{op}' needs a value")
    value = raw["value"]
    if op in ("gt", "lt"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise bad(field, f"'{op}' compares numbers: the value must be a finite number")
        return value
    if op == "contains":
        if not isinstance(value, str) or not value or len(value) > MAX_TEXT_CHARS or "\x00" in value:
            raise bad(field, f"'contains' needs a non-empty string of at most {MAX_TEXT_CHARS} characters")
        return value
    if op == "in":
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_IN_VALUES:
            raise bad(field, f"'in' needs a non-empty array of at most {MAX_IN_VALUES} values")
        return tuple(_scalar(item, f"{field}[{index}]") for index, item in enumerate(value))
    return _scalar(value, field)


def _scalar(value: object, field: str) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        raise bad(field, "must be a finite number")
    if isinstance(value, str) and (len(value) > MAX_TEXT_CHARS or "\x00" in value):
        raise bad(field, f"must be a string of at most {MAX_TEXT_CHARS} characters, without NUL")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise bad(field, "must be a string, number, boolean or null")


def bad(field: str, reason: str) -> Unprocessable:
    return Unprocessable(code="invalid_filter", message=f"'{field}' {reason}", field=field)
