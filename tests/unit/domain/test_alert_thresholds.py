"""Threshold rules against what their metric can be: a count or unique users is never below 0, so a negative
threshold (or "below 0") could never fire and is refused naming the metric; a sum, average, minimum or maximum
of a property can be negative (refunds), so any finite threshold is a rule."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from customersignal.domain.alert_conditions import WindowObservation, evaluate
from customersignal.domain.alert_rule_conditions import ThresholdCondition, threshold_refusal
from customersignal.domain.alert_rules import parse_rule
from customersignal.domain.errors import MalformedRequest

pytestmark = pytest.mark.unit


def body(metric: str, operator: str, value: Any) -> bytes:
    rule: dict[str, Any] = {
        "name": "refunds",
        "event_type": "checkout",
        "metric": metric,
        "window_seconds": 3600,
        "condition": {"kind": "threshold", "operator": operator, "value": value},
    }
    if metric in ("sum", "avg", "min", "max"):
        rule["property"] = "amount"
    return orjson.dumps(rule)


@pytest.mark.parametrize(
    ("metric", "operator", "value", "words"),
    [
        ("count", "above", -1, "at least 0 with metric count: count is never below 0"),
        ("count", "below", -0.5, "at least 0 with metric count"),
        ("unique_users", "above", -3, "at least 0 with metric unique_users: unique_users is never below 0"),
        ("count", "below", 0, "above 0 for 'below' with metric count"),
        ("unique_users", "below", 0, "above 0 for 'below' with metric unique_users"),
    ],
)
def test_a_count_threshold_that_can_never_fire_is_a_400_naming_the_metric(
    metric: str, operator: str, value: float, words: str
) -> None:
    with pytest.raises(MalformedRequest) as refused:
        parse_rule(body(metric, operator, value))
    assert (refused.value.code, refused.value.field) == ("invalid_value", "condition.value")
    assert refused.value.message.startswith(f"condition.value must be {words}"), refused.value.message


@pytest.mark.parametrize(
    ("metric", "operator", "value"),
    [
        ("sum", "below", -100),  # refunds outweigh sales in the hour
        ("sum", "above", -50.5),
        ("avg", "below", -10),
        ("min", "below", -1000),
        ("max", "above", -1),
        ("sum", "below", 0),  # a net negative hour: below 0 can fire for a sum
        ("avg", "below", 0),
        ("min", "above", 0),
        ("count", "above", 0),  # the counts' own edges still pass: at least one event
        ("count", "below", 1),  # none at all
        ("unique_users", "above", 0),
    ],
)
def test_a_threshold_the_metric_can_cross_is_a_rule(metric: str, operator: str, value: float) -> None:
    spec = parse_rule(body(metric, operator, value))
    assert spec.condition == ThresholdCondition(kind="threshold", operator=operator, value=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_threshold_is_finite_whatever_the_metric(value: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        ThresholdCondition.model_validate({"kind": "threshold", "operator": "below", "value": value})


@pytest.mark.parametrize("metric", ["sum", "avg", "min", "max"])
def test_no_threshold_is_refused_for_a_numeric_metric(metric: str) -> None:
    for operator in ("above", "below"):
        for value in (-1e12, -1.0, 0.0, 1.0):
            condition = ThresholdCondition(kind="threshold", operator=operator, value=value)
            assert threshold_refusal(metric, condition) is None


def test_a_negative_sum_threshold_fires_on_a_net_refund_and_not_above_it() -> None:
    spec = parse_rule(body("sum", "below", -100))
    assert evaluate(spec.condition, WindowObservation(current=-150.0)).state == "breach"
    assert evaluate(spec.condition, WindowObservation(current=-100.0)).state == "ok"  # strict, as every threshold
