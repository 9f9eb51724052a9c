"""Seasonal anomaly maths: the baseline, the band and its floor, and a backtest on synthetic seasonal series.

The backtest builds 8 weeks of 5-minute windows with a daily curve (quiet nights, a daytime peak) and a
weekly one (weekends at 55 %), draws Poisson counts around that rate with a fixed seed, and judges each window
of the last 4 weeks against the same slot in the 4 weeks before it, exactly as the evaluator would. On clean
data every breach is a false positive; then spikes and drops are injected to measure detection. Run with
``-s`` to see the figures.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import pytest

from customersignal.domain.alert_conditions import WindowObservation, evaluate
from customersignal.domain.alert_rule_conditions import AnomalyCondition
from customersignal.domain.anomaly import (
    MAD_SCALE,
    Band,
    Baseline,
    Direction,
    band,
    is_anomalous,
    seasonal_baseline,
    spread_floor,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("history", "median", "mad"),
    [
        pytest.param([1, 2, 3, 4, 100], 3, 1, id="an outlier moves neither"),
        pytest.param([1, 2, 3, 4], 2.5, 1, id="even count: middle pair"),
        pytest.param([7, 7, 7, 7], 7, 0, id="flat: MAD 0"),
        pytest.param([42], 42, 0, id="one week"),
        pytest.param([0, 0, 0, 900, 900], 0, 0, id="two bad weeks of five are still a minority"),
    ],
)
def test_seasonal_baseline(history: list[float], median: float, mad: float) -> None:
    baseline = seasonal_baseline(history)
    assert (baseline.median, baseline.mad, baseline.weeks) == (median, mad, len(history))


def test_an_empty_history_has_no_baseline() -> None:
    with pytest.raises(ValueError, match="at least one past week"):
        seasonal_baseline([])


@pytest.mark.parametrize(
    ("median", "floor"),
    [
        pytest.param(0, 1.0, id="quiet slot: one event"),
        pytest.param(3, 2.0, id="small counts: Poisson sqrt(median + 1)"),
        pytest.param(99, 10.0, id="sqrt(100)"),
        pytest.param(50, math.sqrt(51), id="sqrt above 10 % below a median of about 100"),
        pytest.param(10_000, 1000.0, id="high volume: 10 % of median"),
        pytest.param(-5, 1.0, id="a negative median is treated as 0"),
    ],
)
def test_spread_floor(median: float, floor: float) -> None:
    assert spread_floor(median) == pytest.approx(floor)


@pytest.mark.parametrize(
    ("baseline", "spread"),
    [
        pytest.param(Baseline(100, 0, 4), math.sqrt(101) * math.sqrt(1 + math.pi / 8), id="flat: the floor"),
        pytest.param(Baseline(100, 20, 4), 20 * MAD_SCALE * math.sqrt(1 + math.pi / 8), id="noisy: the scaled MAD"),
        pytest.param(Baseline(100, 20, 2), 20 * MAD_SCALE * math.sqrt(1 + math.pi / 4), id="2 weeks: wider"),
        pytest.param(Baseline(100, 20, 12), 20 * MAD_SCALE * math.sqrt(1 + math.pi / 24), id="12 weeks: narrower"),
    ],
)
def test_spread_is_the_scaled_mad_or_the_floor_widened_for_a_short_history(baseline: Baseline, spread: float) -> None:
    assert baseline.spread == pytest.approx(spread)


def test_band_is_symmetric_around_the_median_and_clipped_at_zero() -> None:
    wide = band(Baseline(100, 10, 4), 3)
    reach = 3 * Baseline(100, 10, 4).spread
    assert (wide.low, wide.high) == pytest.approx((100 - reach, 100 + reach))
    assert band(Baseline(5, 10, 4), 3).low == 0.0  # counts are never negative
    assert band(Baseline(100, 10, 4), 1).high < wide.high  # lower sensitivity: tighter band


@pytest.mark.parametrize("sensitivity", [0, -1])
def test_band_needs_a_positive_sensitivity(sensitivity: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        band(Baseline(1, 1, 2), sensitivity)


BAND = Band(low=50, high=150)


@pytest.mark.parametrize(
    ("value", "direction", "anomalous"),
    [
        pytest.param(151, "up", True, id="up: above"),
        pytest.param(150, "up", False, id="up: on the edge is normal"),
        pytest.param(10, "up", False, id="up: below is ignored"),
        pytest.param(49, "down", True, id="down: below"),
        pytest.param(50, "down", False, id="down: on the edge is normal"),
        pytest.param(999, "down", False, id="down: above is ignored"),
        pytest.param(151, "either", True, id="either: above"),
        pytest.param(49, "either", True, id="either: below"),
        pytest.param(100, "either", False, id="either: inside"),
    ],
)
def test_is_anomalous(value: float, direction: Direction, anomalous: bool) -> None:
    assert is_anomalous(value, BAND, direction) is anomalous


# --- backtest --------------------------------------------------------------------------------------------------

SLOTS_PER_DAY = 288  # 5-minute windows
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
SERIES_WEEKS = 8
HISTORY_WEEKS = 4
SEED = 20240501


def seasonal_rate(slot: int, peak: float) -> float:
    """Expected events in a 5-minute slot: a quarter of the peak at night, a sin^2 hump from 06:00 to midnight,
    and 55 % of that on Saturdays and Sundays."""
    hour = (slot % SLOTS_PER_DAY) / SLOTS_PER_DAY * 24
    daily = 0.25 + (0.75 * math.sin(math.pi * (hour - 6) / 18) ** 2 if hour >= 6 else 0.0)
    weekly = 0.55 if (slot // SLOTS_PER_DAY) % 7 in (5, 6) else 1.0
    return peak * daily * weekly


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's product of uniforms), or its normal approximation for large means."""
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def synthetic_series(peak: float, *, day_level_sd: float = 0.0, seed: int = SEED) -> list[float]:
    """SERIES_WEEKS weeks of 5-minute counts. ``day_level_sd`` scales each whole day by a random factor around 1
    (overdispersion: real days differ by more than Poisson noise)."""
    rng = random.Random(seed)
    values: list[float] = []
    for day in range(SERIES_WEEKS * 7):
        level = rng.gauss(1.0, day_level_sd) if day_level_sd else 1.0
        first = day * SLOTS_PER_DAY
        values.extend(float(poisson(rng, seasonal_rate(slot, peak) * level)) for slot in range(first, first + 288))
    return values


def history_of(values: list[float], slot: int) -> list[float]:
    """The same slot in each of the HISTORY_WEEKS weeks before it, oldest first."""
    return [values[slot - weeks * SLOTS_PER_WEEK] for weeks in range(HISTORY_WEEKS, 0, -1)]


EVALUATED = range(HISTORY_WEEKS * SLOTS_PER_WEEK, SERIES_WEEKS * SLOTS_PER_WEEK)


def judge(condition: AnomalyCondition, values: list[float], slot: int, current: float) -> bool:
    verdict = evaluate(condition, WindowObservation(current=current, history=history_of(values, slot)))
    assert verdict.state != "nodata"
    return verdict.state == "breach"


def false_positive_rate(values: list[float], sensitivity: float) -> float:
    condition = AnomalyCondition(kind="anomaly", weeks=HISTORY_WEEKS, sensitivity=sensitivity, direction="either")
    breaches = sum(judge(condition, values, slot, values[slot]) for slot in EVALUATED)
    return breaches / len(EVALUATED)


@dataclass(frozen=True)
class Scenario:
    name: str
    peak: float
    day_level_sd: float = 0.0


SCENARIOS = [
    Scenario("quiet: peak 4 events per 5 min", 4),
    Scenario("medium: peak 40", 40),
    Scenario("busy: peak 400", 400),
    Scenario("high volume: peak 5000, days vary by 3 %", 5000, day_level_sd=0.03),
]


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.name) for s in SCENARIOS])
def test_backtest_false_positive_rate_on_clean_seasonal_data(scenario: Scenario) -> None:
    # Given 8 weeks of clean seasonal counts; When the last 4 weeks are judged at sensitivity 3 against the
    # 4 weeks before each window; Then fewer than 1 % of the windows breach (each one a false positive)
    values = synthetic_series(scenario.peak, day_level_sd=scenario.day_level_sd)
    rate = false_positive_rate(values, sensitivity=3)
    print(f"\nbacktest [{scenario.name}]: false positives {rate:.3%} of {len(EVALUATED)} windows at sensitivity 3")
    assert rate < 0.01, f"false-positive rate {rate:.3%} at sensitivity 3"


def test_backtest_a_larger_sensitivity_gives_fewer_false_positives() -> None:
    values = synthetic_series(40)
    rates = [false_positive_rate(values, sensitivity) for sensitivity in (2, 3, 4)]
    print(f"\nbacktest [medium]: false positives at sensitivity 2, 3, 4: {', '.join(f'{r:.3%}' for r in rates)}")
    assert rates[0] > rates[1] > rates[2]


@pytest.mark.parametrize(
    ("kind", "factor", "direction"),
    [
        pytest.param("spike x2", 2.0, "up", id="spikes"),
        pytest.param("drop -70 %", 0.3, "down", id="drops"),
    ],
)
def test_backtest_detects_injected_spikes_and_drops(kind: str, factor: float, direction: Direction) -> None:
    # Given the busy series and 500 random windows whose expected count is at least 100;
    # When each window's value is multiplied by ``factor``; Then at least 95 % of them breach
    values = synthetic_series(400)
    candidates = [slot for slot in EVALUATED if seasonal_rate(slot, 400) >= 100]
    injected = random.Random(SEED + 1).sample(candidates, 500)
    condition = AnomalyCondition(kind="anomaly", weeks=HISTORY_WEEKS, sensitivity=3, direction=direction)
    detected = sum(judge(condition, values, slot, round(values[slot] * factor)) for slot in injected) / len(injected)
    print(f"\nbacktest [busy]: {kind} detected in {detected:.1%} of {len(injected)} windows at sensitivity 3")
    assert detected >= 0.95
