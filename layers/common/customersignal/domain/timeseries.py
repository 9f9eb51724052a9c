"""Metric time series: which buckets a request asks for, which stored grain answers it, and how the
cold part (Postgres) and the hot part (Redis) are joined. Pure.

Buckets follow the request's time zone: 1h and 1d buckets start at local hours and local midnights, so a
day in Europe/Paris is 23 or 25 hours long around DST, and an hour in Asia/Kolkata starts at :30 UTC.
The answer is read from the coarsest stored grain (minute, hour or day, all UTC) whose boundaries every
bucket boundary falls on, so each bucket is an exact sum of stored buckets. Unique users do not add up
across buckets: they come from the stored column when the grain *is* the bucket, and otherwise from the
union of the stored buckets' hll sketches, which are kept as long as the metrics rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from customersignal.domain.errors import MalformedRequest
from customersignal.domain.query_params import QueryParams, invalid

Metric = Literal["count", "unique_users"]
Grain = Literal["minute", "hour", "day"]
GRAIN_WIDTH: dict[Grain, timedelta] = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Interval:
    name: str
    width: timedelta
    max_range: timedelta
    local: bool  # True: buckets start at local hours/days in the request's zone


INTERVALS: dict[str, Interval] = {
    "1m": Interval("1m", timedelta(minutes=1), timedelta(days=31), local=False),
    "5m": Interval("5m", timedelta(minutes=5), timedelta(days=92), local=False),
    "1h": Interval("1h", timedelta(hours=1), timedelta(days=400), local=True),
    "1d": Interval("1d", timedelta(days=1), timedelta(days=3660), local=True),
}


@dataclass(frozen=True)
class SeriesQuery:
    event_types: tuple[str, ...]
    metric: Metric
    interval: Interval
    start: datetime
    end: datetime
    tz: ZoneInfo


@dataclass(frozen=True)
class SeriesPlan:
    """Bucket boundaries in epoch ms (bucket i is [boundaries_ms[i], boundaries_ms[i + 1])) and the grain
    that answers them. Integers, not datetimes: a month of minutes is 44,640 boundaries."""

    boundaries_ms: list[int]
    grain: Grain
    native_unique: bool  # the stored unique_users column is exactly one bucket's

    @property
    def starts_ms(self) -> list[int]:
        return self.boundaries_ms[:-1]

    @property
    def start(self) -> datetime:
        return from_epoch_ms(self.boundaries_ms[0])

    @property
    def end(self) -> datetime:
        return from_epoch_ms(self.boundaries_ms[-1])


@dataclass
class SparseSeries:
    """Non-zero buckets of one event type: bucket number ``index[i]`` of the plan has value ``v[i]``."""

    index: list[int] = field(default_factory=list)
    v: list[int] = field(default_factory=list)


@dataclass
class DenseRun:
    """Consecutive buckets of one event type, from bucket number ``first`` on (zeros included)."""

    first: int
    v: list[int]


def parse_range(
    params: QueryParams, interval: Interval, names: tuple[str, str] = ("from", "to")
) -> tuple[datetime, datetime]:
    """The request's [start, end) by the given parameter names (``start``/``end`` also take ``from``/``to``
    where the route says so), refused when missing, reversed, or longer than the interval allows."""
    first, last = names
    start, end = params.timestamp(first), params.timestamp(last)
    if names == ("start", "end"):
        start, end = start or params.timestamp("from"), end or params.timestamp("to")
    if start is None or end is None:
        missing = first if start is None else last
        raise MalformedRequest(code="missing_parameter", message=f"'{missing}' is required", field=missing)
    if end <= start:
        raise invalid(last, f"'{last}' must be after '{first}'")
    if end - start > interval.max_range:
        raise MalformedRequest(
            code="range_too_long",
            message=f"at interval {interval.name} a range may span at most {interval.max_range.days} days; "
            "pick a coarser interval",
            field="interval",
        )
    return start, end


def parse_series_query(params: QueryParams) -> SeriesQuery:
    interval = INTERVALS[params.choice("interval", tuple(INTERVALS))]
    start, end = parse_range(params, interval)
    metric: Metric = (
        "unique_users" if params.choice("metric", ("count", "unique_users"), "count") != "count" else "count"
    )
    return SeriesQuery(params.names("types", required=True), metric, interval, start, end, params.zone("tz"))


def floor_bucket(moment: datetime, interval: Interval, tz: ZoneInfo) -> datetime:
    """The start of the bucket containing ``moment`` (UTC in, UTC out)."""
    if not interval.local:
        # fixed-width buckets counted from the epoch: every zone's offset is a multiple of 5 minutes
        step = int(interval.width.total_seconds())
        return EPOCH + timedelta(seconds=int((moment - EPOCH).total_seconds()) // step * step)
    local = moment.astimezone(tz)
    local = local.replace(minute=0, second=0, microsecond=0)
    if interval.width >= timedelta(days=1):
        local = local.replace(hour=0)
    return local.astimezone(UTC)


def plan_series(query: SeriesQuery) -> SeriesPlan:
    first = floor_bucket(query.start, query.interval, query.tz)
    if not query.interval.local:
        step = int(query.interval.width.total_seconds() * 1000)
        first_ms, end_ms = epoch_ms(first), epoch_ms(query.end)
        last_ms = first_ms + -(-(end_ms - first_ms) // step) * step  # the first boundary at or after end
        boundaries = list(range(first_ms, last_ms + step, step))
    else:
        # a width past the current start (plus an hour for days), floored: right across DST changes
        slack = timedelta(hours=1) if query.interval.width >= timedelta(days=1) else timedelta()
        moments = [first]
        while moments[-1] < query.end:
            moments.append(floor_bucket(moments[-1] + query.interval.width + slack, query.interval, query.tz))
        boundaries = [epoch_ms(moment) for moment in moments]
    grain = coarsest_grain(boundaries)
    return SeriesPlan(boundaries, grain, native_unique=GRAIN_WIDTH[grain] == query.interval.width)


def coarsest_grain(boundaries_ms: list[int]) -> Grain:
    if all(b % 86_400_000 == 0 for b in boundaries_ms):
        return "day"
    if all(b % 3_600_000 == 0 for b in boundaries_ms):
        return "hour"
    return "minute"


def hot_boundary(plan: SeriesPlan, hot_covered_from: datetime | None) -> int | None:
    """The first bucket start (epoch ms) at or after ``hot_covered_from``: the hot store answers from there."""
    if hot_covered_from is None:
        return None
    index = bisect.bisect_left(plan.boundaries_ms, epoch_ms(hot_covered_from))
    return plan.boundaries_ms[index] if index < len(plan.boundaries_ms) - 1 else None


def bucket_minutes(plan: SeriesPlan, minute_counts: Mapping[datetime, int]) -> SparseSeries:
    """Sum minute counts (from the hot store) into the plan's buckets; minutes outside are ignored."""
    sums: dict[int, int] = {}
    bounds = plan.boundaries_ms
    for minute, count in minute_counts.items():
        at = epoch_ms(minute)
        if count and bounds[0] <= at < bounds[-1]:
            index = bisect.bisect_right(bounds, at) - 1
            sums[index] = sums.get(index, 0) + count
    return SparseSeries(list(sums), list(sums.values()))


def dense_values(plan: SeriesPlan, *parts: SparseSeries | DenseRun | None) -> list[int]:
    """One value per bucket: 0 where no part has one. The parts cover disjoint buckets (cold before the
    hot boundary, hot after it), so a later part never overwrites an earlier one's bucket."""
    values = [0] * (len(plan.boundaries_ms) - 1)
    for part in parts:
        if isinstance(part, DenseRun):
            values[part.first : part.first + len(part.v)] = part.v
        elif part is not None:
            for index, value in zip(part.index, part.v, strict=True):
                values[index] = value
    return values


def epoch_ms(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_epoch_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)
