"""One tenant spread over the three partitions of a three-partition topic, through the real API, Kafka,
Postgres and Redis: exact counts, a retry counted once, and a freshness watermark that holds still while
one partition is stalled and advances when it resumes. Then a lowered spread, against the real SQL."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

import pg8000.native
import pytest
import redis
from confluent_kafka import Message

from customersignal.adapters.hot_store import HotKeys, RedisHotStore
from customersignal.adapters.kafka_dlq import KafkaDeadLetterPublisher
from customersignal.adapters.pg_aggregation import PostgresAggregationStore
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_spread import TenantSpreads
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.domain.envelope import Envelope
from customersignal.domain.freshness import DRAIN_MARGIN
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.spread import slot_of, slot_partition
from customersignal.settings import PlatformSettings, PostgresSettings
from tests.fixtures.aggregator import NOW, TenantRef, add_tenant, envelope
from tests.fixtures.api import ApiServer
from tests.fixtures.kafka import read_topic
from tests.integration.test_api_ingest import event, post

pytestmark = pytest.mark.integration

PARTITIONS = 3


def as_record(message: Message) -> KafkaRecord:
    raw = message.headers() or []
    pairs = list(raw.items()) if isinstance(raw, dict) else raw
    headers = tuple((name, value if isinstance(value, bytes) else b"") for name, value in pairs)
    return KafkaRecord(
        message.topic() or "", message.partition() or 0, message.offset() or 0, message.timestamp()[1],
        message.key(), message.value(), headers,
    )  # fmt: skip


def by_partition(messages: Iterable[Message]) -> dict[int, list[KafkaRecord]]:
    found: dict[int, list[KafkaRecord]] = defaultdict(list)
    for message in messages:
        found[message.partition() or 0].append(as_record(message))
    return found


def envelope_of(record: KafkaRecord) -> Envelope:
    return Envelope.model_validate_json(record.value or b"")


def freshness(db: pg8000.native.Connection, tenant: uuid.UUID) -> datetime | None:
    rows = db.run("SELECT complete_up_to FROM tenant_freshness WHERE tenant_id = :t", t=tenant)
    return rows[0][0] if rows else None


def slot_marks(db: pg8000.native.Connection, tenant: uuid.UUID) -> dict[int, datetime]:
    return dict(db.run("SELECT slot, complete_up_to FROM tenant_slot_freshness WHERE tenant_id = :t", t=tenant))


def same_millisecond(hot: datetime, postgres: datetime | None) -> bool:
    """Redis keeps the watermark in epoch milliseconds, Postgres in microseconds."""
    return postgres is not None and abs(hot - postgres) < timedelta(milliseconds=1)


def counted(db: pg8000.native.Connection, tenant: uuid.UUID) -> int:
    return int(db.run("SELECT COALESCE(sum(event_count), 0) FROM metrics_minute WHERE tenant_id = :t", t=tenant)[0][0])


@pytest.fixture
def ports_for(
    settings: PlatformSettings, redis_client: redis.Redis, hot_keys: HotKeys, kafka_topic: Callable[[int], str]
) -> Iterator[Callable[[PostgresSettings], AggregatorPorts]]:
    """The aggregator's real adapters over a given database (the API's, so they share its tenants)."""
    closers: list[PostgresAggregationStore | KafkaDeadLetterPublisher] = []
    dlq = kafka_topic(1)

    def make(database: PostgresSettings) -> AggregatorPorts:
        store = PostgresAggregationStore(lambda: connect(database))
        publisher = KafkaDeadLetterPublisher(
            settings.model_copy(update={"kafka_dlq_topic": dlq}),
            {"bootstrap.servers": settings.kafka_bootstrap},
            client_id="test-spread",
        )
        closers.extend([store, publisher])
        return AggregatorPorts(store, publisher, RedisHotStore(redis_client, hot_keys), "test-spread")

    yield make
    for item in closers:
        item.close()


def test_a_tenant_spread_over_three_partitions_counts_exactly_and_waits_for_a_stalled_one(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    ports_for: Callable[[PostgresSettings], AggregatorPorts],
    redis_client: redis.Redis,
    hot_keys: HotKeys,
) -> None:
    # Given an API on a 3-partition topic, and a tenant spread over 3 partitions (set before its first request)
    topic = kafka_topic(PARTITIONS)
    api = api_server_factory({"CS_KAFKA_EVENTS_TOPIC": topic})
    slug = api.new_tenant()
    tenant = api.tenants[slug]
    spreads = TenantSpreads(lambda: connect(api.database))
    try:
        assert spreads.set(slug, PARTITIONS).spread == PARTITIONS
    finally:
        spreads.close()
    key = api.key(slug)

    # When it sends 60 events by 6 users, and sends the same request again (a client retry)
    first = [event(user_id=f"u{i % 6}") for i in range(60)]
    assert post(api, {"events": first}, key=key)[0] == 200
    assert post(api, {"events": first}, key=key)[0] == 200
    round_1 = by_partition(read_topic(settings.kafka_bootstrap, topic, 120))

    # Then the events landed on all three partitions, each under its slot's key, on its slot's partition
    assert sorted(round_1) == [0, 1, 2]
    assert sum(len(r) for r in round_1.values()) == 120
    copies: dict[str, set[int]] = defaultdict(set)
    for partition, records in round_1.items():
        for record in records:
            sent = envelope_of(record)
            slot = slot_of(sent.event.event_id, PARTITIONS)
            assert record.key == f"{tenant}:{slot}".encode()
            assert partition == slot_partition(tenant, slot, PARTITIONS)
            copies[str(sent.event.event_id)].add(partition)
    # And each event's retry took the partition of its first attempt
    assert len(copies) == 60
    assert all(len(partitions) == 1 for partitions in copies.values())

    # When the aggregator applies one batch per partition
    ports = ports_for(api.database)
    db = connect(api.database)
    try:
        now = max(envelope_of(r).received_at for rs in round_1.values() for r in rs) + timedelta(seconds=1)
        for records in round_1.values():
            apply_batch(records, ports, now)
        # Then every event is counted once, retries included, with exact unique users
        assert counted(db, tenant) == 60
        assert db.run("SELECT count(*)::int FROM events WHERE tenant_id = :t", t=tenant) == [[60]]
        assert db.run("SELECT sum(unique_users)::int FROM metrics_day WHERE tenant_id = :t", t=tenant) == [[6]]
        # And the tenant is complete up to the slowest of its three slots
        marks_1 = slot_marks(db, tenant)
        assert sorted(marks_1) == [0, 1, 2]
        watermark_1 = freshness(db, tenant)
        assert watermark_1 == min(marks_1.values())

        # When 30 more events arrive in a later request, and one partition's batch is withheld (stalled)
        assert post(api, {"events": [event(user_id="late") for _ in range(30)]}, key=key)[0] == 200
        everything = by_partition(read_topic(settings.kafka_bootstrap, topic, 150))
        round_2 = {p: [r for r in rs if r.offset >= len(round_1[p])] for p, rs in everything.items()}
        stalled = next(p for p in sorted(round_2) if round_2[p])
        received_2 = envelope_of(round_2[stalled][0]).received_at
        assert received_2 > watermark_1
        for partition, records in round_2.items():
            if partition != stalled and records:
                apply_batch(records, ports, received_2 + timedelta(seconds=1))
        # Then the other slots moved on, but the tenant's watermark holds still, in Postgres and in Redis
        stalled_slot = next(s for s in range(PARTITIONS) if slot_partition(tenant, s, PARTITIONS) == stalled)
        marks_2 = slot_marks(db, tenant)
        assert marks_2[stalled_slot] == marks_1[stalled_slot]
        assert any(marks_2[s] == received_2 for s in marks_2 if s != stalled_slot)
        assert freshness(db, tenant) == watermark_1
        hot = RedisHotStore(redis_client, hot_keys)
        assert same_millisecond(hot.freshness([tenant])[tenant], watermark_1)
        assert counted(db, tenant) == 60 + sum(len(rs) for p, rs in round_2.items() if p != stalled)

        # When the stalled partition resumes
        apply_batch(round_2[stalled], ports, received_2 + timedelta(seconds=1))
        # Then the watermark advances to the new request, and every event is counted exactly once
        assert freshness(db, tenant) == received_2
        assert same_millisecond(hot.freshness([tenant])[tenant], received_2)
        assert counted(db, tenant) == 90
        assert db.run("SELECT count(*)::int FROM events WHERE tenant_id = :t", t=tenant) == [[90]]
    finally:
        db.close()


def test_spread_1_keeps_the_bare_tenant_key_on_the_partition_slot_0_would_take(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
) -> None:
    # Given four tenants at the default spread on a 3-partition topic
    topic = kafka_topic(PARTITIONS)
    api = api_server_factory({"CS_KAFKA_EVENTS_TOPIC": topic})
    slugs = [api.new_tenant() for _ in range(4)]
    # When each sends two events
    for slug in slugs:
        assert post(api, {"events": [event(), event()]}, key=api.key(slug))[0] == 200
    messages = read_topic(settings.kafka_bootstrap, topic, 8)
    # Then each is keyed by the bare tenant id, placed by the producer's partitioner where slot 0 of a
    # spread would go (so raising a spread leaves slot 0 where the tenant was)
    placed = {(m.key(), m.partition()) for m in messages}
    expected = {(str(api.tenants[s]).encode(), slot_partition(api.tenants[s], 0, PARTITIONS)) for s in slugs}
    assert placed == expected


def keyed(values: Iterable[Envelope], key: bytes, partition: int, first_offset: int) -> list[KafkaRecord]:
    return [
        KafkaRecord("events_raw", partition, offset, 0, key, value.kafka_value(), (("cs-schema", b"1"),))
        for offset, value in enumerate(values, start=first_offset)
    ]


def test_a_lowered_spread_waits_for_the_retired_partition_to_drain(
    agg_db: pg8000.native.Connection, make_ports: Callable[..., AggregatorPorts]
) -> None:
    # Given a tenant at spread 2: slot 0 on partition 0, slot 1 on partition 1, both applied
    ref, other = add_tenant(agg_db), add_tenant(agg_db)
    agg_db.run("UPDATE tenants SET kafka_spread = 2 WHERE id = :t", t=ref.tenant_id)
    ports = make_ports()
    slot_0, slot_1 = f"{ref.tenant_id}:0".encode(), f"{ref.tenant_id}:1".encode()
    t = NOW - timedelta(minutes=30)

    def at(minutes: float, of: TenantRef = ref) -> Envelope:
        return envelope(of, received=t + timedelta(minutes=minutes))

    apply_batch(keyed([at(1)], slot_0, 0, 0) + keyed([at(2)], slot_1, 1, 0), ports, NOW)
    assert freshness(agg_db, ref.tenant_id) == t + timedelta(minutes=1)

    # When the spread is lowered to 1 at minute 3, and slot 0 moves on to minute 5
    changed = t + timedelta(minutes=3)
    agg_db.run(
        "UPDATE tenants SET kafka_spread = 1, kafka_spread_changed_at = :c WHERE id = :t", c=changed, t=ref.tenant_id
    )
    apply_batch(keyed([at(5)], slot_0, 0, 1), ports, NOW)
    # Then the retired slot 1 still holds the watermark: its partition may have a backlog
    assert freshness(agg_db, ref.tenant_id) == t + timedelta(minutes=2)

    # When partition 1 applies another tenant's event received just inside the drain margin
    inside = changed + DRAIN_MARGIN
    apply_batch(keyed([envelope(other, received=inside)], str(other.tenant_id).encode(), 1, 1), ports, NOW)
    apply_batch(keyed([at(6)], slot_0, 0, 2), ports, NOW)
    # Then slot 1 still counts
    assert freshness(agg_db, ref.tenant_id) == t + timedelta(minutes=2)

    # When partition 1 has applied an event received after the margin
    after = changed + DRAIN_MARGIN + timedelta(seconds=1)
    apply_batch(keyed([envelope(other, received=after)], str(other.tenant_id).encode(), 1, 2), ports, NOW)
    apply_batch(keyed([at(7)], slot_0, 0, 3), ports, NOW)
    # Then slot 1 has drained, and the tenant's watermark is its remaining slot's
    assert freshness(agg_db, ref.tenant_id) == t + timedelta(minutes=7)
    assert counted(agg_db, ref.tenant_id) == 5
