"""Property filters shared by trends, funnels and alerts: ``{"property": "plan", "op": "eq", "value": "pro"}``.

One parser for every caller, so a filter means the same thing on every route. Refusals are 422s that name
the filter's field (``filter[0].op``) and the reason. The SQL lives in adapters/pg_property_filters.py, where
property names and values are only ever bind parameters.

Meaning of each op (the same on raw events and on rollups):
- ``eq`` / ``neq``: JSON equality (``1`` equals ``1.0``; ``"1"`` is not ``1``). ``neq`` also matches events
  where the property is unset, as the peers' "is not" does.
- ``in``: equal to one of the listed values (1..100 of them).
- ``contains``: a string property holding ``value`` as a case-insensitive substring.
- ``is_set`` / ``is_not_set``: present with a value other than JSON null / absent or null. Rollups store an
  unset property as null, so the two cannot be told apart there, and are not told apart here either.
- ``gt`` / ``lt``: a JSON-number property strictly above / below ``value``; other types never match.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, cast

import orjson

from customersignal.domain.errors import Unprocessable
from customersignal.domain.nul_text import holds_nul

FilterOp = Literal["eq", "neq", "in", "contains", "is_set", "is_not_set", "gt", "lt"]
Scalar = str | int | float | bool

OPS: Final[tuple[FilterOp, ...]] = ("eq", "neq", "in", "contains", "is_set", "is_not_set", "gt", "lt")
NO_VALUE_OPS: Final = frozenset({"is_set", "is_not_set"})
MAX_FILTERS: Final = 5
MAX_IN_VALUES: Final = 100
MAX_PROPERTY_CHARS: Final = 255
MAX_STRING_CHARS: Final = 1024
MAX_FILTER_JSON_CHARS: Final = 8192
_KEYS: Final = frozenset({"property", "op", "value"})


@dataclass(frozen=True)
class PropertyFilter:
    """One validated condition. ``value`` is None for is_set/is_not_set, a tuple for ``in``, a float or int
    for gt/lt, a string for ``contains`` and a scalar for eq/neq."""

    property: str
    op: FilterOp
    value: Scalar | tuple[Scalar, ...] | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"property": self.property, "op": self.op}
        if self.op not in NO_VALUE_OPS:
            out["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        return out


def parse_filter_params(values: Sequence[str], field: str = "filter") -> tuple[PropertyFilter, ...]:
    """The query-string form: each ``filter=`` value one JSON object (already URL-decoded)."""
    _check_count(len(values), field)
    parsed: list[object] = []
    for index, text in enumerate(values):
        name = f"{field}[{index}]"
        if len(text) > MAX_FILTER_JSON_CHARS:
            raise _refuse(name, f"'{name}' is longer than {MAX_FILTER_JSON_CHARS} characters")
        try:
            parsed.append(orjson.loads(text))
        except orjson.JSONDecodeError:
            raise _refuse(
                name, f'\'{name}\' must be a JSON object such as {{"property":"plan","op":"eq","value":"pro"}}'
            ) from None
    return parse_filters(parsed, field)


def parse_filters(raw: object, field: str = "filters") -> tuple[PropertyFilter, ...]:
    """A JSON array of filter objects (the body form, e.g. in an alert rule or a funnel step)."""
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise _refuse(field, f"'{field}' must be an array of filter objects")
    _check_count(len(raw), field)
    return tuple(parse_filter(item, f"{field}[{index}]") for index, item in enumerate(raw))


def parse_filter(raw: object, field: str) -> PropertyFilter:
    if not isinstance(raw, dict):
        raise _refuse(field, f"'{field}' must be an object with 'property', 'op' and 'value'")
    extra = sorted(str(key) for key in raw if key not in _KEYS)
    if extra:
        raise _refuse(field, f"'{field}' has unknown keys: {', '.join(extra)}")
    prop = parse_property_name(raw.get("property"), f"{field}.property")
    op_field = f"{field}.op"
    op = raw.get("op")
    if op not in OPS:
        got = "nothing" if op is None else f"'{str(op)[:32]}'"
        raise _refuse(op_field, f"'{op_field}' must be one of {', '.join(OPS)} (got {got})")
    op = cast(FilterOp, op)
    value_field = f"{field}.value"
    if op in NO_VALUE_OPS:
        if "value" in raw:
            raise _refuse(value_field, f"'{op}' takes no 'value'")
        return PropertyFilter(prop, op)
    if "value" not in raw:
        raise _refuse(value_field, f"'{op}' needs a 'value'")
    return PropertyFilter(prop, op, _value(op, raw["value"], value_field))


def parse_property_name(raw: object, field: str) -> str:
    """A top-level property key: 1..255 characters, no NUL (Postgres cannot hold one)."""
    if not isinstance(raw, str) or not raw:
        raise _refuse(field, f"'{field}' must be a non-empty string (a top-level property name)")
    if len(raw) > MAX_PROPERTY_CHARS:
        raise _refuse(field, f"'{field}' is longer than {MAX_PROPERTY_CHARS} characters")
    if "\x00" in raw:
        raise _refuse(field, f"'{field}' holds a NUL character, which no stored property can")
    return raw


def _value(op: FilterOp, raw: object, field: str) -> Scalar | tuple[Scalar, ...]:
    if op in ("gt", "lt"):
        return _number(raw, field)
    if op == "contains":
        if not isinstance(raw, str) or not raw:
            raise _refuse(field, f"'contains' needs a non-empty string 'value' (got {_kind(raw)})")
        return _string(raw, field)
    if op == "in":
        if not isinstance(raw, list) or not raw:
            raise _refuse(field, f"'in' needs a non-empty array 'value' (got {_kind(raw)})")
        if len(raw) > MAX_IN_VALUES:
            raise _refuse(field, f"'in' takes at most {MAX_IN_VALUES} values (got {len(raw)})")
        return tuple(dict.fromkeys(_scalar(item, f"{field}[{index}]") for index, item in enumerate(raw)))
    return _scalar(raw, field)


def _scalar(raw: object, field: str) -> Scalar:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return _number(raw, field)
    if isinstance(raw, str):
        return _string(raw, field)
    if raw is None:
        raise _refuse(field, f"'{field}' is null: use the op is_not_set (or is_set) instead")
    raise _refuse(field, f"'{field}' must be a string, number or boolean (got {_kind(raw)})")


def _number(raw: object, field: str) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _refuse(field, f"'{field}' must be a number (got {_kind(raw)})")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise _refuse(field, f"'{field}' must be a finite number")
    if isinstance(raw, int) and abs(raw) > 10**300:  # Postgres numeric in jsonb holds it; keep it sane
        raise _refuse(field, f"'{field}' is too large")
    return raw


def _string(raw: str, field: str) -> str:
    if len(raw) > MAX_STRING_CHARS:
        raise _refuse(field, f"'{field}' is longer than {MAX_STRING_CHARS} characters")
    if "\x00" in raw or holds_nul(orjson.dumps(raw)):
        raise _refuse(field, f"'{field}' holds a NUL character, which no stored property can")
    return raw


def _check_count(count: int, field: str) -> None:
    if count > MAX_FILTERS:
        raise _refuse(field, f"at most {MAX_FILTERS} filters (got {count})")


def _kind(raw: object) -> str:
    if raw is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(raw), "an object"
    )


def _refuse(field: str, message: str) -> Unprocessable:
    return Unprocessable(code="invalid_filter", message=message, field=field)
