"""bench/freshness_bench.py's pure parts: the background load's pace and bodies (bench/background_load.py)
and where its rate comes from (bench/freshness_report.py). Nothing is timed here."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.bench_modules import load_bench

if TYPE_CHECKING:
    import background_load
    import freshness_report
else:
    load_bench("bench_results")
    background_load, freshness_report = load_bench("background_load"), load_bench("freshness_report")

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


def results(measured_at: datetime, figures: list[dict[str, Any]]) -> dict[str, Any]:
    return {"part": "aggregator", "measured_at": measured_at.isoformat(), "environment": {}, "figures": figures}


def test_the_load_rate_is_the_realistic_sets_one_stream_figure_of_this_run() -> None:
    document = results(NOW - timedelta(minutes=3), [
        {"name": "aggregator events/s, one stream [worst case]", "value": 2000.0},
        {"name": freshness_report.CAPACITY_FIGURE, "value": 3100.0},
    ])  # fmt: skip
    capacity, when = freshness_report.capacity_from(document, NOW)
    assert capacity == 3100.0
    assert when == "2026-12-07 19:57 UTC"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (results(NOW - timedelta(days=2), [{"name": "aggregator events/s, one stream [realistic]", "value": 1.0}]),
         "not this run"),
        (results(NOW, [{"name": "aggregator events/s, one stream [worst case]", "value": 1.0}]), "no figure"),
        (results(NOW, [{"name": "aggregator events/s, one stream [realistic]", "value": None}]), "no figure"),
    ],
)  # fmt: skip
def test_an_old_or_incomplete_aggregator_result_is_refused(document: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        freshness_report.capacity_from(document, NOW)


def test_each_thread_paces_its_share_of_the_rate() -> None:
    # 4 threads x 50 events every 0.1 s = 2,000 events/s
    assert background_load.intervals(2000, 50, 4) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="positive"):
        background_load.intervals(0, 50, 4)


def test_a_load_body_is_a_batch_the_api_takes() -> None:
    weights = [1 / rank for rank in range(1, len(background_load.LOAD_TYPES) + 1)]
    body = json.loads(background_load.load_body(random.Random(1), 50, weights))
    events = body["events"]
    assert len(events) == 50
    assert len({e["event_id"] for e in events}) == 50
    assert {e["event_type"] for e in events} <= set(background_load.LOAD_TYPES)
    assert all(e["user_id"].startswith("load_") for e in events)
