"""Property tests of bucketing: minute buckets, roll-ups and the dashboard's buckets in any time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customersignal.domain.aggregation import minute_bucket, truncate
from customersignal.domain.timeseries import INTERVALS, Interval, floor_bucket

pytestmark = pytest.mark.unit

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC))
# DST at 01:00/02:00 (Paris, New York), half-hour offsets and shifts (Kolkata, Lord Howe), and DST that starts
# at midnight, so some local days have no 00:00 (Santiago)
zones = st.sampled_from(
    ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/Santiago"]
)


@given(instants)
@settings(max_examples=500, deadline=None)
def test_a_minute_bucket_holds_its_moment(moment: datetime) -> None:
    bucket = minute_bucket(moment)
    assert bucket <= moment < bucket + timedelta(minutes=1)
    assert (bucket.second, bucket.microsecond) == (0, 0)
    assert minute_bucket(bucket) == bucket


@given(instants, st.sampled_from(["hour", "day"]))
@settings(max_examples=500, deadline=None)
def test_roll_ups_nest(moment: datetime, grain: str) -> None:
    minute = minute_bucket(moment)
    rolled = truncate(minute, grain)
    size = timedelta(hours=1) if grain == "hour" else timedelta(days=1)
    assert rolled <= minute < rolled + size
    assert truncate(rolled, grain) == rolled


@given(instants, zones, st.sampled_from(sorted(INTERVALS.values(), key=lambda i: i.width)))
@settings(max_examples=500, deadline=None)
def test_a_dashboard_bucket_starts_at_or_before_its_moment_and_is_stable(
    moment: datetime, zone: str, interval: Interval
) -> None:
    tz = ZoneInfo(zone)
    start = floor_bucket(moment, interval, tz)
    assert start <= moment
    assert floor_bucket(start, interval, tz) == start
    assert moment - start < interval.width + timedelta(hours=1)  # a local day can last 25 hours
