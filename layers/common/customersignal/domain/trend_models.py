"""The trend insight's query, the reads it plans, and its response body (GET /v1/insights/trend)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field, WithJsonSchema

from customersignal.domain.dashboard_models import Freshness
from customersignal.domain.property_filters import FILTER_JSON_SCHEMA, PropertyFilter
from customersignal.domain.timeseries import SeriesQuery

Measure = Literal["count", "unique_users", "sum", "avg", "min", "max"]
MEASURES: tuple[Measure, ...] = ("count", "unique_users", "sum", "avg", "min", "max")
NUMERIC_MEASURES = frozenset({"sum", "avg", "min", "max"})
RollupRole = Literal["dimension", "measure"]
OTHER_KEY = "$other"


@dataclass(frozen=True)
class TrendQuery:
    event_type: str
    measure: Measure
    property: str | None  # the numeric property of sum/avg/min/max
    breakdown: str | None
    limit: int
    filters: tuple[PropertyFilter, ...]
    window: SeriesQuery  # interval, range and zone, exactly as /v1/metrics/series reads them


@dataclass(frozen=True)
class TrendRead:
    """One statement's worth of work for a reader. On raw events ``filters`` apply to the properties and
    ``breakdown`` is a property; on rollups the rows are those of (``dimension``, ``measure_name``),
    ``filters`` apply to their dim_value and ``breakdown`` says whether dim_value is the series key."""

    event_type: str
    measure: Measure
    property: str | None
    breakdown: str | None
    filters: tuple[PropertyFilter, ...]
    limit: int
    boundaries_ms: list[int]
    dimension: str = ""
    measure_name: str = ""


@dataclass(frozen=True)
class TrendRow:
    """One value the reader computed: of bucket ``bucket`` (None: over the whole range) of a series, keyed by
    its value's JSON text (``key_json``) and ranked by total (``rank``, 1 first), or of the rest (other)."""

    other: bool
    key_json: str | None
    rank: int | None
    bucket: int | None
    value: float | None


class TrendTooSlow(Exception):
    """The raw-event reader gave up after ``seconds`` (its statement timeout)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the raw-event trend ran past {seconds:g} s")
        self.seconds = seconds


class TrendPoint(TypedDict):
    """A plain dict, not a model: a month of hours by 11 series is 7,920 of them, built in a few ms."""

    bucket_start: datetime
    value: float | int | None


class TrendSeries(BaseModel):
    key: Any = Field(description='The breakdown value (JSON; null when unset or without breakdown), or "$other".')
    label: str
    total: float | int | None = Field(description="The measure over the whole range (unique users: the union).")
    points: list[TrendPoint]


class TrendResponse(BaseModel):
    type: str
    measure: Measure
    property: str | None
    breakdown: str | None
    filters: list[Annotated[dict[str, Any], WithJsonSchema(FILTER_JSON_SCHEMA)]]
    interval: Literal["1m", "5m", "1h", "1d"]
    time_zone: str
    start: datetime
    end: datetime
    source: Literal["rollup", "raw"] = Field(
        description="rollup: the hourly pre-aggregates of marked properties; raw: the events themselves."
    )
    series: list[TrendSeries]
    freshness: Freshness = Field(
        description="The tenant's watermark, read before the trend: buckets ending after complete_up_to may grow."
    )
