"""The key cache on real Redis and Postgres: fewer source queries, shared entries, revocation, outages.

"Containers" are separate CachedKeyLookup instances over the same Redis, as Lambda containers are.
They share a FakeClock, so local TTLs can pass without waiting; Redis's own TTLs are real time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pg8000.native
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from customersignal.adapters.key_cache import CachedKeyLookup, cache_key, encode_record
from customersignal.adapters.key_store import PostgresKeyStore
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.auth import ApiKeyRecord, NewKey, Scope, generate_key
from customersignal.domain.errors import Unavailable
from customersignal.settings import PostgresSettings
from tests.contract import unused_port
from tests.fakes import FakeClock

pytestmark = pytest.mark.integration


class CountingStore:
    """The real key store, counting what reaches it (a wrapper, not a mock: the answers are Postgres's)."""

    def __init__(self, store: PostgresKeyStore) -> None:
        self.store = store
        self.lookups = 0
        self.touches: list[uuid.UUID] = []

    def find_by_hash(self, key_hash: bytes) -> ApiKeyRecord | None:
        self.lookups += 1
        return self.store.find_by_hash(key_hash)

    def touch_last_used(self, key_id: uuid.UUID) -> None:
        self.touches.append(key_id)
        self.store.touch_last_used(key_id)


@dataclass
class Fleet:
    """Everything containers share: the key store, Redis (this test's namespace) and the clock."""

    store: PostgresKeyStore
    redis_client: redis.Redis
    namespace: str
    clock: FakeClock

    def container(
        self, client: redis.Redis | None = None, *, source: PostgresKeyStore | None = None, max_entries: int = 10_000
    ) -> tuple[CachedKeyLookup, CountingStore]:
        counting = CountingStore(source or self.store)
        cache = CachedKeyLookup(
            counting,
            client or self.redis_client,
            clock=self.clock,
            usage=counting,
            key_prefix=self.namespace,
            max_entries=max_entries,
        )
        return cache, counting


@pytest.fixture
def store(pg_key_store: PostgresKeyStore) -> PostgresKeyStore:
    return pg_key_store


@pytest.fixture
def fleet(store: PostgresKeyStore, redis_client: redis.Redis, redis_namespace: str) -> Fleet:
    return Fleet(store, redis_client, redis_namespace, FakeClock())


@pytest.fixture
def admin(pg_settings: PostgresSettings) -> Iterator[TenantAdmin]:
    admin = TenantAdmin(lambda: connect(pg_settings))
    admin.create_tenant("Acme Corp", "acme")
    admin.create_project("acme", "Web", "web")
    yield admin
    admin.close()


def new_key(admin: TenantAdmin) -> NewKey:
    return admin.create_key("acme", "web", [Scope.INGEST])[1]


def redis_down() -> redis.Redis:
    return redis.Redis(port=unused_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))


def test_a_repeated_key_is_answered_without_the_source(fleet: Fleet, admin: TenantAdmin) -> None:
    # Given a container and a key
    cache, source = fleet.container()
    key = new_key(admin)
    # When the key is looked up three times
    answers = [cache.find_by_hash(key.key_hash) for _ in range(3)]
    # Then Postgres was asked once, and all answers agree with it
    assert source.lookups == 1
    assert answers[0] == answers[1] == answers[2] == fleet.store.find_by_hash(key.key_hash)


def test_a_second_container_gets_the_entry_from_redis(fleet: Fleet, admin: TenantAdmin) -> None:
    # Given container A has resolved a key
    a, a_source = fleet.container()
    b, b_source = fleet.container()
    key = new_key(admin)
    record = a.find_by_hash(key.key_hash)
    # When container B sees the same key
    # Then B answers from Redis, without Postgres
    assert b.find_by_hash(key.key_hash) == record
    assert (a_source.lookups, b_source.lookups) == (1, 0)


def test_unknown_keys_are_cached_briefly_across_containers(fleet: Fleet) -> None:
    # Given a flood of one bad key over two containers
    a, a_source = fleet.container()
    b, b_source = fleet.container()
    bad = generate_key().key_hash
    # Then Postgres is asked once in all
    assert all(c.find_by_hash(bad) is None for c in [a, b] * 50)
    assert a_source.lookups + b_source.lookups == 1
    # and, once the negative entry has expired everywhere, asked again (the key might exist by now)
    fleet.clock.advance(11)
    fleet.redis_client.delete(cache_key(bad, fleet.namespace))  # Redis's TTL runs on real time
    assert a.find_by_hash(bad) is None
    assert a_source.lookups == 2


def test_a_revoked_key_stops_working_everywhere_within_the_local_ttl(
    fleet: Fleet, pg_settings: PostgresSettings
) -> None:
    # Given two warm containers, and an admin whose revocations invalidate the cache (as the CLI's do)
    a, _ = fleet.container()
    b, _ = fleet.container()
    admin = TenantAdmin(lambda: connect(pg_settings), on_revoke=a.invalidate)
    admin.create_tenant("Acme Corp", "acme")
    admin.create_project("acme", "Web", "web")
    info, key = admin.create_key("acme", "web", [Scope.INGEST])
    for container in (a, b):
        record = container.find_by_hash(key.key_hash)
        assert record is not None
        assert record.revoked_at is None
    # When the key is revoked
    admin.revoke_key("acme", info.display_prefix)
    admin.close()
    # Then the container that invalidated sees it at once, the other within its local TTL (30 s), not later
    a_now = a.find_by_hash(key.key_hash)
    assert a_now is not None
    assert a_now.revoked_at is not None
    fleet.clock.advance(29)
    b_before = b.find_by_hash(key.key_hash)
    assert b_before is not None
    assert b_before.revoked_at is None
    fleet.clock.advance(2)
    b_after = b.find_by_hash(key.key_hash)
    assert b_after is not None
    assert b_after.revoked_at is not None


def test_a_stale_shared_entry_is_not_trusted_past_its_read_time_plus_ttl(fleet: Fleet, admin: TenantAdmin) -> None:
    # Given the race the invalidation cannot close: a container read the key just before it was revoked
    # and wrote that (active) record to Redis just after the invalidation
    info, key = admin.create_key("acme", "web", [Scope.INGEST])
    active = fleet.store.find_by_hash(key.key_hash)
    assert active is not None
    read_at = fleet.clock.now().timestamp()
    admin.revoke_key("acme", str(info.key_id))
    fleet.redis_client.set(cache_key(key.key_hash, fleet.namespace), encode_record(active, read_at + 30), px=60_000)
    # When another container picks the stale entry up 20 s later
    fleet.clock.advance(20)
    c, c_source = fleet.container()
    stale = c.find_by_hash(key.key_hash)
    assert stale is not None
    assert stale.revoked_at is None
    # Then its local copy dies with the shared entry's trust (read + 30 s), not 30 s after the copy
    fleet.clock.advance(11)
    fresh = c.find_by_hash(key.key_hash)
    assert fresh is not None
    assert fresh.revoked_at is not None
    assert c_source.lookups == 1


def test_with_redis_down_keys_still_resolve_from_postgres(
    fleet: Fleet, admin: TenantAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a container whose Redis is unreachable
    cache, source = fleet.container(redis_down())
    key = new_key(admin)
    # When keys are looked up
    with caplog.at_level(logging.WARNING, logger="customersignal.adapters.key_cache"):
        first = cache.find_by_hash(key.key_hash)
        second = cache.find_by_hash(key.key_hash)
        unknown = cache.find_by_hash(generate_key().key_hash)
    # Then the answers come from Postgres (and the local cache), with one warning, not one per request
    assert first is not None
    assert first == second
    assert unknown is None
    assert source.lookups == 2
    assert len([r for r in caplog.records if "redis unavailable" in r.message]) == 1
    # and invalidation reports that it could not reach Redis instead of raising
    assert cache.invalidate(key.key_hash) is False


def test_with_redis_and_postgres_down_a_lookup_is_unavailable(fleet: Fleet, pg_settings: PostgresSettings) -> None:
    down = pg_settings.model_copy(update={"pg_port": unused_port(), "pg_connect_timeout_s": 1.0})
    cache, _ = fleet.container(redis_down(), source=PostgresKeyStore(lambda: connect(down)))
    with pytest.raises(Unavailable) as raised:
        cache.find_by_hash(generate_key().key_hash)
    assert (raised.value.code, raised.value.retry_after_s) == ("key_store_unavailable", 5)


def test_the_local_cache_is_bounded_and_evicts_the_least_recently_used(fleet: Fleet, admin: TenantAdmin) -> None:
    # Given a container that holds two keys
    cache, source = fleet.container(max_entries=2)
    k1, k2, k3 = new_key(admin), new_key(admin), new_key(admin)
    for key in (k1, k2, k3):
        cache.find_by_hash(key.key_hash)
    # When Redis forgets them (so only the local cache could answer)
    for key in (k1, k2, k3):
        fleet.redis_client.delete(cache_key(key.key_hash, fleet.namespace))
    # Then the two most recent are still local, and the oldest needs the source again
    cache.find_by_hash(k3.key_hash)
    cache.find_by_hash(k2.key_hash)
    assert source.lookups == 3
    cache.find_by_hash(k1.key_hash)
    assert source.lookups == 4


def test_last_used_is_written_once_a_minute_for_the_whole_fleet(
    fleet: Fleet, admin: TenantAdmin, pg: pg8000.native.Connection
) -> None:
    # Given two containers serving one key
    a, a_source = fleet.container()
    b, b_source = fleet.container()
    info, key = admin.create_key("acme", "web", [Scope.INGEST])
    # When both serve it repeatedly within a minute
    for _ in range(20):
        a.find_by_hash(key.key_hash)
        b.find_by_hash(key.key_hash)
        fleet.clock.advance(2)
    # Then one UPDATE was issued in all, and last_used_at is set
    assert len(a_source.touches) + len(b_source.touches) == 1
    [[last_used]] = pg.run("SELECT last_used_at FROM api_keys WHERE id = :id", id=info.key_id)
    assert last_used is not None
    # and after the minute (the election key expires in Redis), exactly one more
    fleet.redis_client.delete(f"{fleet.namespace}used:{info.key_id}")
    fleet.clock.advance(60)
    a.find_by_hash(key.key_hash)
    b.find_by_hash(key.key_hash)
    assert len(a_source.touches) + len(b_source.touches) == 2


def test_a_revoked_key_does_not_count_as_used(fleet: Fleet, admin: TenantAdmin) -> None:
    cache, source = fleet.container()
    info, key = admin.create_key("acme", "web", [Scope.INGEST])
    admin.revoke_key("acme", str(info.key_id))
    record = cache.find_by_hash(key.key_hash)
    assert record is not None
    assert record.revoked_at is not None
    assert source.touches == []


def test_keys_are_never_stored_in_plain_text(fleet: Fleet, admin: TenantAdmin, pg: pg8000.native.Connection) -> None:
    # Given a key that was created, used through the cache (so Redis holds it), and listed
    cache, _ = fleet.container()
    info, key = admin.create_key("acme", "web", [Scope.INGEST], "scan me")
    assert cache.find_by_hash(key.key_hash) is not None
    admin.list_keys("acme")
    body = key.secret[len(info.display_prefix) :]  # the part that is never shown again
    # Then no Postgres row of any table holds the key or its secret part
    tables = pg.run("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    for [table] in tables:
        rows = pg.run(f"SELECT t::text FROM {pg8000.native.identifier(table)} t")  # noqa: S608 - catalog names
        assert not [row for row in rows if body in row[0]], table
    # and the stored form is the SHA-256 hash
    [[stored]] = pg.run("SELECT key_hash FROM api_keys WHERE id = :id", id=info.key_id)
    assert bytes(stored) == key.key_hash
    # and neither Redis key names nor values hold it
    names = list(fleet.redis_client.scan_iter(match=f"{fleet.namespace}*"))
    assert names
    for name in names:
        assert body.encode() not in name
        value = fleet.redis_client.get(name)
        assert value is None or body.encode() not in value
