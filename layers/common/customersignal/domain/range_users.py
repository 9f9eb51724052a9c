"""Unique users over any range: which stored sketches cover it. Pure.

Distinct users do not add up, but sketches union: the users of [from, to) are the union of sketches
whose buckets exactly tile the range. The stored grains are UTC minutes, hours and days, so the cover
takes whole UTC days from the day sketches, whole hours at the edges from the hour sketches, and the
ragged minutes from the minute sketches: at most five spans, a few hundred sketches for a year. A range
given in a zone whose midnight is not UTC's (Europe/Paris: 23:00 UTC) simply starts with an hour span;
one with a :30 offset (Asia/Kolkata) with a minute span. A minute bucket belongs to the range when it
starts in it, as in the summary's counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from customersignal.domain.timeseries import EPOCH, GRAIN_WIDTH, Grain

COARSEST_FIRST: tuple[Grain, ...] = ("day", "hour", "minute")


@dataclass(frozen=True)
class GrainSpan:
    """The stored ``grain`` buckets that start in [start, end); both ends fall on the grain."""

    grain: Grain
    start: datetime
    end: datetime


def range_cover(start: datetime, end: datetime) -> list[GrainSpan]:
    """Spans of the coarsest grains, in time order, whose buckets are exactly the minutes starting in
    [start, end)."""
    return _cover(_ceil(start, "minute"), _ceil(end, "minute"), COARSEST_FIRST)


def _cover(lo: datetime, hi: datetime, grains: tuple[Grain, ...]) -> list[GrainSpan]:
    if lo >= hi:
        return []
    grain, finer = grains[0], grains[1:]
    if not finer:  # minutes: lo and hi are whole minutes already
        return [GrainSpan(grain, lo, hi)]
    first, last = _ceil(lo, grain), _floor(hi, grain)
    if first >= last:
        return _cover(lo, hi, finer)
    return [*_cover(lo, first, finer), GrainSpan(grain, first, last), *_cover(last, hi, finer)]


def _floor(moment: datetime, grain: Grain) -> datetime:
    width = GRAIN_WIDTH[grain]
    return EPOCH + (moment - EPOCH) // width * width


def _ceil(moment: datetime, grain: Grain) -> datetime:
    floor = _floor(moment, grain)
    return floor if floor == moment else floor + GRAIN_WIDTH[grain]
