"""The KeyLookup contract: what authentication may rely on, whichever implementation answers.

Run against the in-memory fake, the Postgres key store, and the cached lookup (memory -> Redis ->
Postgres) that the API actually uses.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Protocol

import pg8000.native
import pytest
import redis

from customersignal.adapters.key_cache import CachedKeyLookup, SystemClock
from customersignal.adapters.key_store import PostgresKeyStore
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.auth import ApiKeyRecord, Scope, generate_key, hash_key
from customersignal.domain.errors import Unavailable
from customersignal.ports import KeyLookup
from customersignal.settings import PostgresSettings
from tests.contract import unused_port
from tests.fakes import FakeKeyLookup


class KeyLookupHarness(Protocol):
    lookup: KeyLookup

    def issue(self, scopes: frozenset[Scope], rate_per_s: int, burst: int) -> tuple[str, ApiKeyRecord]:
        """A new key whose project has this rate limit: (secret, the record the lookup must return)."""
        ...

    def revoke(self, secret: str) -> None: ...

    def unreachable(self) -> KeyLookup:
        """The same kind of lookup, with its backing store out of reach."""
        ...


class FakeHarness:
    def __init__(self) -> None:
        self.fake = FakeKeyLookup()
        self.lookup: KeyLookup = self.fake

    def issue(self, scopes: frozenset[Scope], rate_per_s: int, burst: int) -> tuple[str, ApiKeyRecord]:
        new = generate_key()
        record = ApiKeyRecord(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), scopes, None, float(rate_per_s), burst)
        self.fake.add(new.key_hash, record)
        return new.secret, record

    def revoke(self, secret: str) -> None:
        self.fake.revoke(hash_key(secret))

    def unreachable(self) -> KeyLookup:
        down = FakeKeyLookup()
        down.unavailable = True
        return down


class PostgresHarness:
    """Keys made through TenantAdmin, as the CLI makes them; one project per key, for its own limits."""

    def __init__(self, settings: PostgresSettings) -> None:
        self.settings = settings
        self.store = PostgresKeyStore(self.connect)
        self.lookup: KeyLookup = self.store
        self.admin = TenantAdmin(self.connect, on_revoke=self.revoked)
        self.admin.create_tenant("Contract", "contract")
        self._projects = itertools.count()

    def connect(self) -> pg8000.native.Connection:
        return connect(self.settings)

    def issue(self, scopes: frozenset[Scope], rate_per_s: int, burst: int) -> tuple[str, ApiKeyRecord]:
        slug = f"p{next(self._projects)}"
        project = self.admin.create_project("contract", slug, slug, rate_limit_per_s=rate_per_s, burst=burst)
        info, new = self.admin.create_key("contract", slug, scopes)
        record = ApiKeyRecord(
            info.key_id, project.tenant_id, project.project_id, scopes, None, float(rate_per_s), burst
        )
        return new.secret, record

    def revoke(self, secret: str) -> None:
        self.admin.revoke_key("contract", secret[:11])

    def revoked(self, key_hash: bytes) -> None:
        pass

    def unreachable(self) -> KeyLookup:
        down = self.settings.model_copy(update={"pg_port": unused_port(), "pg_connect_timeout_s": 1.0})
        return PostgresKeyStore(lambda: connect(down))

    def close(self) -> None:
        self.admin.close()
        self.store.close()


class CachedHarness(PostgresHarness):
    """The API's lookup: revocation goes through TenantAdmin, whose hook invalidates the cache."""

    def __init__(self, settings: PostgresSettings, redis_client: redis.Redis, namespace: str) -> None:
        self.redis_client, self.namespace = redis_client, namespace
        super().__init__(settings)
        self.cache = self._cached(self.store)
        self.lookup = self.cache

    def _cached(self, source: KeyLookup) -> CachedKeyLookup:
        return CachedKeyLookup(source, self.redis_client, clock=SystemClock(), key_prefix=self.namespace)

    def revoked(self, key_hash: bytes) -> None:
        self.cache.invalidate(key_hash)

    def unreachable(self) -> KeyLookup:
        return self._cached(super().unreachable())


@pytest.fixture(
    params=[
        pytest.param("fake", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.integration),
        pytest.param("cached", marks=pytest.mark.integration),
    ]
)
def harness(request: pytest.FixtureRequest) -> Iterator[KeyLookupHarness]:
    if request.param == "fake":
        yield FakeHarness()
        return
    settings: PostgresSettings = request.getfixturevalue("pg_settings")
    real = (
        PostgresHarness(settings)
        if request.param == "postgres"
        else CachedHarness(
            settings, request.getfixturevalue("redis_client"), request.getfixturevalue("redis_namespace")
        )
    )
    yield real
    real.close()


def test_a_known_key_resolves_to_its_record(harness: KeyLookupHarness) -> None:
    # Given a key with two scopes
    secret, expected = harness.issue(frozenset({Scope.INGEST, Scope.READ}), rate_per_s=50, burst=120)
    # When it is looked up by its hash, twice (a cache must answer the same as the source)
    first = harness.lookup.find_by_hash(hash_key(secret))
    second = harness.lookup.find_by_hash(hash_key(secret))
    # Then both answers are the record, active
    assert first == expected
    assert second == expected
    assert first is not None
    assert first.revoked_at is None


def test_an_unknown_key_is_none_every_time(harness: KeyLookupHarness) -> None:
    # Given a real key, and a well-formed key that was never issued
    secret, _ = harness.issue(frozenset({Scope.INGEST}), rate_per_s=10, burst=10)
    stranger = generate_key().secret
    # Then the stranger is unknown, also when asked again, and so is a one-character typo of the real key
    assert harness.lookup.find_by_hash(hash_key(stranger)) is None
    assert harness.lookup.find_by_hash(hash_key(stranger)) is None
    typo = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert harness.lookup.find_by_hash(hash_key(typo)) is None


def test_a_revoked_key_is_still_found_with_its_revocation_time(harness: KeyLookupHarness) -> None:
    # Given a key that was used (so any cache holds it) and then revoked
    secret, expected = harness.issue(frozenset({Scope.INGEST}), rate_per_s=10, burst=20)
    assert harness.lookup.find_by_hash(hash_key(secret)) == expected
    harness.revoke(secret)
    # When it is looked up again
    found = harness.lookup.find_by_hash(hash_key(secret))
    # Then it is found (so the API can say 403 "revoked", not 401 "unknown"), with revoked_at set
    assert found is not None
    assert found.revoked_at is not None
    assert found == replace(expected, revoked_at=found.revoked_at)


def test_each_key_carries_its_own_projects_rate_limit(harness: KeyLookupHarness) -> None:
    # Given keys of two projects with different buckets
    slow_secret, _ = harness.issue(frozenset({Scope.INGEST}), rate_per_s=5, burst=7)
    fast_secret, _ = harness.issue(frozenset({Scope.INGEST, Scope.ADMIN}), rate_per_s=5000, burst=9000)
    # Then each record has its project's numbers and identity
    slow = harness.lookup.find_by_hash(hash_key(slow_secret))
    fast = harness.lookup.find_by_hash(hash_key(fast_secret))
    assert slow is not None
    assert fast is not None
    assert (slow.rate_limit_per_s, slow.rate_limit_burst) == (5.0, 7)
    assert (fast.rate_limit_per_s, fast.rate_limit_burst) == (5000.0, 9000)
    assert slow.project_id != fast.project_id
    assert fast.scopes == {Scope.INGEST, Scope.ADMIN}


def test_an_unreachable_store_raises_unavailable_not_unknown(harness: KeyLookupHarness) -> None:
    # Given a lookup whose store cannot be reached
    lookup = harness.unreachable()
    # Then a lookup raises a retryable error (the API answers 503, not 401)
    with pytest.raises(Unavailable) as raised:
        lookup.find_by_hash(hash_key(generate_key().secret))
    assert raised.value.code == "key_store_unavailable"
    assert raised.value.retry_after_s > 0
