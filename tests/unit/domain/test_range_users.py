"""The cover of a range by stored sketches: coarsest grains, exact tiling, time order."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customersignal.domain.range_users import range_cover


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # whole UTC days: one day span
        ("2026-03-01T00:00Z", "2026-03-04T00:00Z", [("day", "2026-03-01T00:00Z", "2026-03-04T00:00Z")]),
        # ragged minutes at both ends, whole hours, whole days in the middle
        (
            "2026-03-01T22:17:30Z",
            "2026-03-04T01:05:00Z",
            [
                ("minute", "2026-03-01T22:18Z", "2026-03-01T23:00Z"),
                ("hour", "2026-03-01T23:00Z", "2026-03-02T00:00Z"),
                ("day", "2026-03-02T00:00Z", "2026-03-04T00:00Z"),
                ("hour", "2026-03-04T00:00Z", "2026-03-04T01:00Z"),
                ("minute", "2026-03-04T01:00Z", "2026-03-04T01:05Z"),
            ],
        ),
        # a Paris local day (23:00 UTC to 23:00 UTC) holds no whole UTC day: 24 hour sketches
        (
            "2026-03-01T00:00+01:00",
            "2026-03-02T00:00+01:00",
            [
                ("hour", "2026-02-28T23:00Z", "2026-03-01T00:00Z"),
                ("hour", "2026-03-01T00:00Z", "2026-03-01T23:00Z"),
            ],
        ),
        # a Kolkata local hour (:30 UTC): minutes only
        (
            "2026-03-01T10:00+05:30",
            "2026-03-01T11:00+05:30",
            [
                ("minute", "2026-03-01T04:30Z", "2026-03-01T05:00Z"),
                ("minute", "2026-03-01T05:00Z", "2026-03-01T05:30Z"),
            ],
        ),
        # inside one minute, past its start: no bucket starts in the range
        ("2026-03-01T10:00:10Z", "2026-03-01T10:00:50Z", []),
        # a minute bucket counts when it starts in the range, as the summary's counts do
        ("2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z", [("minute", "2026-03-01T10:00Z", "2026-03-01T10:01Z")]),
    ],
)
def test_a_range_is_covered_by_the_coarsest_stored_buckets(
    start: str, end: str, expected: list[tuple[str, str, str]]
) -> None:
    spans = [(s.grain, s.start, s.end) for s in range_cover(at(start), at(end))]
    assert _merged(spans) == _merged([(g, at(a), at(b)) for g, a, b in expected])


def _merged(spans: Sequence[tuple[str, datetime, datetime]]) -> list[tuple[str, datetime, datetime]]:
    """Adjacent spans of one grain as one (the cover may split where a coarser grain did not fit)."""
    out: list[tuple[str, datetime, datetime]] = []
    for grain, start, end in spans:
        if out and out[-1][0] == grain and out[-1][2] == start:
            out[-1] = (grain, out[-1][1], end)
        else:
            out.append((grain, start, end))
    return out


MINUTE = timedelta(minutes=1)
WIDTH = {"minute": MINUTE, "hour": timedelta(hours=1), "day": timedelta(days=1)}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@given(
    start=st.datetimes(datetime(2025, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)),
    length=st.timedeltas(timedelta(0), timedelta(days=400)),
)
def test_the_cover_tiles_exactly_the_minutes_that_start_in_the_range(start: datetime, length: timedelta) -> None:
    end = start + length
    spans = range_cover(start, end)
    # each span is aligned on its grain, spans are in order and touch, and they tile [ceil(start), ceil(end))
    for span in spans:
        assert span.start < span.end
        assert (span.start - EPOCH) % WIDTH[span.grain] == timedelta(0)
        assert (span.end - EPOCH) % WIDTH[span.grain] == timedelta(0)
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    if spans:
        assert (spans[0].start, spans[-1].end) == (ceil_minute(start), ceil_minute(end))
    else:
        assert ceil_minute(start) == ceil_minute(end)
    # and never more than five spans: minutes, hours, days, hours, minutes
    assert len(spans) <= 5
    assert [s.grain for s in spans] in _shapes()


def ceil_minute(moment: datetime) -> datetime:
    past = (moment - EPOCH) % MINUTE
    return moment if past == timedelta(0) else moment - past + MINUTE


def _shapes() -> list[list[str]]:
    grains = ["minute", "hour", "day", "hour", "minute"]
    return [
        [g for g, keep in zip(grains, mask, strict=True) if keep]
        for mask in ([(m >> i) & 1 == 1 for i in range(5)] for m in range(32))
    ]
