"""Trend insights: one event type's count, unique users, or sum/avg/min/max of a numeric property, over time,
optionally broken down by a property (top N values by total, plus "$other") and filtered. Pure.

Buckets are those of /v1/metrics/series (``timeseries.plan_series``): the same intervals, zones and DST
handling, and the same whole first and last buckets. The answer comes from one of two readers:

* rollups (property_rollup_hour) when every rollup the query needs is backfilled and uncapped, and every
  bucket boundary is a UTC hour (1h and 1d in zones whose offsets are whole hours): the breakdown's
  dimension rows, or a single filter's dimension rows (a filter on the breakdown itself included); for
  sum/avg/min/max the measure's rows per that dimension (or over all events when there is none);
* raw events otherwise: any filters, any interval, under a statement timeout. A query that runs past it is
  a 422 that says what to do: mark the property as a dimension or measure, or narrow the range.

Both are Postgres only: the Redis hot window holds per-type minute counts, not properties. So the answer's
``freshness`` is Postgres's watermark (``FreshnessReader``, the one /v1/metrics/series falls back to), read
before the trend: the client draws the buckets past it as still filling, as on the series chart.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime

import orjson

from customersignal.domain.dashboard_models import Freshness
from customersignal.domain.errors import MalformedRequest, Unprocessable
from customersignal.domain.metrics_read import freshness_of
from customersignal.domain.property_filters import MAX_PROPERTY_CHARS, PropertyFilter, parse_filter_params
from customersignal.domain.query_params import QueryParams, invalid
from customersignal.domain.timeseries import (
    INTERVALS,
    SeriesPlan,
    SeriesQuery,
    from_epoch_ms,
    parse_range,
    plan_series,
)
from customersignal.domain.trend_models import (
    MEASURES,
    NUMERIC_MEASURES,
    OTHER_KEY,
    Measure,
    RollupRole,
    TrendPoint,
    TrendQuery,
    TrendRead,
    TrendResponse,
    TrendRow,
    TrendSeries,
    TrendTooSlow,
)
from customersignal.read_ports import FreshnessReader, RollupCatalog, TrendReader

MAX_POINTS = 100_000  # series x buckets: about 5 MB of JSON, under the Lambda response limit
UNSET_LABEL = "(not set)"
OTHER_LABEL = "Other"


def parse_trend_query(params: QueryParams, filter_values: Sequence[str]) -> TrendQuery:
    event_type = params.required_text("type", max_length=128)
    interval = INTERVALS[params.choice("interval", tuple(INTERVALS), "1d")]
    start, end = parse_range(params, interval, ("start", "end"))
    measure = MEASURES[MEASURES.index(params.choice("measure", MEASURES, "count"))]
    raw_property = params.text("property", max_length=MAX_PROPERTY_CHARS)
    if measure in NUMERIC_MEASURES and raw_property is None:
        raise MalformedRequest("missing_parameter", f"'property' is required with measure={measure}", "property")
    if measure not in NUMERIC_MEASURES and raw_property is not None:
        raise invalid("property", "'property' goes with measure sum, avg, min or max only")
    return TrendQuery(
        event_type=event_type,
        measure=measure,
        property=raw_property,
        breakdown=params.text("breakdown", max_length=MAX_PROPERTY_CHARS),
        limit=params.integer("limit", default=10, minimum=1, maximum=25),
        filters=parse_filter_params(filter_values, "filter"),
        window=SeriesQuery((event_type,), "count", interval, start, end, params.zone("tz")),
    )


def insight_trend(
    tenant_id: uuid.UUID,
    query: TrendQuery,
    *,
    rollups: RollupCatalog,
    rollup_reader: TrendReader,
    raw_reader: TrendReader,
    watermark: FreshnessReader,
    now: datetime,
) -> TrendResponse:
    plan = plan_series(query.window)
    series_count = query.limit + 1 if query.breakdown else 1
    if (len(plan.boundaries_ms) - 1) * series_count > MAX_POINTS:
        raise MalformedRequest(
            "too_many_points",
            f"{len(plan.boundaries_ms) - 1} buckets x {series_count} series is over {MAX_POINTS:,} points: "
            "pick a coarser interval, a shorter range or a lower limit",
            "interval",
        )
    # Before the trend, not after: a batch committed in between would move the watermark past events the
    # trend did not see. Read first, it is a promise the trend keeps (each statement sees at least as much).
    freshness = freshness_of(watermark.freshness(tenant_id), now)
    usable = rollups.usable_rollups(tenant_id, query.event_type) if rollup_grain(plan) else frozenset()
    read = rollup_read(query, plan, usable)
    if read is not None:
        return build_trend(query, plan, "rollup", rollup_reader.trend(tenant_id, read), freshness)
    read = raw_read(query, plan)
    try:
        rows = raw_reader.trend(tenant_id, read)
    except TrendTooSlow as slow:
        raise Unprocessable("query_too_slow", too_slow_advice(query, slow.seconds), too_slow_field(query)) from None
    return build_trend(query, plan, "raw", rows, freshness)


def rollup_grain(plan: SeriesPlan) -> bool:
    return plan.grain in ("hour", "day")


def rollup_read(query: TrendQuery, plan: SeriesPlan, usable: frozenset[tuple[str, RollupRole]]) -> TrendRead | None:
    """The rollup rows that answer the query exactly, or None when some are missing (not marked, not yet
    backfilled, or capped) or the query needs more than one dimension at once."""
    if not rollup_grain(plan):
        return None
    rows = rollup_rows(query.measure, query.property, query.breakdown, query.filters, usable)
    if rows is None:
        return None
    return dataclasses.replace(raw_read(query, plan), dimension=rows[0], measure_name=rows[1])


def rollup_rows(
    measure: str,
    prop: str | None,
    breakdown: str | None,
    filters: Sequence[PropertyFilter],
    usable: frozenset[tuple[str, RollupRole]],
) -> tuple[str, str] | None:
    """The (dimension, measure) of the property_rollup_hour rows that hold the answer for any whole hours,
    or None: at most one filter, on the breakdown's dimension if there is one; every rollup usable."""
    if len(filters) > 1:
        return None
    dimensions = sorted(name for name, role in usable if role == "dimension")
    filtered = filters[0].property if filters else None
    if breakdown is not None and filtered is not None and filtered != breakdown:
        return None
    dimension = breakdown or filtered
    if dimension is not None and dimension not in dimensions:
        return None
    measure_name = ""
    if measure in NUMERIC_MEASURES:
        measure_name = prop or ""
        if (measure_name, "measure") not in usable:
            return None
    elif dimension is None:
        if not dimensions:
            return None
        dimension = dimensions[0]  # every event has one value (null when unset) in any dimension's rows
    return dimension or "", measure_name


def raw_read(query: TrendQuery, plan: SeriesPlan) -> TrendRead:
    return TrendRead(
        event_type=query.event_type,
        measure=query.measure,
        property=query.property,
        breakdown=query.breakdown,
        filters=query.filters,
        limit=query.limit,
        boundaries_ms=plan.boundaries_ms,
    )


def build_trend(
    query: TrendQuery, plan: SeriesPlan, source: str, rows: Sequence[TrendRow], freshness: Freshness
) -> TrendResponse:
    empty: float | int | None = None if query.measure in ("avg", "min", "max") else 0
    buckets = len(plan.boundaries_ms) - 1
    grouped: dict[tuple[bool, str | None], tuple[int | None, list[float | int | None], list[float | int | None]]] = {}
    for row in rows:
        _, values, total = grouped.setdefault((row.other, row.key_json), (row.rank, [empty] * buckets, [empty]))
        value = _number(query.measure, row.value, empty)
        if row.bucket is None:
            total[0] = value
        elif 0 <= row.bucket < buckets:
            values[row.bucket] = value
    if query.breakdown is None and not grouped:
        grouped[(False, "null")] = (1, [empty] * buckets, [empty])
    starts = [from_epoch_ms(ms) for ms in plan.starts_ms]
    ordered = sorted(grouped.items(), key=lambda item: (item[0][0], item[1][0] or 0))
    series = []
    for (other, key_json), (_, values, total) in ordered:
        key = OTHER_KEY if other else (None if key_json is None else orjson.loads(key_json))
        points = [TrendPoint(bucket_start=at, value=value) for at, value in zip(starts, values, strict=True)]
        # model_construct: values and times we computed; validating 8,000 points again costs tens of ms
        series.append(
            TrendSeries.model_construct(key=key, label=_label(query, other, key), total=total[0], points=points)
        )
    return TrendResponse(
        type=query.event_type,
        measure=query.measure,
        property=query.property,
        breakdown=query.breakdown,
        filters=[item.to_json() for item in query.filters],
        interval=query.window.interval.name,  # type: ignore[arg-type]
        time_zone=query.window.tz.key,
        start=plan.start,
        end=plan.end,
        source=source,  # type: ignore[arg-type]
        series=series,
        freshness=freshness,
    )


def too_slow_advice(query: TrendQuery, seconds: float) -> str:
    marks = [name for name in (query.breakdown, *(f.property for f in query.filters[:1])) if name]
    advice = []
    if marks:
        advice.append(f"mark '{marks[0]}' as a dimension of '{query.event_type}' (PUT /v1/catalog/{{name}}/properties/")
        advice[-1] += "{property}/rollup) so trends read its hourly rollup"
    if query.property:
        advice.append(f"mark '{query.property}' as a measure")
    advice.append("or narrow the range")
    return f"scanning the raw events took over {seconds:g} s: " + ", ".join(advice)


def too_slow_field(query: TrendQuery) -> str:
    if query.breakdown:
        return "breakdown"
    return "filter" if query.filters else "start"


def _number(measure: Measure, value: float | None, empty: float | int | None) -> float | int | None:
    if value is None:
        return empty
    return int(value) if measure in ("count", "unique_users") else value


def _label(query: TrendQuery, other: bool, key: object) -> str:
    if other:
        return OTHER_LABEL
    if query.breakdown is None:
        return query.event_type
    if key is None:
        return UNSET_LABEL
    return key if isinstance(key, str) else orjson.dumps(key).decode()
