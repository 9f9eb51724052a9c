"""The batch transaction against real Postgres, Redis and Kafka: exact counts, replay and retry safety."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pg8000.native
import pytest
import redis

from customersignal.adapters.hot_store import HotKeys, RedisHotStore
from customersignal.domain.aggregation import BucketKey, minute_bucket
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from tests.fixtures.aggregator import NOW, add_tenant, envelope, records
from tests.fixtures.aws import free_port

pytestmark = pytest.mark.integration

MakePorts = Callable[..., AggregatorPorts]


def minute_rows(db: pg8000.native.Connection, grain: str = "minute") -> dict[tuple[str, Any], tuple[int, int]]:
    rows = db.run(f"SELECT event_type, bucket_start, event_count, unique_users FROM metrics_{grain}")  # noqa: S608
    return {(t, b): (n, u) for t, b, n, u in rows}


def total_events(db: pg8000.native.Connection) -> int:
    return int(db.run("SELECT COALESCE(sum(event_count), 0) FROM metrics_minute")[0][0])


def test_a_batch_is_counted_at_every_grain_with_exact_unique_users(
    agg_db: pg8000.native.Connection, make_ports: MakePorts, redis_client: redis.Redis, hot_keys: HotKeys
) -> None:
    # Given 3 signups by 2 users in one minute, 1 in the next, and a purchase
    ref = add_tenant(agg_db)
    later = NOW + timedelta(minutes=1)
    batch = [
        envelope(ref, user="ann"),
        envelope(ref, user="ann"),
        envelope(ref, user="bob", properties={"plan": "pro", "seats": 3}),
        envelope(ref, user="ann", at=later),
        envelope(ref, "purchase", user=None, anonymous="a-1", properties={"amount": 9.5}),
    ]
    # When the batch is applied
    outcome = apply_batch(records(batch), make_ports(), NOW + timedelta(minutes=2))
    # Then minute, hour and day buckets hold exact counts and unique users
    assert (outcome.counted, outcome.duplicates, outcome.dead_lettered) == (5, 0, 0)
    minute = minute_bucket(NOW)
    assert minute_rows(agg_db)[("signup", minute)] == (3, 2)
    assert minute_rows(agg_db)[("signup", minute + timedelta(minutes=1))] == (1, 1)
    hour = minute.replace(minute=0)
    if minute.hour == (minute + timedelta(minutes=1)).hour:
        assert minute_rows(agg_db, "hour")[("signup", hour)] == (4, 2)
    assert minute_rows(agg_db, "day")[("purchase", hour.replace(hour=0))] == (1, 1)
    # And the raw events are stored with their Kafka position, and the catalog knows both types
    assert agg_db.run("SELECT count(*), min(kafka_offset), max(kafka_offset) FROM events") == [[5, 0, 4]]
    catalog = dict(agg_db.run("SELECT name, volume_total FROM event_types WHERE status = 'unplanned'"))
    assert catalog == {"signup": 4, "purchase": 1}
    props = agg_db.run("SELECT event_type, property_name, observed_types FROM event_type_properties ORDER BY 1, 2")
    assert props == [
        ["purchase", "amount", ["number"]],
        ["signup", "plan", ["string"]],
        ["signup", "seats", ["number"]],
    ]
    # And Redis holds the same counts, the unique users and the freshness watermark
    hot = RedisHotStore(redis_client, hot_keys)
    assert hot.count(BucketKey(str(ref.tenant_id), "signup", minute)) == 3
    assert hot.unique_users(str(ref.tenant_id), "signup", [minute, minute + timedelta(minutes=1)]) == 2
    assert hot.freshness([ref.tenant_id]) == {ref.tenant_id: max(e.received_at for e in batch)}


def test_a_replayed_batch_changes_nothing(agg_db: pg8000.native.Connection, make_ports: MakePorts) -> None:
    # Given a batch that was applied
    ref = add_tenant(agg_db)
    batch = records([envelope(ref, user=f"u{i}") for i in range(20)])
    ports = make_ports()
    apply_batch(batch, ports, NOW)
    # When the mapping delivers it again (a retry after a timeout), and then an overlapping one
    again = apply_batch(batch, ports, NOW)
    overlap = records([envelope(ref, user=f"v{i}") for i in range(10)], first_offset=15)
    overlapping = apply_batch(batch[10:15] + overlap, ports, NOW)
    # Then only records past the offset fence count
    assert (again.counted, again.fenced) == (0, 20)
    assert (overlapping.counted, overlapping.fenced) == (5, 10)
    assert total_events(agg_db) == 25
    assert agg_db.run("SELECT partition, next_offset FROM consumer_offsets") == [[0, 25]]


def test_a_client_retry_is_counted_once_even_in_another_partition_and_batch(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given an event, and the same event id sent again (a client retry), once in the same batch and once later
    ref = add_tenant(agg_db)
    first = envelope(ref)
    retry = envelope(ref, event_id=first.event.event_id, at=NOW + timedelta(seconds=3))
    ports = make_ports()
    one = apply_batch(records([first, retry, envelope(ref)]), ports, NOW)
    two = apply_batch(records([retry], partition=1), ports, NOW)
    # Then it is counted once, and stored once
    assert (one.counted, one.duplicates, two.counted, two.duplicates) == (2, 0, 0, 1)
    assert total_events(agg_db) == 2
    assert agg_db.run("SELECT count(*) FROM events WHERE event_id = :e", e=str(first.event.event_id)) == [[1]]


def test_a_late_event_amends_its_past_bucket(agg_db: pg8000.native.Connection, make_ports: MakePorts) -> None:
    ref = add_tenant(agg_db)
    ports = make_ports()
    apply_batch(records([envelope(ref)]), ports, NOW)
    two_hours_ago = NOW - timedelta(hours=2)
    apply_batch(records([envelope(ref, at=two_hours_ago, received=NOW)], first_offset=1), ports, NOW)
    assert minute_rows(agg_db)[("signup", minute_bucket(two_hours_ago))] == (1, 1)
    assert minute_rows(agg_db)[("signup", minute_bucket(NOW))] == (1, 1)


def test_poison_records_are_dead_lettered_and_the_partition_moves_on(
    agg_db: pg8000.native.Connection, make_ports: MakePorts, kafka_consume: Callable[..., list[Any]]
) -> None:
    # Given a batch mixing good events with every kind of bad record
    ref = add_tenant(agg_db)
    suspended = add_tenant(agg_db, status="suspended")
    agg_db.run("INSERT INTO event_types (tenant_id, name, status) VALUES (:t, 'spam', 'blocked')", t=str(ref.tenant_id))
    stranger = type(ref)(uuid.uuid4(), uuid.uuid4())
    wrong_project = type(ref)(ref.tenant_id, uuid.uuid4())
    batch = records(
        [
            envelope(ref),
            None,  # a value that was not base64
            b"not json",
            b'{"v": 1, "tenant_id": "nope"}',
            envelope(stranger),
            envelope(wrong_project),
            envelope(suspended),
            envelope(ref, "spam"),
            envelope(ref, properties={"note": "a\x00b"}),  # Postgres refuses NUL: it must not fail the batch
            envelope(ref),
        ]
    )
    ports = make_ports()
    outcome = apply_batch(batch, ports, NOW)
    # Then the good events count, each bad record is a dead letter with its reason, and the fence moved on
    assert (outcome.counted, outcome.dead_lettered) == (2, 8)
    letters = agg_db.run("SELECT source_offset, reason_code, tenant_id::text FROM dead_letters ORDER BY 1")
    assert letters == [
        [1, "decode_error", None],
        [2, "decode_error", None],
        [3, "schema_invalid", None],
        [4, "unknown_tenant", None],
        [5, "unknown_project", str(ref.tenant_id)],
        [6, "blocked_tenant", str(suspended.tenant_id)],
        [7, "blocked_event_type", str(ref.tenant_id)],
        [8, "schema_invalid", None],
    ]
    assert agg_db.run("SELECT next_offset FROM consumer_offsets") == [[10]]
    # And the DLQ topic holds each one with its reason and source position in headers
    dlq = kafka_consume(make_ports.dlq_topic, 8)  # type: ignore[attr-defined]
    reasons = [dict(m.headers())["cs-dlq-reason"].decode() for m in dlq]
    assert sorted(reasons) == sorted(r[1] for r in letters)
    assert {dict(m.headers())["cs-dlq-source-offset"] for m in dlq} == {str(i).encode() for i in range(1, 9)}
    # And a replay of the batch records no letter twice
    assert apply_batch(batch, ports, NOW).dead_lettered == 0
    assert agg_db.run("SELECT count(*) FROM dead_letters") == [[8]]


def test_a_retry_after_the_commit_but_before_the_redis_write_repairs_redis(
    agg_db: pg8000.native.Connection, make_ports: MakePorts, redis_client: redis.Redis, hot_keys: HotKeys
) -> None:
    # Given a batch committed to Postgres while Redis could not be written (as if the function died there)
    ref = add_tenant(agg_db)
    batch = records([envelope(ref, user=f"u{i % 3}") for i in range(12)])
    unreachable = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    first = apply_batch(batch, make_ports(hot_store=RedisHotStore(unreachable, hot_keys)), NOW)
    assert (first.counted, first.hot_store_updated) == (12, False)
    hot = RedisHotStore(redis_client, hot_keys)
    key = BucketKey(str(ref.tenant_id), "signup", minute_bucket(NOW))
    assert hot.count(key) == 0
    # When the mapping retries the batch
    retry = apply_batch(batch, make_ports(), NOW)
    # Then Postgres changes nothing and Redis gets the totals and users it missed
    assert (retry.counted, retry.fenced, retry.hot_store_updated) == (0, 12, True)
    assert total_events(agg_db) == 12
    assert hot.count(key) == 12
    assert hot.unique_users(str(ref.tenant_id), "signup", [minute_bucket(NOW)]) == 3


def test_users_of_a_rolled_back_batch_count_once_when_added_again(
    agg_db: pg8000.native.Connection, pg_settings: Any
) -> None:
    # Given a transaction that added two users to the sketches and then failed (rolled back)
    from customersignal.adapters.pg_aggregation import PostgresAggregationStore
    from customersignal.adapters.postgres import connect
    from customersignal.domain.aggregation import pre_aggregate

    ref = add_tenant(agg_db)
    aggregate = pre_aggregate([envelope(ref, user="ann"), envelope(ref, user="bob")])
    store = PostgresAggregationStore(lambda: connect(pg_settings))

    def fail_after_metrics() -> None:
        with store.transaction() as tx:
            tx.add_metrics(aggregate)
            raise RuntimeError("the batch failed after its metrics")

    with pytest.raises(RuntimeError):
        fail_after_metrics()
    # When the batch is applied again, and then once more (its users are then in the sketches already)
    for _ in range(2):
        with store.transaction() as tx:
            tx.add_metrics(aggregate)
    store.close()
    # Then each user counts once at every grain (exact: two users are far below the explicit threshold)
    for grain in ("minute", "hour", "day"):
        assert minute_rows(agg_db, grain)[("signup", aggregate_bucket(grain))] == (4, 2)


def aggregate_bucket(grain: str) -> Any:
    from customersignal.domain.aggregation import truncate

    return truncate(minute_bucket(NOW), grain)
