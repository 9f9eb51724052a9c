"""The two unique-user estimators on the same events: Postgres's hll sketches (the record) and the Redis
hot window's HyperLogLogs (PFADD). A series joined where one hands over to the other agrees with itself,
and with the truth, within the documented bound; so does the union over all its buckets."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pg8000.native
import pytest
import redis

from customersignal.adapters.hot_store import HotKeys, RedisHotStore
from customersignal.adapters.pg_metrics_read import PostgresMetricsReader
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.postgres import connect
from customersignal.domain.aggregation import minute_bucket
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.domain.range_users import range_cover
from customersignal.domain.timeseries import (
    INTERVALS,
    SeriesQuery,
    SparseSeries,
    dense_values,
    epoch_ms,
    hot_boundary,
    plan_series,
)
from customersignal.settings import PostgresSettings
from tests.fixtures.aggregator import NOW, add_tenant, envelope, records

pytestmark = pytest.mark.integration

# distinct users per minute: exact for Postgres, past its explicit threshold, near the ~10k bump; the
# minutes share users, so the union over all of them is smaller than the sum
USERS_PER_MINUTE = (30, 250, 900, 3_000, 9_000)
BOUND = 0.07  # docs/aggregation.md, "Unique users: two estimators"
HANDOVER = 2  # buckets before this index come from Postgres, from it on from Redis


def test_a_series_joined_at_the_hot_boundary_agrees_with_itself_and_the_truth(
    agg_db: pg8000.native.Connection,
    pg_settings: PostgresSettings,
    make_ports: Callable[..., AggregatorPorts],
    redis_client: redis.Redis,
    hot_keys: HotKeys,
) -> None:
    # Given minutes with 30 to 9,000 distinct users, counted by the aggregator into both stores
    ref = add_tenant(agg_db)
    first = minute_bucket(NOW) - timedelta(minutes=30)
    minutes = [first + timedelta(minutes=i) for i in range(len(USERS_PER_MINUTE))]
    end = minutes[-1] + timedelta(minutes=1)
    events = [
        envelope(ref, user=f"user-{(i * 7) % 12_000}", at=minute)
        for minute, users in zip(minutes, USERS_PER_MINUTE, strict=True)
        for i in range(users)
    ]
    ports = make_ports()
    for offset, batch in enumerate(itertools.batched(events, 2_000)):
        apply_batch(records(batch, first_offset=offset * 2_000), ports, NOW)
    truth = [len({e.event.user_id for e in events if e.occurred_at == m}) for m in minutes]
    assert truth == list(USERS_PER_MINUTE)

    # When the 1-minute series is read from Postgres and from Redis, and joined at a bucket boundary
    query = SeriesQuery(("signup",), "unique_users", INTERVALS["1m"], minutes[0], end, ZoneInfo("UTC"))
    plan = plan_series(query)
    reader = PostgresMetricsReader(TenantDatabase(lambda: connect(pg_settings)))
    cold_part = reader.series(ref.tenant_id, ("signup",), "unique_users", plan, plan.boundaries_ms[-1])["signup"]
    cold = dense_values(plan, cold_part)
    hot_store = RedisHotStore(redis_client, hot_keys)
    hot = [hot_store.unique_users(str(ref.tenant_id), "signup", [m]) for m in minutes]
    boundary = hot_boundary(plan, minutes[HANDOVER])
    assert boundary == epoch_ms(minutes[HANDOVER])
    hot_part = SparseSeries(list(range(HANDOVER, len(minutes))), hot[HANDOVER:])
    joined = dense_values(plan, SparseSeries(list(range(HANDOVER)), cold[:HANDOVER]), hot_part)

    # Then every bucket of each estimator, and of the joined series, is within the bound of the truth
    for name, series in (("postgres", cold), ("redis", hot), ("joined", joined)):
        for minute, value, exact in zip(minutes, series, truth, strict=True):
            assert abs(value - exact) <= BOUND * exact, f"{name} {minute:%H:%M}: {value} vs {exact}"
    # And Postgres is exact below its explicit threshold (Redis is not promised to be)
    assert cold[:2] == truth[:2]
    # And the two estimators agree with each other at the hand-over, within the bound of both
    for cold_value, hot_value, exact in zip(cold, hot, truth, strict=True):
        assert abs(cold_value - hot_value) <= 2 * BOUND * exact

    # When the whole range's unique users are asked of each store
    everyone = len({e.event.user_id for e in events})
    from_postgres = reader.unique_users(ref.tenant_id, range_cover(minutes[0], end))
    from_redis = hot_store.unique_users(str(ref.tenant_id), "signup", minutes)
    # Then both unions are within the bound of the truth (the users repeat across minutes: not the sum)
    assert everyone < sum(USERS_PER_MINUTE)
    for name, value in (("postgres", from_postgres), ("redis", from_redis)):
        assert abs(value - everyone) <= BOUND * everyone, f"{name}: {value} vs {everyone}"
