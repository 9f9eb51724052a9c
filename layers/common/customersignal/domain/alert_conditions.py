"""Whether one evaluated window breaches a rule's condition. Pure: the evaluator reads the numbers, this judges.

The answer is a ``Verdict``: ``breach``, ``ok`` or ``nodata``, with the observed value and what was expected
as a JSON-ready object (it becomes ``alert_history.observed_value`` / ``expected`` and the notification).

``nodata`` means "cannot judge", never "zero": ``current`` is ``None`` when the window is not complete by the
tenant's freshness watermark, so a lagging pipeline turns a rule NODATA instead of firing a false drop or a
false absence. A complete window with no events is ``0.0``, and that *is* data.

Per condition:

threshold  above: current > value; below: current < value (strict: "above 100" does not fire at 100).
change     against the previous window of the same length, by at least ``value`` (inclusive: "up by 50 %"
           fires at exactly +50 %). ``previous`` is ``None`` when that window cannot be read (it predates the
           data) -> nodata. Percent against a previous window of 0: any rise from nothing is an unbounded
           increase, so "up" and "either" breach when current > 0, and "down" never breaches (nothing to
           drop from); ``expected`` then has no ``change`` (it would be infinite, which JSON cannot hold).
absence    current == 0.
anomaly    outside the seasonal band of ``history`` (``domain/anomaly.py``); fewer than ``MIN_HISTORY`` weeks
           of history -> nodata with reason ``insufficient_history`` (a new tenant's rule waits two weeks
           rather than guess); a median below ``min_baseline`` -> ok with reason ``below_min_baseline``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from customersignal.domain.alert_rule_conditions import (
    AbsenceCondition,
    AnomalyCondition,
    AnyCondition,
    ChangeCondition,
    ThresholdCondition,
)
from customersignal.domain.anomaly import MIN_HISTORY, band, is_anomalous, seasonal_baseline

VerdictState = Literal["breach", "ok", "nodata"]
Expected = dict[str, float | str]


@dataclass(frozen=True, slots=True)
class WindowObservation:
    """The numbers of one evaluation. ``current``: the evaluated window (``None`` = not complete yet);
    ``previous``: the window just before it, same length (change rules); ``history``: the same slot in each
    past week, oldest first (anomaly rules use the last ``weeks`` of them)."""

    current: float | None
    previous: float | None = None
    history: Sequence[float] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    state: VerdictState
    observed: float | None
    expected: Expected


def evaluate(condition: AnyCondition, observation: WindowObservation) -> Verdict:
    """Judge one window. Every kind answers nodata when the window itself is incomplete."""
    if observation.current is None:
        return Verdict("nodata", None, {**_describe(condition), "reason": "window_incomplete"})
    current = observation.current
    match condition:
        case ThresholdCondition():
            return _threshold(condition, current)
        case ChangeCondition():
            return _change(condition, current, observation.previous)
        case AbsenceCondition():
            return _verdict(current == 0, current, _describe(condition))
        case AnomalyCondition():
            return _anomaly(condition, current, observation.history)


def _threshold(condition: ThresholdCondition, current: float) -> Verdict:
    crossed = current > condition.value if condition.operator == "above" else current < condition.value
    return _verdict(crossed, current, _describe(condition))


def _change(condition: ChangeCondition, current: float, previous: float | None) -> Verdict:
    expected = _describe(condition)
    if previous is None:
        return Verdict("nodata", current, {**expected, "reason": "previous_window_unavailable"})
    expected["previous"] = previous
    delta = current - previous
    if condition.mode == "percent":
        if previous == 0:  # from nothing: an unbounded rise, and no drop is possible
            return _verdict(condition.direction != "down" and current > 0, current, expected)
        delta = delta / previous * 100
    expected["change"] = delta
    rose, fell = delta >= condition.value, -delta >= condition.value
    breached = {"up": rose, "down": fell, "either": rose or fell}[condition.direction]
    return _verdict(breached, current, expected)


def _anomaly(condition: AnomalyCondition, current: float, history: Sequence[float]) -> Verdict:
    weeks = list(history)[-condition.weeks :]
    expected = _describe(condition)
    if len(weeks) < MIN_HISTORY:
        expected.update(reason="insufficient_history", weeks_available=len(weeks), weeks_required=MIN_HISTORY)
        return Verdict("nodata", current, expected)
    baseline = seasonal_baseline(weeks)
    limits = band(baseline, condition.sensitivity)
    expected.update(weeks=baseline.weeks, median=baseline.median, mad=baseline.mad, low=limits.low, high=limits.high)
    if condition.min_baseline is not None and baseline.median < condition.min_baseline:
        return Verdict("ok", current, {**expected, "reason": "below_min_baseline"})
    return _verdict(is_anomalous(current, limits, condition.direction), current, expected)


def _verdict(breached: bool, current: float, expected: Expected) -> Verdict:
    return Verdict("breach" if breached else "ok", current, expected)


def _describe(condition: AnyCondition) -> Expected:
    """The condition's own terms, the start of every ``expected`` object."""
    match condition:
        case ThresholdCondition():
            return {"kind": "threshold", "operator": condition.operator, "threshold": condition.value}
        case ChangeCondition():
            return {"kind": "change", "direction": condition.direction, "mode": condition.mode, "by": condition.value}
        case AbsenceCondition():
            return {"kind": "absence", "at_least": 1}
        case AnomalyCondition():
            return {"kind": "anomaly", "direction": condition.direction, "sensitivity": condition.sensitivity}
