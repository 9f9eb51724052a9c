"""Alert rules as the API takes them (``RuleSpec``, ``RulePatch``) and as ``alert_rules`` stores them. Pure.

A rule watches one metric of one event type over a window of whole minutes, from 1 minute to 24 hours: the
event count, unique users, or the sum, average, minimum or maximum of a numeric ``property`` (events whose
property is a JSON number). ``filters`` narrow the events watched (``domain/property_filters.py``; a bad
filter is a 422 naming ``filters[i].field``, as on the trend route). It fires on one condition:

``threshold``  the window's value is above / below ``value`` (strictly).
``change``     against the previous window of the same length: up / down / either, by at least ``value``
               (``mode`` absolute: that many; percent: that percentage of the previous window).
``absence``    no event at all in the window.
``anomaly``    outside a seasonal band: the median and MAD of the same slot in the last ``weeks`` weeks,
               ``sensitivity`` spreads wide (``domain/anomaly.py``).

Around the condition: ``pending_evaluations`` consecutive breaching evaluations before it fires (1 = at once),
``repeat_interval_seconds`` between reminders while it keeps firing (null = notify once),
``notify_on_resolve``, ``silenced_until`` (notifications off until then, states still move), ``severity`` and
the webhook ``channels`` to notify.

Why ``window_seconds`` is an integer and not "5m": the column is an integer, and one spelling leaves nothing
to normalise or compare; the 400 says how to write 5 minutes.

Which fields a PATCH may change: everything but what is measured (event type, metric, property, filters,
window, condition).
Changing those makes the rule's state and history meaningless, so they are replaced with a PUT, which
resets the state.

Every refusal is a ``MalformedRequest`` naming the first offending field as a dotted path (``condition.value``,
``channels[2]``) with a message that says what is allowed. Codes, as ``/v1/events`` uses them:
``malformed_json``, ``invalid_body`` (not a JSON object, or an empty patch), ``missing_field``, ``unknown_field``,
``invalid_type`` (a string where a number goes ...) and ``invalid_value``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from customersignal.domain.alert_rule_conditions import (
    CONDITION_KINDS,
    CONDITION_PARAMETERS,
    Condition,
    threshold_refusal,
)
from customersignal.domain.errors import MalformedRequest
from customersignal.domain.events import EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN, json_type
from customersignal.domain.property_filters import FILTER_JSON_SCHEMA, MAX_PROPERTY_CHARS, parse_filters

MIN_WINDOW_SECONDS = 60
MAX_WINDOW_SECONDS = 86_400
MAX_PENDING_EVALUATIONS = 1440
MIN_REPEAT_SECONDS = 60
MAX_REPEAT_SECONDS = 604_800  # a week: a reminder rarer than that is no reminder
MAX_CHANNELS = 20

Metric = Literal["count", "unique_users", "sum", "avg", "min", "max"]
NUMERIC_METRICS = frozenset({"sum", "avg", "min", "max"})
Severity = Literal["info", "warning", "critical"]


def _whole_minutes(seconds: int) -> int:
    if seconds % 60:
        raise PydanticCustomError(
            "invalid_value",
            "must be whole minutes: a multiple of 60 from 60 (1 minute) to 86400 (24 hours), e.g. 300 for 5 "
            "minutes (got {seconds})",
            {"seconds": seconds},
        )
    return seconds


def _distinct(channels: list[uuid.UUID]) -> list[uuid.UUID]:
    if len(set(channels)) < len(channels):
        twice = next(channel for index, channel in enumerate(channels) if channel in channels[:index])
        raise PydanticCustomError(
            "invalid_value", "lists {channel} twice; each channel may appear once", {"channel": str(twice)}
        )
    return channels


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=2000)]
EventType = Annotated[
    str, StringConstraints(min_length=1, max_length=EVENT_TYPE_MAX_LENGTH, pattern=EVENT_TYPE_PATTERN)
]
WindowSeconds = Annotated[
    StrictInt, Field(ge=MIN_WINDOW_SECONDS, le=MAX_WINDOW_SECONDS), AfterValidator(_whole_minutes)
]
PendingEvaluations = Annotated[StrictInt, Field(ge=1, le=MAX_PENDING_EVALUATIONS)]
RepeatInterval = Annotated[StrictInt, Field(ge=MIN_REPEAT_SECONDS, le=MAX_REPEAT_SECONDS)]
Channels = Annotated[list[uuid.UUID], Field(max_length=MAX_CHANNELS), AfterValidator(_distinct)]


def _filters(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The filters in their canonical form; ``parse_rule`` has refused bad ones with a 422 already, so this
    only guards rules built some other way (a stored row, a test)."""
    return [item.to_json() for item in parse_filters(raw, "filters")]


PropertyName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PROPERTY_CHARS)]
Filters = Annotated[list[Annotated[dict[str, Any], WithJsonSchema(FILTER_JSON_SCHEMA)]], AfterValidator(_filters)]


class RuleSpec(BaseModel):
    """The body of creating or replacing a rule; the defaults are what a rule gets when a field is left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    description: Description = ""
    event_type: EventType
    metric: Metric
    property: PropertyName | None = None
    filters: Filters = Field(default_factory=list)
    window_seconds: WindowSeconds
    condition: Condition
    pending_evaluations: PendingEvaluations = 1
    repeat_interval_seconds: RepeatInterval | None = None
    notify_on_resolve: StrictBool = True
    silenced_until: AwareDatetime | None = None
    severity: Severity = "warning"
    enabled: StrictBool = True
    channels: Channels = Field(default_factory=list)


class RulePatch(BaseModel):
    """A partial update: only the fields sent change. ``null`` clears ``silenced_until`` (end the silence now)
    and ``repeat_interval_seconds`` (notify once); the other fields cannot be null."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    description: Description | None = None
    pending_evaluations: PendingEvaluations | None = None
    repeat_interval_seconds: RepeatInterval | None = None
    notify_on_resolve: StrictBool | None = None
    silenced_until: AwareDatetime | None = None
    severity: Severity | None = None
    enabled: StrictBool | None = None
    channels: Channels | None = None


NULLABLE_IN_PATCH = frozenset({"silenced_until", "repeat_interval_seconds"})

# What each field must be, in words: the tail of every message about that field. Condition fields are keyed
# by kind, as pydantic locates them (``condition.<kind>.<field>``).
FIELD_RULES: Mapping[str, str] = {
    "name": "1-200 characters, not only spaces (and unique in the tenant)",
    "description": "a string of at most 2000 characters",
    "event_type": (
        "an event type name: 1-128 characters of ASCII letters, digits, space and _ . : - /, starting with a "
        "letter or digit and not ending with a space (or a system type such as $identify)"
    ),
    "metric": "one of count, unique_users, sum, avg, min, max",
    "property": "the numeric property that sum, avg, min and max read (1-255 characters); only with those",
    "filters": "an array of at most 5 property filters",
    "window_seconds": (
        "a whole number of seconds, a multiple of 60 from 60 (1 minute) to 86400 (24 hours), e.g. 300 for 5 minutes"
    ),
    "condition": "an object whose kind is one of threshold, change, absence, anomaly",
    "condition.kind": "one of threshold, change, absence, anomaly",
    "condition.threshold.operator": "one of above, below",
    "condition.threshold.value": "a number (at least 0 for count and unique_users; any for sum, avg, min, max)",
    "condition.change.direction": "one of up, down, either",
    "condition.change.mode": "one of absolute, percent",
    "condition.change.value": "a number > 0: events (absolute) or a percentage of the previous window (percent)",
    "condition.anomaly.weeks": "a whole number of past weeks from 2 to 12 (default 4)",
    "condition.anomaly.sensitivity": "a number of spreads from 0.5 to 10 (default 3; larger = fewer alerts)",
    "condition.anomaly.direction": "one of up, down, either (default either)",
    "condition.anomaly.min_baseline": "a number >= 0, or null: slots whose usual value is below it never alert",
    "pending_evaluations": "a whole number of consecutive breaching evaluations from 1 (fire at once) to 1440",
    "repeat_interval_seconds": "null (notify once) or a whole number of seconds from 60 to 604800 (a week)",
    "notify_on_resolve": "true or false",
    "silenced_until": "null or an ISO 8601 date-time with a timezone offset, such as 2024-05-01T12:00:00Z",
    "severity": "one of info, warning, critical",
    "enabled": "true or false",
    "channels": "an array of at most 20 distinct webhook endpoint ids (UUIDs)",
    "channels[]": "a webhook endpoint id (a UUID)",
}

# pydantic error type -> our code; types not listed are invalid_value
_ERROR_CODES: Mapping[str, str] = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "string_type": "invalid_type",
    "int_type": "invalid_type",
    "float_type": "invalid_type",
    "bool_type": "invalid_type",
    "list_type": "invalid_type",
    "uuid_type": "invalid_type",
    "datetime_type": "invalid_type",
    "model_type": "invalid_type",
    "model_attributes_type": "invalid_type",
    "union_tag_not_found": "missing_field",
}


def parse_rule(raw: bytes) -> RuleSpec:
    """The body of POST /v1/alerts (or PUT /v1/alerts/{id}) as a ``RuleSpec``, or a 400 naming the field."""
    data = _json_object(raw)
    parse_filters(data.get("filters"), "filters")  # a bad filter: the 422 naming filters[i].field
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        raise explain(exc) from None
    if (spec.metric in NUMERIC_METRICS) != (spec.property is not None):
        if spec.property is None:
            raise MalformedRequest("missing_field", f"property is required with metric {spec.metric}", "property")
        raise MalformedRequest("invalid_value", "property goes with metric sum, avg, min or max only", "property")
    refusal = threshold_refusal(spec.metric, spec.condition)
    if refusal is not None:
        raise MalformedRequest("invalid_value", f"condition.value {refusal}", "condition.value")
    return spec


def parse_patch(raw: bytes) -> RulePatch:
    """The body of PATCH /v1/alerts/{id}: at least one field; null only where null means something."""
    data = _json_object(raw)
    try:
        patch = RulePatch.model_validate(data)
    except ValidationError as exc:
        raise explain(exc) from None
    if not patch.model_fields_set:
        raise MalformedRequest(
            "invalid_body", f"send at least one of {', '.join(RulePatch.model_fields)}; a patch cannot be empty"
        )
    for field in sorted(patch.model_fields_set - NULLABLE_IN_PATCH):
        if getattr(patch, field) is None:
            raise MalformedRequest("invalid_value", f"{field} cannot be null: it must be {FIELD_RULES[field]}", field)
    return patch


def apply_patch(spec: RuleSpec, patch: RulePatch) -> RuleSpec:
    """The rule after ``patch``: the fields it set replace the rule's, the rest stay."""
    return spec.model_copy(update={field: getattr(patch, field) for field in patch.model_fields_set})


def explain(exc: ValidationError) -> MalformedRequest:
    """pydantic's first error as a 400 that names the field and says what it must be."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = list(first["loc"])
    rule_key = _dotted([part if isinstance(part, str) else "[]" for part in loc]).replace(".[]", "[]")
    if len(loc) >= 2 and loc[0] == "condition" and loc[1] in CONDITION_KINDS:
        del loc[1]  # pydantic puts the union member's tag in the path; the client's body has no such level
    field = _dotted(loc)
    code = _ERROR_CODES.get(first["type"], "invalid_value")
    more = len(errors) - 1
    suffix = f" ({more} more problem{'s' if more > 1 else ''} in this rule)" if more else ""
    return MalformedRequest(code, f"{field or 'the rule'} {_detail(code, rule_key, first)}{suffix}", field)


def _detail(code: str, rule_key: str, error: ErrorDetails) -> str:
    rule = FIELD_RULES.get(rule_key, "valid")
    if error["type"] == "union_tag_invalid":
        kind = str(error["input"].get("kind"))[:40]
        return f"has the unknown kind {kind!r}: kind must be {FIELD_RULES['condition.kind']}"
    if error["type"] == "union_tag_not_found":
        return f"needs a kind: {FIELD_RULES['condition.kind']}"
    if error["type"] == "invalid_value":  # ours: the message is already written for people
        return str(error["msg"])
    if code == "missing_field":
        return f"is required: it must be {rule}"
    if code == "unknown_field":
        return _unknown(rule_key)
    if code == "invalid_type":
        return f"must be {rule}, not {json_type(error['input'])}"
    if error["type"] == "string_pattern_mismatch":  # pydantic's message would quote the regular expression
        return f"must be {rule}"
    return f"must be {rule} ({error['msg'][0].lower()}{error['msg'][1:]})"


def _unknown(rule_key: str) -> str:
    parts = rule_key.split(".")
    if parts[0] == "condition" and len(parts) == 3:
        allowed = CONDITION_PARAMETERS[parts[1]]
        takes = f"it takes {', '.join(allowed)}" if allowed else "it takes no parameters"
        article = "an" if parts[1][0] in "aeiou" else "a"
        return f"is not a parameter of {article} {parts[1]} condition: {takes}"
    return f"is not a field of an alert rule: the fields are {', '.join(RuleSpec.model_fields)}"


def _dotted(loc: list[int | str]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError:
        raise MalformedRequest("malformed_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedRequest("invalid_body", f"the body must be a JSON object, not {json_type(data)}")
    return data
