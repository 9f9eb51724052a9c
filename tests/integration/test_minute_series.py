"""metrics_minute_series (the packed minutes) always equals metrics_minute, minute for minute: across
hours, late events, replays and client retries, applied by the real aggregator code."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pg8000.native
import pytest

from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from tests.fixtures.aggregator import NOW, add_tenant, envelope, records

pytestmark = pytest.mark.integration

MISMATCHES = """
SELECT count(*) FROM metrics_minute m
LEFT JOIN metrics_minute_series s
    ON s.tenant_id = m.tenant_id AND s.event_type = m.event_type
   AND s.hour_start = date_bin('1 hour', m.bucket_start, TIMESTAMPTZ '2000-01-01 00:00:00+00')
WHERE s.counts[extract(minute FROM m.bucket_start AT TIME ZONE 'UTC')::int + 1] IS DISTINCT FROM m.event_count
"""
TOTALS = """
SELECT (SELECT COALESCE(sum(event_count), 0) FROM metrics_minute),
       (SELECT COALESCE(sum(c), 0) FROM metrics_minute_series, unnest(counts) AS c)
"""


def test_packed_minutes_equal_the_minute_rows(
    agg_db: pg8000.native.Connection, make_ports: Callable[..., AggregatorPorts]
) -> None:
    ports = make_ports()
    rng = random.Random(5)
    tenants = [add_tenant(agg_db), add_tenant(agg_db)]
    events = [
        envelope(
            rng.choice(tenants),
            rng.choice(("signup", "checkout")),
            user=f"u{rng.randrange(9)}",
            at=NOW - timedelta(minutes=rng.randrange(0, 5 * 60)),
        )
        for _ in range(900)
    ]
    late_hour = (NOW - timedelta(days=9)).replace(minute=30)
    late = [envelope(tenants[0], "signup", at=late_hour - timedelta(minutes=m)) for m in range(7)]
    batches: list[list[Any]] = [events[i : i + 300] for i in range(0, 900, 300)] + [late]
    offset = 0
    for batch in batches:
        apply_batch(records(batch, first_offset=offset), ports, NOW)
        offset += len(batch)
    apply_batch(records(batches[1], first_offset=300), ports, NOW)  # a replayed batch: fenced, no change
    apply_batch(records(events[:50], first_offset=offset, partition=1), ports, NOW)  # client retries: dedup
    assert agg_db.run(MISMATCHES) == [[0]]
    assert agg_db.run(TOTALS) == [[907, 907]]
    assert (
        agg_db.run("SELECT count(*) FROM metrics_minute_series WHERE hour_start < now() - interval '8 days'")[0][0] == 1
    )
