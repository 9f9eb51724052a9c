"""Seasonal anomaly maths for alert rules: a robust baseline from the same time slot in past weeks. Pure.

Why the same slot in past weeks: event volume follows the hour of the day *and* the day of the week (a Monday
09:00 looks nothing like a Sunday 03:00), and comparing a window with the same window 1, 2, ... N weeks ago
removes both seasonalities at once without fitting a model. The evaluator reads those N values; this module
only does the arithmetic.

Why median and MAD (median absolute deviation) instead of mean and standard deviation: one past incident (an
outage at that slot three weeks ago, a launch spike) would drag a mean and inflate a standard deviation so
much that the next incident hides inside the band. The median and the MAD ignore a minority of bad weeks.
``MAD_SCALE`` (1.4826) makes a MAD comparable to a standard deviation for normally distributed noise, so a
sensitivity of 3 means "about three standard deviations".

The spread floor. With a handful of weeks the MAD is often tiny, or 0 for a flat history ([5, 5, 5, 5]), and
a band of width 0 would fire on a single extra event. The noise estimate is therefore at least
``spread_floor(median) = max(sqrt(median + 1), 10 % of median)``:

- ``sqrt(median + 1)``: counts are at least Poisson-noisy, and a Poisson count's standard deviation is the
  square root of its mean, so the floor never claims less noise than counting itself produces. The ``+ 1``
  keeps a quiet slot (median 0) from alerting on one or two events, and pays for the Poisson distribution's
  long upper tail at small means;
- ``10 % of median``: at high volume real traffic varies more than Poisson from week to week (campaigns,
  holidays); without it a 2 % wobble on 100,000 events would be "10 sigma". At sensitivity 3 this means a
  high-volume slot must move by more than about 35 % to alert; lower the sensitivity for tighter bands.

The prediction factor. The band is for *one new value*, compared with a median that was itself estimated from
only N weeks; the difference has the variance of the noise plus that of the median (about pi/2 * sigma^2 / N
for normal noise). So the spread is multiplied by ``sqrt(1 + pi / (2 N))``: 1.33 for 2 weeks, 1.18 for 4,
1.06 for 12. Without it the false-positive rate at sensitivity 3 was about 1 % on clean Poisson data.

The backtest in ``tests/unit/domain/test_anomaly.py`` measures the false-positive and detection rates these
choices give on synthetic seasonal series.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

MAD_SCALE = 1.4826  # 1 / Phi^-1(3/4): a MAD times this estimates the standard deviation of normal noise
MIN_HISTORY = 2  # weeks: one past week has no spread to learn from, so the band would be the floor alone
RELATIVE_FLOOR = 0.10

Direction = Literal["up", "down", "either"]


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the slot usually looks like: the median of the past weeks and their MAD around it."""

    median: float
    mad: float
    weeks: int

    @property
    def spread(self) -> float:
        """One "standard deviation" of a new value around the median: the scaled MAD (never below the floor),
        widened for the uncertainty of a median of only ``weeks`` values."""
        noise = max(MAD_SCALE * self.mad, spread_floor(self.median))
        return noise * math.sqrt(1 + math.pi / (2 * self.weeks))


@dataclass(frozen=True, slots=True)
class Band:
    """Values strictly inside [low, high] are normal. ``low`` is clipped at 0: counts are never negative."""

    low: float
    high: float


def spread_floor(median: float) -> float:
    """The least spread a baseline may claim (see the module docstring for why each term is there)."""
    typical = max(median, 0.0)
    return max(math.sqrt(typical + 1), RELATIVE_FLOOR * typical)


def seasonal_baseline(history: Sequence[float]) -> Baseline:
    """The median and MAD of ``history``: the same time slot in each of the last N weeks (any order).

    The caller decides whether the history is long enough (``MIN_HISTORY``); an empty one has no median.
    """
    if not history:
        raise ValueError("a seasonal baseline needs at least one past week")
    median = float(statistics.median(history))
    mad = float(statistics.median(abs(value - median) for value in history))
    return Baseline(median=median, mad=mad, weeks=len(history))


def band(baseline: Baseline, sensitivity: float) -> Band:
    """median +- sensitivity * spread; a larger sensitivity is a wider band, so fewer alerts."""
    if sensitivity <= 0:
        raise ValueError("sensitivity must be positive")
    reach = sensitivity * baseline.spread
    return Band(low=max(0.0, baseline.median - reach), high=baseline.median + reach)


def is_anomalous(value: float, expected: Band, direction: Direction) -> bool:
    """Outside the band on the watched side. Both sides are strict: a value on the edge is normal."""
    above = value > expected.high
    below = value < expected.low
    if direction == "up":
        return above
    if direction == "down":
        return below
    return above or below
