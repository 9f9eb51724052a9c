"""Trend planning, pure: which reader answers (rollup only when every rollup it needs is usable and the
buckets fall on UTC hours), the parameters' refusals, and how reader rows become the response."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from customersignal.domain.dashboard_models import Freshness
from customersignal.domain.errors import MalformedRequest, Unprocessable
from customersignal.domain.query_params import QueryParams
from customersignal.domain.timeseries import plan_series
from customersignal.domain.trend import build_trend, insight_trend, parse_trend_query, rollup_read
from customersignal.domain.trend_models import RollupRole, TrendRead, TrendRow, TrendTooSlow

BASE = {"type": "checkout", "start": "2026-03-01T00:00:00Z", "end": "2026-03-03T00:00:00Z"}
USABLE: frozenset[tuple[str, RollupRole]] = frozenset(
    {("plan", "dimension"), ("country", "dimension"), ("amount", "measure")}
)


NOW = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)
UNKNOWN = Freshness(complete_up_to=None, lag_seconds=None)


def query(*filters: dict[str, Any], **params: str) -> Any:
    return parse_trend_query(QueryParams(BASE | params), [json.dumps(item) for item in filters])


def plan_for(**params: str) -> Any:
    parsed = query(**params)
    return parsed, rollup_read(parsed, plan_series(parsed.window), USABLE)


@pytest.mark.parametrize(
    ("params", "filters", "dimension", "measure_name"),
    [
        ({"breakdown": "plan"}, [], "plan", ""),
        ({}, [], "country", ""),  # any dimension's rows hold every event once
        ({"measure": "unique_users"}, [{"property": "plan", "op": "eq", "value": "pro"}], "plan", ""),
        ({"measure": "sum", "property": "amount"}, [], "", "amount"),
        ({"measure": "avg", "property": "amount", "breakdown": "plan"}, [], "plan", "amount"),
        ({"breakdown": "plan"}, [{"property": "plan", "op": "neq", "value": "free"}], "plan", ""),
        ({"interval": "1h", "tz": "America/New_York"}, [], "country", ""),
    ],
)
def test_the_rollups_answer_when_every_needed_one_is_usable(
    params: dict[str, str], filters: list[dict[str, Any]], dimension: str, measure_name: str
) -> None:
    parsed = query(*filters, **params)
    read = rollup_read(parsed, plan_series(parsed.window), USABLE)
    assert read is not None
    assert (read.dimension, read.measure_name) == (dimension, measure_name)


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({"interval": "5m"}, []),
        ({"interval": "1h", "tz": "Asia/Kolkata"}, []),  # :30 hours are not UTC hours
        ({"breakdown": "device"}, []),  # not marked
        ({"measure": "sum", "property": "price"}, []),
        ({"breakdown": "plan"}, [{"property": "country", "op": "eq", "value": "FR"}]),  # two dimensions at once
        ({}, [{"property": "plan", "op": "eq", "value": "pro"}, {"property": "plan", "op": "neq", "value": "x"}]),
    ],
)
def test_raw_events_answer_the_rest(params: dict[str, str], filters: list[dict[str, Any]]) -> None:
    parsed = query(*filters, **params)
    assert rollup_read(parsed, plan_series(parsed.window), USABLE) is None


def test_no_dimension_at_all_means_raw_for_counts() -> None:
    parsed = query()
    assert rollup_read(parsed, plan_series(parsed.window), frozenset({("amount", "measure")})) is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"measure": "sum"}, "property"),
        ({"measure": "count", "property": "amount"}, "property"),
        ({"measure": "median"}, "measure"),
        ({"limit": "26"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"interval": "1m", "end": "2026-05-01T00:00:00Z"}, "interval"),
        ({"end": "2026-02-01T00:00:00Z"}, "end"),
        ({"type": ""}, "type"),
        ({"breakdown": "x" * 256}, "breakdown"),
        ({"property": "a\x00", "measure": "sum"}, "property"),
    ],
)
def test_bad_parameters_are_400s_naming_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(MalformedRequest) as refused:
        query(**params)
    assert refused.value.field == field


def test_a_bad_filter_is_a_422() -> None:
    with pytest.raises(Unprocessable) as refused:
        query({"property": "plan", "op": "gt", "value": "1"})
    assert refused.value.field == "filter[0].value"


def test_rows_become_series_ranked_with_other_last_and_empty_buckets_filled() -> None:
    parsed = query(breakdown="plan", measure="avg", property="amount", interval="1d")
    plan = plan_series(parsed.window)
    rows = [
        TrendRow(other=True, key_json=None, rank=None, bucket=None, value=2.0),
        TrendRow(other=True, key_json=None, rank=None, bucket=1, value=2.0),
        TrendRow(other=False, key_json='"free"', rank=2, bucket=None, value=3.0),
        TrendRow(other=False, key_json='"free"', rank=2, bucket=0, value=3.0),
        TrendRow(other=False, key_json="null", rank=1, bucket=None, value=9.5),
        TrendRow(other=False, key_json="null", rank=1, bucket=1, value=9.5),
    ]
    answer = build_trend(parsed, plan, "raw", rows, UNKNOWN)
    assert [(s.key, s.label, s.total, [p["value"] for p in s.points]) for s in answer.series] == [
        (None, "(not set)", 9.5, [None, 9.5]),
        ("free", "free", 3.0, [3.0, None]),
        ("$other", "Other", 2.0, [None, 2.0]),
    ]


def test_no_rows_without_a_breakdown_is_one_series_of_zeros() -> None:
    parsed = query(interval="1d")
    answer = build_trend(parsed, plan_series(parsed.window), "rollup", [], UNKNOWN)
    assert [(s.key, s.total, [p["value"] for p in s.points]) for s in answer.series] == [(None, 0, [0, 0])]


class Catalog:
    def usable_rollups(self, tenant_id: uuid.UUID, event_type: str) -> frozenset[tuple[str, RollupRole]]:
        return USABLE


class Reader:
    def __init__(self, name: str, slow: bool = False) -> None:
        self.name, self.slow, self.reads = name, slow, list[TrendRead]()

    def trend(self, tenant_id: uuid.UUID, read: TrendRead) -> list[TrendRow]:
        self.reads.append(read)
        if self.slow:
            raise TrendTooSlow(8)
        return []


class Watermark:
    """The tenant's freshness, and what was read by the time it was asked (it must be asked first)."""

    def __init__(self, at: datetime | None, *readers: Reader) -> None:
        self.at, self.readers, self.reads_before = at, readers, list[int]()

    def freshness(self, tenant_id: uuid.UUID) -> datetime | None:
        self.reads_before.append(sum(len(reader.reads) for reader in self.readers))
        return self.at


def ports(rollup: Reader, raw: Reader, watermark: Watermark | None = None) -> dict[str, Any]:
    return {
        "rollups": Catalog(),
        "rollup_reader": rollup,
        "raw_reader": raw,
        "watermark": watermark or Watermark(None),
        "now": NOW,
    }


def test_the_planned_reader_is_the_one_asked() -> None:
    rollup, raw = Reader("rollup"), Reader("raw")
    tenant = uuid.uuid4()
    assert insight_trend(tenant, query(breakdown="plan"), **ports(rollup, raw)).source == "rollup"
    assert insight_trend(tenant, query(breakdown="device"), **ports(rollup, raw)).source == "raw"
    assert (len(rollup.reads), len(raw.reads)) == (1, 1)
    assert raw.reads[0].breakdown == "device"


def test_too_slow_becomes_a_422_with_advice() -> None:
    with pytest.raises(Unprocessable) as refused:
        insight_trend(
            uuid.uuid4(),
            query(measure="sum", property="price"),
            **ports(Reader("rollup"), Reader("raw", slow=True)),
        )
    assert (refused.value.code, refused.value.field) == ("query_too_slow", "start")
    assert "mark 'price' as a measure" in refused.value.message


def test_too_many_points_is_refused_before_any_read() -> None:
    raw = Reader("raw")
    with pytest.raises(MalformedRequest) as refused:
        insight_trend(
            uuid.uuid4(),
            query(interval="1m", breakdown="device", limit="25", end="2026-03-04T00:00:00Z"),
            **ports(Reader("rollup"), raw),
        )
    assert refused.value.code == "too_many_points"
    assert raw.reads == []


@pytest.mark.parametrize("breakdown", ["plan", "device"])  # the rollup reader, then the raw one
def test_the_answer_carries_the_watermark_read_before_the_trend(breakdown: str) -> None:
    # Given a tenant complete up to 12:00:00 and a trend asked at 12:00:30
    rollup, raw = Reader("rollup"), Reader("raw")
    watermark = Watermark(datetime(2026, 3, 2, 12, tzinfo=UTC), rollup, raw)
    # When the trend is answered
    answer = insight_trend(uuid.uuid4(), query(breakdown=breakdown), **ports(rollup, raw, watermark))
    # Then it says so, and the watermark was read once, before any trend read (a promise the trend keeps)
    assert answer.freshness == Freshness(complete_up_to=watermark.at, lag_seconds=30.0)
    assert watermark.reads_before == [0]
    assert len(rollup.reads) + len(raw.reads) == 1


def test_a_tenant_without_a_watermark_gets_an_unknown_freshness() -> None:
    answer = insight_trend(uuid.uuid4(), query(), **ports(Reader("rollup"), Reader("raw")))
    assert answer.model_dump(mode="json")["freshness"] == {"complete_up_to": None, "lag_seconds": None}
