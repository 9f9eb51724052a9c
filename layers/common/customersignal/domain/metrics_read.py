"""The dashboard's metric reads: a time series (hot and cold joined at a bucket boundary) and a period
summary against the previous period. Pure: the stores come in through ``read_ports``.

Hot and cold. Postgres holds every count exactly; Redis holds the last 48 h of minute counts, written
from Postgres totals after each commit. A count series reads Postgres up to the first bucket at or
after the hot store's coverage start, and Redis from there (a refreshing dashboard then costs Postgres
nothing for its live hour). The boundary is a bucket start, so no bucket mixes sources. If Redis
cannot answer, the whole series comes from Postgres. Unique users always come from Postgres, whose
hll sketches are the record (Redis's PFADD HyperLogLogs estimate the same users with other hashes and
registers, so the two cannot be unioned; docs/aggregation.md, "Unique users: two estimators").

The summary's unique users over the whole range are the union of the sketches covering it
(``range_users.range_cover``), from Postgres like the summary's counts: the newest seconds that only the
hot window holds yet are not in it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from customersignal.domain.dashboard_models import (
    Freshness,
    SeriesOut,
    SeriesResponse,
    SeriesSources,
    SummaryResponse,
    TypeChange,
)
from customersignal.domain.errors import Unavailable
from customersignal.domain.hot_window import HOT_WINDOW
from customersignal.domain.query_params import QueryParams, invalid
from customersignal.domain.range_users import range_cover
from customersignal.domain.timeseries import (
    SeriesPlan,
    SeriesQuery,
    bucket_minutes,
    dense_values,
    from_epoch_ms,
    hot_boundary,
    plan_series,
)
from customersignal.read_ports import HotCounts, MetricsReader, RangeUsers

HOT_MARGIN = timedelta(hours=1)  # the oldest hour hashes expire first: stay clear of the window's edge
MAX_SUMMARY_RANGE = timedelta(days=400)


def metrics_series(
    tenant_id: uuid.UUID, query: SeriesQuery, *, store: MetricsReader, hot: HotCounts, now: datetime
) -> SeriesResponse:
    plan = plan_series(query)
    boundary = _hot_start(plan, hot, now) if query.metric == "count" else None
    hot_part: dict[str, dict[datetime, int]] | None = None
    # Each watermark is read before the counts it vouches for: a batch committed in between would otherwise
    # move it past events the counts did not see (read first, the counts can only hold more than it says).
    watermark = store.freshness(tenant_id)
    if boundary is not None:
        try:
            hot_watermark = hot.freshness(tenant_id)
            hot_part = hot.minute_counts(tenant_id, query.event_types, from_epoch_ms(boundary), plan.end)
            watermark = hot_watermark or watermark
        except Unavailable:
            boundary = None
    until = boundary if boundary is not None else plan.boundaries_ms[-1]
    cold = (
        store.series(tenant_id, query.event_types, query.metric, plan, until) if until > plan.boundaries_ms[0] else {}
    )
    # model_construct: the values are ints we computed; validating 432,000 of them again costs ~10 ms
    series = [
        SeriesOut.model_construct(
            event_type=name,
            v=dense_values(plan, cold.get(name), bucket_minutes(plan, hot_part.get(name, {})) if hot_part else None),
        )
        for name in query.event_types
    ]
    return SeriesResponse(
        metric=query.metric,
        interval=query.interval.name,  # type: ignore[arg-type]
        tz=query.tz.key,
        from_=query.start,
        to=query.end,
        buckets_ms=plan.starts_ms,
        series=series,
        freshness=freshness_of(watermark, now),
        sources=SeriesSources(hot_from=from_epoch_ms(boundary) if boundary is not None else None),
    )


def _hot_start(plan: SeriesPlan, hot: HotCounts, now: datetime) -> int | None:
    covered = hot.covered_from()
    if covered is None:
        return None
    return hot_boundary(plan, max(covered, now - HOT_WINDOW + HOT_MARGIN))


def parse_summary_range(params: QueryParams) -> tuple[datetime, datetime, int]:
    start, end = params.timestamp("from"), params.timestamp("to")
    if start is None or end is None:
        raise invalid("from" if start is None else "to", "'from' and 'to' are required")
    if end <= start:
        raise invalid("to", "'to' must be after 'from'")
    if end - start > MAX_SUMMARY_RANGE:
        raise invalid("from", f"the range may span at most {MAX_SUMMARY_RANGE.days} days")
    return start, end, params.integer("limit", default=10, minimum=1, maximum=50)


def metrics_summary(
    tenant_id: uuid.UUID,
    start: datetime,
    end: datetime,
    limit: int,
    *,
    store: MetricsReader,
    users: RangeUsers,
    now: datetime,
) -> SummaryResponse:
    previous_start = start - (end - start)
    current = store.type_totals(tenant_id, start, end)
    previous = store.type_totals(tenant_id, previous_start, start)
    ranked = sorted(current.items(), key=lambda item: (-item[1], item[0]))[:limit]
    total, previous_total = sum(current.values()), sum(previous.values())
    return SummaryResponse(
        from_=start,
        to=end,
        previous_from=previous_start,
        previous_to=start,
        total=total,
        previous_total=previous_total,
        change_pct=change_pct(total, previous_total),
        event_types_seen=sum(1 for count in current.values() if count),
        unique_users_in_range=users.unique_users(tenant_id, range_cover(start, end)),
        top_types=[
            TypeChange(
                event_type=name,
                count=count,
                previous_count=previous.get(name, 0),
                change_pct=change_pct(count, previous.get(name, 0)),
            )
            for name, count in ranked
        ],
        freshness=freshness_of(store.freshness(tenant_id), now),
    )


def change_pct(current: int, previous: int) -> float | None:
    """Percent change, or None when there is nothing to compare with (a 'new' rather than '+inf %')."""
    return None if previous == 0 else round((current - previous) * 100.0 / previous, 2)


def freshness_of(complete_up_to: datetime | None, now: datetime) -> Freshness:
    if complete_up_to is None:
        return Freshness(complete_up_to=None, lag_seconds=None)
    return Freshness(
        complete_up_to=complete_up_to, lag_seconds=round(max(0.0, (now - complete_up_to).total_seconds()), 3)
    )
