"""Bucket planning: local hours and days across DST changes, the stored grain that answers each request,
and joining the cold and hot parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from customersignal.domain.errors import MalformedRequest
from customersignal.domain.query_params import QueryParams
from customersignal.domain.timeseries import (
    SparseSeries,
    bucket_minutes,
    dense_values,
    epoch_ms,
    from_epoch_ms,
    hot_boundary,
    parse_series_query,
    plan_series,
)


def plan(interval: str, start: str, end: str, tz: str = "UTC", metric: str = "count"):  # type: ignore[no-untyped-def]
    query = parse_series_query(
        QueryParams({"types": "a", "interval": interval, "from": start, "to": end, "tz": tz, "metric": metric})
    )
    return query, plan_series(query)


def local(boundaries_ms: list[int], tz: str) -> list[str]:
    return [from_epoch_ms(b).astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M%z") for b in boundaries_ms]


def test_days_in_paris_are_23_and_25_hours_long_around_dst() -> None:
    _, spring = plan("1d", "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z", "Europe/Paris")
    assert local(spring.boundaries_ms, "Europe/Paris") == [
        "03-28 00:00+0100", "03-29 00:00+0100", "03-30 00:00+0200", "03-31 00:00+0200",
    ]  # fmt: skip
    assert spring.boundaries_ms[2] - spring.boundaries_ms[1] == 23 * 3_600_000
    _, autumn = plan("1d", "2026-10-25T00:00:00Z", "2026-10-25T12:00:00Z", "Europe/Paris")
    assert autumn.boundaries_ms[1] - autumn.boundaries_ms[0] == 25 * 3_600_000
    assert autumn.grain == "hour"  # local days are sums of UTC hours
    assert not autumn.native_unique


def test_the_repeated_hour_of_an_autumn_night_is_two_buckets() -> None:
    _, hours = plan("1h", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "Europe/Paris")
    assert local(hours.boundaries_ms, "Europe/Paris") == ["10-25 02:00+0200", "10-25 02:00+0100", "10-25 03:00+0100"]
    assert (hours.grain, hours.native_unique) == ("hour", True)


def test_half_hour_zones_sum_hours_from_minutes() -> None:
    _, hours = plan("1h", "2026-01-01T00:00:00Z", "2026-01-01T02:00:00Z", "Asia/Kolkata")
    assert hours.boundaries_ms[0] % 3_600_000 == 30 * 60_000
    assert (hours.grain, hours.native_unique) == ("minute", False)


def test_fixed_intervals_cover_from_and_to_and_pick_their_grain() -> None:
    _, five = plan("5m", "2026-01-01T00:03:00Z", "2026-01-01T00:21:00Z")
    assert local(five.boundaries_ms, "UTC")[0] == "01-01 00:00+0000"
    assert local(five.boundaries_ms, "UTC")[-1] == "01-01 00:25+0000"
    assert (five.grain, five.native_unique) == ("minute", False)
    _, days = plan("1d", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z")
    assert (days.grain, days.native_unique, len(days.starts_ms)) == ("day", True, 2)
    _, month = plan("1m", "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z")
    assert len(month.starts_ms) == 30 * 1440


def test_the_hot_part_starts_at_a_bucket_and_sums_its_minutes() -> None:
    _, five = plan("5m", "2026-01-01T00:00:00Z", "2026-01-01T00:30:00Z")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    boundary = hot_boundary(five, start + timedelta(minutes=12))
    assert boundary == epoch_ms(start + timedelta(minutes=15))
    assert hot_boundary(five, start + timedelta(hours=2)) is None
    assert hot_boundary(five, None) is None
    minutes = {start + timedelta(minutes=m): 1 for m in (15, 16, 29, 30)}  # 30 is past the end
    hot = bucket_minutes(five, minutes)
    assert dict(zip(hot.index, hot.v, strict=True)) == {3: 2, 5: 1}
    assert dense_values(five, SparseSeries([0], [4]), hot) == [4, 0, 0, 2, 0, 1]
    assert dense_values(five) == [0] * 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"interval": "1m", "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T01:00:00Z"}, "types"),
        ({"types": ",".join(f"t{i}" for i in range(21)), "interval": "1m", "from": "2026-01-01T00:00:00Z",
          "to": "2026-01-01T01:00:00Z"}, "types"),
        ({"types": "a", "interval": "1m", "to": "2026-01-01T01:00:00Z"}, "from"),
        ({"types": "a", "interval": "1d", "from": "2026-01-01T05:00:00+05:00",
          "to": "2026-01-01T00:00:00Z"}, "to"),
    ],
)  # fmt: skip
def test_bad_parameters_are_named(params: dict[str, str], field: str) -> None:
    with pytest.raises(MalformedRequest) as refused:
        parse_series_query(QueryParams(params))
    assert refused.value.field == field


def test_a_plus_in_an_offset_survives_query_string_decoding() -> None:
    query = parse_series_query(
        QueryParams({"types": "a", "interval": "1h", "from": "2026-01-01T00:00:00 01:00", "to": "2026-01-01T05:00:00Z"})
    )
    assert query.start == datetime(2025, 12, 31, 23, tzinfo=UTC)
