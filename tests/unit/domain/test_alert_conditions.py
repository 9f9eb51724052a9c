"""Conditions: one table per kind, from a window's numbers to breach, ok or nodata and what was expected."""

from __future__ import annotations

from typing import Literal

import orjson
import pytest

from customersignal.domain.alert_conditions import Expected, VerdictState, WindowObservation, evaluate
from customersignal.domain.alert_rule_conditions import (
    AbsenceCondition,
    AnomalyCondition,
    AnyCondition,
    ChangeCondition,
    ThresholdCondition,
)

pytestmark = pytest.mark.unit

Direction = Literal["up", "down", "either"]


def above(value: float) -> ThresholdCondition:
    return ThresholdCondition(kind="threshold", operator="above", value=value)


def below(value: float) -> ThresholdCondition:
    return ThresholdCondition(kind="threshold", operator="below", value=value)


def change(direction: Direction, mode: Literal["absolute", "percent"], value: float) -> ChangeCondition:
    return ChangeCondition(kind="change", direction=direction, mode=mode, value=value)


def anomaly(direction: Direction = "either", weeks: int = 4, min_baseline: float | None = None) -> AnomalyCondition:
    return AnomalyCondition(kind="anomaly", weeks=weeks, sensitivity=3, direction=direction, min_baseline=min_baseline)


ABSENCE = AbsenceCondition(kind="absence")


@pytest.mark.parametrize(
    ("condition", "current", "state"),
    [
        pytest.param(above(100), 101, "breach", id="above: over"),
        pytest.param(above(100), 100, "ok", id="above: on the threshold is not above"),
        pytest.param(above(100), 3, "ok", id="above: under"),
        pytest.param(above(0), 1, "breach", id="above 0: any event"),
        pytest.param(above(0), 0, "ok", id="above 0: none"),
        pytest.param(below(10), 9, "breach", id="below: under"),
        pytest.param(below(10), 10, "ok", id="below: on the threshold is not below"),
        pytest.param(below(10), 0, "breach", id="below: an empty window is below"),
        pytest.param(below(10), 50, "ok", id="below: over"),
        pytest.param(above(100), None, "nodata", id="above: window incomplete"),
        pytest.param(below(10), None, "nodata", id="below: window incomplete is not a drop"),
    ],
)
def test_threshold(condition: ThresholdCondition, current: float | None, state: VerdictState) -> None:
    verdict = evaluate(condition, WindowObservation(current=current))
    assert verdict.state == state
    assert verdict.observed == current
    assert verdict.expected["operator"] == condition.operator
    assert verdict.expected["threshold"] == condition.value


@pytest.mark.parametrize(
    ("condition", "current", "previous", "state", "change_value"),
    [
        pytest.param(change("up", "absolute", 50), 150, 100, "breach", 50, id="abs up: exactly the amount"),
        pytest.param(change("up", "absolute", 50), 149, 100, "ok", 49, id="abs up: just short"),
        pytest.param(change("up", "absolute", 50), 0, 100, "ok", -100, id="abs up: a drop is not a rise"),
        pytest.param(change("down", "absolute", 50), 50, 100, "breach", -50, id="abs down: exactly the amount"),
        pytest.param(change("down", "absolute", 50), 200, 100, "ok", 100, id="abs down: a rise is not a drop"),
        pytest.param(change("either", "absolute", 50), 200, 100, "breach", 100, id="abs either: rise"),
        pytest.param(change("either", "absolute", 50), 40, 100, "breach", -60, id="abs either: drop"),
        pytest.param(change("either", "absolute", 50), 120, 100, "ok", 20, id="abs either: small move"),
        pytest.param(change("up", "percent", 50), 150, 100, "breach", 50, id="pct up: +50 %"),
        pytest.param(change("up", "percent", 50), 149, 100, "ok", 49, id="pct up: +49 %"),
        pytest.param(change("down", "percent", 30), 70, 100, "breach", -30, id="pct down: -30 %"),
        pytest.param(change("down", "percent", 30), 71, 100, "ok", -29, id="pct down: -29 %"),
        pytest.param(change("down", "percent", 100), 0, 100, "breach", -100, id="pct down: to zero is -100 %"),
        pytest.param(change("either", "percent", 30), 140, 100, "breach", 40, id="pct either: rise"),
        pytest.param(change("either", "percent", 30), 60, 100, "breach", -40, id="pct either: drop"),
        pytest.param(change("either", "percent", 30), 100, 100, "ok", 0, id="pct either: flat"),
    ],
)
def test_change(
    condition: ChangeCondition, current: float, previous: float, state: VerdictState, change_value: float
) -> None:
    verdict = evaluate(condition, WindowObservation(current=current, previous=previous))
    assert verdict.state == state
    assert verdict.expected["previous"] == previous
    assert verdict.expected["change"] == pytest.approx(change_value)


@pytest.mark.parametrize(
    ("direction", "current", "state"),
    [
        pytest.param("up", 1, "breach", id="up: anything from nothing is an unbounded rise"),
        pytest.param("up", 0, "ok", id="up: nothing from nothing"),
        pytest.param("either", 5, "breach", id="either: a rise from nothing"),
        pytest.param("either", 0, "ok", id="either: nothing from nothing"),
        pytest.param("down", 0, "ok", id="down: nothing to drop from"),
        pytest.param("down", 5, "ok", id="down: a rise from nothing"),
    ],
)
def test_percent_change_from_an_empty_previous_window(direction: Direction, current: float, state: str) -> None:
    verdict = evaluate(change(direction, "percent", 50), WindowObservation(current=current, previous=0))
    assert verdict.state == state
    assert "change" not in verdict.expected  # infinite: JSON has no number for it
    assert verdict.expected["previous"] == 0


@pytest.mark.parametrize(
    ("observation", "reason"),
    [
        pytest.param(WindowObservation(current=None, previous=100), "window_incomplete", id="current incomplete"),
        pytest.param(WindowObservation(current=100, previous=None), "previous_window_unavailable", id="no previous"),
    ],
)
def test_change_without_both_windows_is_nodata(observation: WindowObservation, reason: str) -> None:
    verdict = evaluate(change("either", "absolute", 1), observation)
    assert (verdict.state, verdict.expected["reason"]) == ("nodata", reason)


@pytest.mark.parametrize(
    ("current", "state"),
    [
        pytest.param(0, "breach", id="nothing in the window"),
        pytest.param(1, "ok", id="one event"),
        pytest.param(None, "nodata", id="window incomplete: lag is not absence"),
    ],
)
def test_absence(current: float | None, state: VerdictState) -> None:
    verdict = evaluate(ABSENCE, WindowObservation(current=current))
    assert verdict.state == state
    assert verdict.expected["kind"] == "absence"


HISTORY = [100.0, 96.0, 104.0, 100.0]  # median 100, MAD 2: the floor (sqrt(101), about 10) sets the spread


@pytest.mark.parametrize(
    ("condition", "current", "history", "state"),
    [
        pytest.param(anomaly(), 100, HISTORY, "ok", id="usual value"),
        pytest.param(anomaly(), 130, HISTORY, "ok", id="inside the band"),
        pytest.param(anomaly(), 200, HISTORY, "breach", id="spike"),
        pytest.param(anomaly(), 20, HISTORY, "breach", id="drop"),
        pytest.param(anomaly("up"), 20, HISTORY, "ok", id="up ignores a drop"),
        pytest.param(anomaly("up"), 200, HISTORY, "breach", id="up sees a spike"),
        pytest.param(anomaly("down"), 200, HISTORY, "ok", id="down ignores a spike"),
        pytest.param(anomaly("down"), 20, HISTORY, "breach", id="down sees a drop"),
        pytest.param(anomaly(), 0, [0, 0, 0, 0], "ok", id="quiet slot stays quiet"),
        pytest.param(anomaly(), 2, [0, 0, 0, 0], "ok", id="quiet slot: a couple of events is noise"),
        pytest.param(anomaly(), 10, [0, 0, 0, 0], "breach", id="quiet slot: ten events is not"),
        pytest.param(anomaly(), 200, [100, 100, 5000, 100], "breach", id="one bad week does not widen the band"),
        pytest.param(anomaly(weeks=2), 200, [9000, 9000, 100, 100], "breach", id="only the last weeks count"),
        pytest.param(anomaly(min_baseline=500), 200, HISTORY, "ok", id="below min_baseline: too quiet to judge"),
        pytest.param(anomaly(min_baseline=100), 200, HISTORY, "breach", id="at min_baseline: judged"),
        pytest.param(anomaly(), 200, [100, 100], "breach", id="two weeks are enough"),
        pytest.param(anomaly(), 200, [100], "nodata", id="one week is not"),
        pytest.param(anomaly(), 200, [], "nodata", id="no history"),
        pytest.param(anomaly(), None, HISTORY, "nodata", id="window incomplete"),
    ],
)
def test_anomaly(condition: AnomalyCondition, current: float | None, history: list[float], state: str) -> None:
    verdict = evaluate(condition, WindowObservation(current=current, history=history))
    assert verdict.state == state


def test_anomaly_expected_carries_the_band() -> None:
    verdict = evaluate(anomaly(), WindowObservation(current=200, history=HISTORY))
    expected = verdict.expected
    assert (expected["median"], expected["mad"], expected["weeks"]) == (100, 2, 4)
    assert isinstance(expected["low"], float)
    assert isinstance(expected["high"], float)
    assert expected["low"] < 100 < expected["high"] < 200


def test_insufficient_history_says_so() -> None:
    verdict = evaluate(anomaly(), WindowObservation(current=5, history=[4.0]))
    assert verdict.expected["reason"] == "insufficient_history"
    assert (verdict.expected["weeks_available"], verdict.expected["weeks_required"]) == (1, 2)


@pytest.mark.parametrize(
    "condition",
    [
        above(1),
        change("up", "percent", 10),
        ABSENCE,
        anomaly(),
    ],
    ids=["threshold", "change", "absence", "anomaly"],
)
@pytest.mark.parametrize(
    "observation",
    [
        WindowObservation(current=None, previous=1, history=HISTORY),
        WindowObservation(current=0, previous=0, history=[0, 0]),
        WindowObservation(current=7.5, previous=2, history=HISTORY),
    ],
    ids=["incomplete", "zeros", "values"],
)
def test_expected_is_a_json_object_naming_the_kind(condition: AnyCondition, observation: WindowObservation) -> None:
    # Given any condition and window; When it is judged; Then expected fits alert_history.expected (a JSON object)
    expected: Expected = evaluate(condition, observation).expected
    assert orjson.loads(orjson.dumps(expected)) == expected
    assert expected["kind"] == condition.kind
