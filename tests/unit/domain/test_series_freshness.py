"""/v1/metrics/series reads each watermark before the counts it vouches for.

A batch that commits between the counts and the watermark would otherwise move the watermark past events
the counts did not see, and the chart would call a bucket complete that is not. The fakes below commit a
batch (advance their watermark) as soon as their counts are read, so a watermark read after them shows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from customersignal.domain.errors import Unavailable
from customersignal.domain.metrics_read import metrics_series
from customersignal.domain.query_params import QueryParams
from customersignal.domain.timeseries import DenseRun, Metric, SeriesPlan, SparseSeries, parse_series_query

NOW = datetime(2026, 12, 7, 12, 0, 30, tzinfo=UTC)
BEFORE, AFTER = NOW - timedelta(seconds=20), NOW - timedelta(seconds=1)


class Store:
    """Postgres: its watermark moves to AFTER once its series was read."""

    def __init__(self) -> None:
        self.watermark = BEFORE

    def freshness(self, tenant_id: uuid.UUID) -> datetime | None:
        return self.watermark

    def series(
        self, tenant_id: uuid.UUID, event_types: Sequence[str], metric: Metric, plan: SeriesPlan, until_ms: int
    ) -> dict[str, SparseSeries | DenseRun]:
        self.watermark = AFTER
        return {}

    def type_totals(self, tenant_id: uuid.UUID, start: datetime, end: datetime) -> dict[str, int]:
        return {}


class Hot:
    """Redis: complete for the last day; its watermark moves to AFTER once its counts were read."""

    def __init__(self, *, fails: bool = False) -> None:
        self.watermark, self.fails = BEFORE, fails

    def covered_from(self) -> datetime | None:
        return NOW - timedelta(days=1)

    def minute_counts(
        self, tenant_id: uuid.UUID, event_types: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, dict[datetime, int]]:
        if self.fails:
            raise Unavailable("hot_store_unavailable", "Redis did not answer")
        self.watermark = AFTER
        return {}

    def freshness(self, tenant_id: uuid.UUID) -> datetime | None:
        return self.watermark


def series(hot: Hot, store: Store, **params: str) -> datetime | None:
    query = parse_series_query(QueryParams({"types": "signup", "interval": "1m", "from": "2026-12-07T11:00:00Z",
                                            "to": "2026-12-07T12:01:00Z"} | params))  # fmt: skip
    return metrics_series(uuid.uuid4(), query, store=store, hot=hot, now=NOW).freshness.complete_up_to


def test_the_hot_watermark_is_read_before_the_hot_counts() -> None:
    assert series(Hot(), Store()) == BEFORE


def test_the_stored_watermark_is_read_before_the_stored_counts() -> None:
    # unique users are never hot: the whole series is Postgres's
    assert series(Hot(), Store(), metric="unique_users") == BEFORE


def test_with_redis_down_the_stored_watermark_read_first_is_the_answer() -> None:
    assert series(Hot(fails=True), Store()) == BEFORE
