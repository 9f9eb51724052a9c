"""Alert rules: the body of create/replace and patch, every refusal naming its field, and the DB columns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from customersignal.domain.alert_rule_conditions import (
    AbsenceCondition,
    AnomalyCondition,
    AnyCondition,
    ChangeCondition,
    ThresholdCondition,
    condition_from_row,
    condition_to_parameters,
)
from customersignal.domain.alert_rules import RuleSpec, apply_patch, parse_patch, parse_rule
from customersignal.domain.errors import MalformedRequest, Unprocessable

pytestmark = pytest.mark.unit

CHANNEL = "00000000-0000-4000-8000-0000000000c1"
NULL = object()  # in ``rule(...)``: send the field as null


def rule(**fields: Any) -> dict[str, Any]:
    """A valid rule body; ``fields`` override (``None`` removes a field, ``NULL`` sends null)."""
    base: dict[str, Any] = {
        "name": "Checkout drop",
        "event_type": "Order Completed",
        "metric": "count",
        "window_seconds": 300,
        "condition": {"kind": "threshold", "operator": "below", "value": 10},
    }
    base.update(fields)
    return {key: (None if value is NULL else value) for key, value in base.items() if value is not None}


def refusal(body: object) -> MalformedRequest:
    with pytest.raises(MalformedRequest) as raised:
        parse_rule(orjson.dumps(body))
    return raised.value


def test_a_minimal_rule_gets_the_documented_defaults() -> None:
    spec = parse_rule(orjson.dumps(rule()))
    assert spec.condition == ThresholdCondition(kind="threshold", operator="below", value=10)
    assert (spec.description, spec.pending_evaluations, spec.repeat_interval_seconds) == ("", 1, None)
    assert (spec.notify_on_resolve, spec.silenced_until, spec.severity, spec.enabled) == (True, None, "warning", True)
    assert spec.channels == []


def test_a_full_rule_is_read_as_sent() -> None:
    body = rule(
        name="  Signups spike  ",
        description="why it matters",
        metric="unique_users",
        window_seconds=86_400,
        condition={"kind": "anomaly", "weeks": 8, "sensitivity": 2.5, "direction": "up", "min_baseline": 20},
        pending_evaluations=1440,
        repeat_interval_seconds=604_800,
        notify_on_resolve=False,
        silenced_until="2024-05-01T14:00:00+02:00",
        severity="critical",
        enabled=False,
        channels=[CHANNEL],
    )
    spec = parse_rule(orjson.dumps(body))
    assert spec.name == "Signups spike"  # surrounding spaces are not part of a name
    assert spec.condition == AnomalyCondition(kind="anomaly", weeks=8, sensitivity=2.5, direction="up", min_baseline=20)
    assert spec.silenced_until == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert spec.channels == [uuid.UUID(CHANNEL)]
    assert (spec.window_seconds, spec.pending_evaluations, spec.repeat_interval_seconds) == (86_400, 1440, 604_800)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param(
            {"kind": "change", "direction": "either", "mode": "percent", "value": 250},
            ChangeCondition(kind="change", direction="either", mode="percent", value=250),
            id="change: a rise may exceed 100 %",
        ),
        pytest.param({"kind": "absence"}, AbsenceCondition(kind="absence"), id="absence"),
        pytest.param(
            {"kind": "anomaly"},
            AnomalyCondition(kind="anomaly", weeks=4, sensitivity=3.0, direction="either", min_baseline=None),
            id="anomaly defaults",
        ),
        pytest.param(
            {"kind": "threshold", "operator": "above", "value": 0},
            ThresholdCondition(kind="threshold", operator="above", value=0),
            id="above 0: at least one event",
        ),
    ],
)
def test_each_condition_kind(condition: dict[str, Any], expected: AnyCondition) -> None:
    assert parse_rule(orjson.dumps(rule(condition=condition))).condition == expected


@pytest.mark.parametrize(
    ("body", "code", "field", "says"),
    [
        pytest.param(rule(name=None), "missing_field", "name", "is required", id="no name"),
        pytest.param(rule(name="   "), "invalid_value", "name", "1-200 characters", id="blank name"),
        pytest.param(rule(name="x" * 201), "invalid_value", "name", "1-200 characters", id="name too long"),
        pytest.param(rule(description="x" * 2001), "invalid_value", "description", "2000", id="long description"),
        pytest.param(rule(event_type=""), "invalid_value", "event_type", "1-128 characters", id="empty event type"),
        pytest.param(rule(event_type="a" * 129), "invalid_value", "event_type", "1-128", id="event type too long"),
        pytest.param(rule(event_type="Signup "), "invalid_value", "event_type", "not ending with a space", id="space"),
        pytest.param(rule(event_type=7), "invalid_type", "event_type", "not a number", id="event type a number"),
        pytest.param(rule(metric="median"), "invalid_value", "metric", "count, unique_users, sum", id="unknown metric"),
        pytest.param(
            rule(metric="sum"), "missing_field", "property", "required with metric sum", id="sum, no property"
        ),
        pytest.param(
            rule(property="amount"), "invalid_value", "property", "sum, avg, min or max only", id="count+prop"
        ),
        pytest.param(rule(metric="avg", property=""), "invalid_value", "property", "at least 1", id="empty property"),
        pytest.param(rule(window_seconds=None), "missing_field", "window_seconds", "300 for 5 minutes", id="no window"),
        pytest.param(rule(window_seconds=30), "invalid_value", "window_seconds", "from 60", id="window below 1 min"),
        pytest.param(rule(window_seconds=86_460), "invalid_value", "window_seconds", "86400", id="window over 24 h"),
        pytest.param(rule(window_seconds=90), "invalid_value", "window_seconds", "multiple of 60", id="90 s"),
        pytest.param(rule(window_seconds="5m"), "invalid_type", "window_seconds", "not a string", id="'5m'"),
        pytest.param(rule(window_seconds=300.0), "invalid_type", "window_seconds", "whole number", id="300.0"),
        pytest.param(rule(condition=None), "missing_field", "condition", "kind is one of", id="no condition"),
        pytest.param(rule(condition="threshold"), "invalid_type", "condition", "an object", id="condition a string"),
        pytest.param(
            rule(condition={"operator": "above", "value": 1}), "missing_field", "condition", "needs a kind", id="kind?"
        ),
        pytest.param(rule(condition={"kind": "median"}), "invalid_value", "condition", "unknown kind", id="bad kind"),
        pytest.param(
            rule(condition={"kind": "threshold", "value": 3}),
            "missing_field",
            "condition.operator",
            "above, below",
            id="threshold without operator",
        ),
        pytest.param(
            rule(condition={"kind": "threshold", "operator": "above", "value": "100"}),
            "invalid_type",
            "condition.value",
            "not a string",
            id="threshold as a string",
        ),
        pytest.param(
            rule(condition={"kind": "threshold", "operator": "above", "value": True}),
            "invalid_type",
            "condition.value",
            "not a boolean",
            id="threshold as a boolean",
        ),
        pytest.param(
            rule(condition={"kind": "change", "direction": "up", "mode": "percent", "value": 0}),
            "invalid_value",
            "condition.value",
            "> 0",
            id="change of 0",
        ),
        pytest.param(
            rule(condition={"kind": "change", "direction": "down", "mode": "percent", "value": 150}),
            "invalid_value",
            "condition.value",
            "at most 100",
            id="a drop of more than 100 %",
        ),
        pytest.param(
            rule(condition={"kind": "change", "direction": "sideways", "mode": "absolute", "value": 5}),
            "invalid_value",
            "condition.direction",
            "up, down, either",
            id="bad direction",
        ),
        pytest.param(
            rule(condition={"kind": "change", "direction": "up", "mode": "ratio", "value": 5}),
            "invalid_value",
            "condition.mode",
            "absolute, percent",
            id="bad mode",
        ),
        pytest.param(
            rule(condition={"kind": "absence", "value": 1}),
            "unknown_field",
            "condition.value",
            "takes no parameters",
            id="absence takes nothing",
        ),
        pytest.param(
            rule(condition={"kind": "threshold", "operator": "above", "value": 1, "weeks": 2}),
            "unknown_field",
            "condition.weeks",
            "it takes operator, value",
            id="a parameter of another kind",
        ),
        pytest.param(
            rule(condition={"kind": "anomaly", "weeks": 1}), "invalid_value", "condition.weeks", "2 to 12", id="1 week"
        ),
        pytest.param(
            rule(condition={"kind": "anomaly", "weeks": 13}), "invalid_value", "condition.weeks", "2 to 12", id="13"
        ),
        pytest.param(
            rule(condition={"kind": "anomaly", "sensitivity": 0.4}),
            "invalid_value",
            "condition.sensitivity",
            "0.5 to 10",
            id="sensitivity too low",
        ),
        pytest.param(
            rule(condition={"kind": "anomaly", "sensitivity": 11}),
            "invalid_value",
            "condition.sensitivity",
            "0.5 to 10",
            id="sensitivity too high",
        ),
        pytest.param(
            rule(condition={"kind": "anomaly", "min_baseline": -1}),
            "invalid_value",
            "condition.min_baseline",
            ">= 0",
            id="negative min_baseline",
        ),
        pytest.param(rule(pending_evaluations=0), "invalid_value", "pending_evaluations", "from 1", id="pending 0"),
        pytest.param(rule(pending_evaluations=1441), "invalid_value", "pending_evaluations", "1440", id="pending 1441"),
        pytest.param(
            rule(repeat_interval_seconds=59), "invalid_value", "repeat_interval_seconds", "from 60", id="repeat 59 s"
        ),
        pytest.param(
            rule(repeat_interval_seconds=604_801), "invalid_value", "repeat_interval_seconds", "604800", id="> a week"
        ),
        pytest.param(rule(notify_on_resolve="yes"), "invalid_type", "notify_on_resolve", "true or false", id="'yes'"),
        pytest.param(rule(enabled=1), "invalid_type", "enabled", "true or false", id="enabled 1"),
        pytest.param(
            rule(silenced_until="2024-05-01T12:00:00"), "invalid_value", "silenced_until", "offset", id="naive silence"
        ),
        pytest.param(rule(silenced_until="tomorrow"), "invalid_value", "silenced_until", "ISO 8601", id="'tomorrow'"),
        pytest.param(rule(severity="page"), "invalid_value", "severity", "info, warning, critical", id="severity"),
        pytest.param(rule(severity=NULL), "invalid_value", "severity", "info, warning, critical", id="null severity"),
        pytest.param(rule(channels=["nope"]), "invalid_value", "channels[0]", "a UUID", id="channel not a UUID"),
        pytest.param(rule(channels=[CHANNEL, CHANNEL]), "invalid_value", "channels", "twice", id="channel twice"),
        pytest.param(
            rule(channels=[str(uuid.UUID(int=n + 1)) for n in range(21)]),
            "invalid_value",
            "channels",
            "at most 20",
            id="21 channels",
        ),
        pytest.param(rule(channels=CHANNEL), "invalid_type", "channels", "an array", id="channels a string"),
        pytest.param(rule(threshold=5), "unknown_field", "threshold", "not a field of an alert rule", id="extra field"),
    ],
)
def test_an_invalid_rule_is_a_400_naming_the_field(body: object, code: str, field: str, says: str) -> None:
    # Given a rule body with one mistake; When it is parsed; Then the refusal names the field and what is allowed
    problem = refusal(body)
    assert (problem.code, problem.field) == (code, field)
    assert says in problem.message
    assert problem.message.startswith(field)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b"", "invalid_body", id="empty body"),
        pytest.param(b"{", "malformed_json", id="not JSON"),
        pytest.param(b"[]", "invalid_body", id="an array"),
        pytest.param(b'"rule"', "invalid_body", id="a string"),
    ],
)
def test_a_body_that_is_not_an_object_is_refused(raw: bytes, code: str) -> None:
    with pytest.raises(MalformedRequest) as raised:
        parse_rule(raw)
    assert (raised.value.code, raised.value.field) == (code, None)


def test_several_problems_report_the_first_and_count_the_rest() -> None:
    problem = refusal({"name": "x"})
    assert problem.code == "missing_field"
    assert problem.message.endswith("(3 more problems in this rule)")


@pytest.mark.parametrize(
    ("condition", "kind", "parameters"),
    [
        pytest.param(
            ThresholdCondition(kind="threshold", operator="above", value=100),
            "threshold",
            {"operator": "above", "value": 100.0},
            id="threshold",
        ),
        pytest.param(
            ChangeCondition(kind="change", direction="down", mode="percent", value=30),
            "change",
            {"direction": "down", "mode": "percent", "value": 30.0},
            id="change",
        ),
        pytest.param(AbsenceCondition(kind="absence"), "absence", {}, id="absence"),
        pytest.param(
            AnomalyCondition(kind="anomaly", weeks=6, sensitivity=2, direction="down", min_baseline=None),
            "anomaly",
            {"weeks": 6, "sensitivity": 2.0, "direction": "down", "min_baseline": None},
            id="anomaly",
        ),
    ],
)
def test_a_condition_maps_to_the_columns_and_back(
    condition: AnyCondition, kind: str, parameters: dict[str, Any]
) -> None:
    # Given a condition; When it is stored as (condition_kind, parameters) and read back; Then nothing is lost
    assert condition_to_parameters(condition) == (kind, parameters)
    assert orjson.loads(orjson.dumps(parameters)) == parameters  # a JSON object, as the jsonb CHECK wants
    assert condition_from_row(kind, parameters) == condition


def test_a_stored_row_that_no_longer_validates_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="condition_kind 'threshold'"):
        condition_from_row("threshold", {"operator": "sideways", "value": 1})
    with pytest.raises(ValueError, match="condition_kind 'median'"):
        condition_from_row("median", {})


def test_a_patch_changes_only_what_it_sends() -> None:
    spec = RuleSpec.model_validate(rule(repeat_interval_seconds=3600, silenced_until="2024-05-01T12:00:00Z"))
    patch = parse_patch(b'{"enabled": false, "silenced_until": null, "repeat_interval_seconds": null}')
    patched = apply_patch(spec, patch)
    assert (patched.enabled, patched.silenced_until, patched.repeat_interval_seconds) == (False, None, None)
    assert patched.model_dump(exclude={"enabled", "silenced_until", "repeat_interval_seconds"}) == spec.model_dump(
        exclude={"enabled", "silenced_until", "repeat_interval_seconds"}
    )


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        pytest.param(b"{}", "invalid_body", None, id="empty patch"),
        pytest.param(b'{"name": null}', "invalid_value", "name", id="null name"),
        pytest.param(b'{"enabled": null}', "invalid_value", "enabled", id="null enabled"),
        pytest.param(b'{"channels": null}', "invalid_value", "channels", id="null channels"),
        pytest.param(b'{"pending_evaluations": 0}', "invalid_value", "pending_evaluations", id="pending 0"),
        pytest.param(b'{"window_seconds": 600}', "unknown_field", "window_seconds", id="what is measured: PUT"),
        pytest.param(b'{"condition": {"kind": "absence"}}', "unknown_field", "condition", id="condition: PUT"),
        pytest.param(b'{"silenced_until": "2024-05-01"}', "invalid_value", "silenced_until", id="a date"),
        pytest.param(b"[]", "invalid_body", None, id="not an object"),
    ],
)
def test_an_invalid_patch_is_a_400(raw: bytes, code: str, field: str | None) -> None:
    with pytest.raises(MalformedRequest) as raised:
        parse_patch(raw)
    assert (raised.value.code, raised.value.field) == (code, field)


def test_a_rule_may_filter_and_sum_and_its_filters_are_stored_canonical() -> None:
    body = rule(
        metric="sum",
        property="amount",
        filters=[{"property": "plan", "op": "in", "value": ["pro", "pro", "team"]}, {"property": "x", "op": "is_set"}],
    )
    spec = parse_rule(orjson.dumps(body))
    assert (spec.metric, spec.property) == ("sum", "amount")
    assert spec.filters == [
        {"property": "plan", "op": "in", "value": ["pro", "team"]},
        {"property": "x", "op": "is_set"},
    ]
    assert parse_rule(orjson.dumps(rule())).filters == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ([{"property": "plan", "op": "like", "value": "p"}], "filters[0].op"),
        (
            [{"property": "plan", "op": "eq", "value": "p"}, {"property": "n", "op": "gt", "value": "1"}],
            "filters[1].value",
        ),
        ({"property": "plan"}, "filters"),
        ([{"property": "p", "op": "is_set"}] * 6, "filters"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(filters: object, field: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        parse_rule(orjson.dumps(rule(filters=filters)))
    assert (refused.value.code, refused.value.field) == ("invalid_filter", field)
