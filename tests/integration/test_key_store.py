"""Tenant administration and the Postgres key store, on a real migrated database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pg8000.native
import pytest

from customersignal.adapters.key_store import PostgresKeyStore
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import KeyInfo, TenantAdmin
from customersignal.domain.auth import Scope, hash_key
from customersignal.domain.errors import Conflict, DomainError, NotFound
from customersignal.settings import PostgresSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def revoked_hashes() -> list[bytes]:
    return []


@pytest.fixture
def admin(pg_settings: PostgresSettings, revoked_hashes: list[bytes]) -> Iterator[TenantAdmin]:
    admin = TenantAdmin(lambda: connect(pg_settings), on_revoke=revoked_hashes.append)
    yield admin
    admin.close()


@pytest.fixture
def store(pg_key_store: PostgresKeyStore) -> PostgresKeyStore:
    return pg_key_store


@pytest.fixture
def acme(admin: TenantAdmin) -> TenantAdmin:
    """Tenant acme with project web (50 events/s, burst 80)."""
    admin.create_tenant("Acme Corp", "acme")
    admin.create_project("acme", "Web", "web", rate_limit_per_s=50, burst=80)
    return admin


def test_a_key_made_for_a_project_resolves_with_the_projects_limits(acme: TenantAdmin, store: PostgresKeyStore) -> None:
    # When a key is created
    info, new = acme.create_key("acme", "web", [Scope.INGEST, Scope.READ], "iOS app")
    # Then it is shown once as a cs_ key whose prefix identifies it
    assert new.secret.startswith("cs_")
    assert info.display_prefix == new.secret[:11] == new.display_prefix
    assert (info.project_slug, info.name, info.status) == ("web", "iOS app", "active")
    assert info.scopes == {Scope.INGEST, Scope.READ}
    assert info.last_used_at is None
    # and the store resolves its hash to the project's bucket
    record = store.find_by_hash(hash_key(new.secret))
    assert record is not None
    assert (record.key_id, record.project_id, record.tenant_id) == (info.key_id, info.project_id, info.tenant_id)
    assert (record.rate_limit_per_s, record.rate_limit_burst) == (50.0, 80)


def test_project_limits_default_to_the_schemas_and_burst_to_twice_the_rate(admin: TenantAdmin) -> None:
    admin.create_tenant("Acme Corp", "acme")
    default = admin.create_project("acme", "Default", "default")
    custom = admin.create_project("acme", "Batch", "batch", rate_limit_per_s=300)
    assert (default.rate_limit_per_s, default.burst) == (1000, 2000)
    assert (custom.rate_limit_per_s, custom.burst) == (300, 600)


def test_duplicate_slugs_are_conflicts_that_say_what_to_do(acme: TenantAdmin) -> None:
    with pytest.raises(Conflict) as tenant:
        acme.create_tenant("Acme again", "acme")
    assert tenant.value.code == "tenant_exists"
    assert "choose another slug" in tenant.value.message
    with pytest.raises(Conflict) as project:
        acme.create_project("acme", "Web again", "web")
    assert project.value.code == "project_exists"
    # but a project slug is only unique inside its tenant
    acme.create_tenant("Globex", "globex")
    assert acme.create_project("globex", "Web", "web").slug == "web"


@pytest.mark.parametrize("slug", ["Acme", "-acme", "acme-", "ac_me", "", "a" * 64])
def test_invalid_slugs_are_refused_before_the_database(admin: TenantAdmin, slug: str) -> None:
    with pytest.raises(DomainError) as raised:
        admin.create_tenant("Acme", slug)
    assert raised.value.code == "invalid_slug"


def test_missing_tenants_projects_and_keys_are_not_found(acme: TenantAdmin) -> None:
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: acme.create_project("nope", "Web", "web"), "tenant_not_found"),
        (lambda: acme.create_key("nope", "web", [Scope.INGEST]), "tenant_not_found"),
        (lambda: acme.create_key("acme", "nope", [Scope.INGEST]), "project_not_found"),
        (lambda: acme.list_keys("nope"), "tenant_not_found"),
        (lambda: acme.revoke_key("nope", "cs_AAAAAAAA"), "tenant_not_found"),
        (lambda: acme.revoke_key("acme", "cs_AAAAAAAA"), "key_not_found"),
    ]
    for call, code in cases:
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.code == code
        assert "nope" in raised.value.message or "cs_AAAAAAAA" in raised.value.message


def test_listing_shows_every_key_but_never_a_secret_or_hash(acme: TenantAdmin) -> None:
    # Given an empty tenant, and acme with two keys, one revoked
    acme.create_tenant("Globex", "globex")
    assert acme.list_keys("globex") == []
    first, first_key = acme.create_key("acme", "web", [Scope.INGEST], "first")
    second, second_key = acme.create_key("acme", "web", [Scope.READ], "second")
    acme.revoke_key("acme", str(second.key_id))
    # When acme's keys are listed
    keys = acme.list_keys("acme")
    # Then both are there, oldest first, with their status
    assert [(k.key_id, k.status) for k in keys] == [(first.key_id, "active"), (second.key_id, "revoked")]
    # and nothing in a listed key is or contains a secret or a hash
    assert {f.name for f in dataclasses.fields(KeyInfo)}.isdisjoint({"key_hash", "secret", "hash"})
    listed = repr(keys)
    for new in (first_key, second_key):
        assert new.secret not in listed
        assert new.key_hash.hex() not in listed
        assert repr(new.key_hash) not in listed


def test_revoking_is_idempotent_and_keeps_the_first_time(
    acme: TenantAdmin, store: PostgresKeyStore, revoked_hashes: list[bytes]
) -> None:
    # Given a key
    info, new = acme.create_key("acme", "web", [Scope.INGEST])
    # When it is revoked by prefix, then again by id, then by the full key
    by_prefix = acme.revoke_key("acme", info.display_prefix)
    by_id = acme.revoke_key("acme", str(info.key_id))
    by_secret = acme.revoke_key("acme", new.secret)
    # Then every call answers with the same revoked record
    assert by_prefix.revoked_at is not None
    assert by_prefix == by_id == by_secret
    # and the store still finds the key, as revoked, so the API can say 403 rather than 401
    record = store.find_by_hash(new.key_hash)
    assert record is not None
    assert record.revoked_at == by_prefix.revoked_at
    # and each revocation told the cache hook which hash to drop
    assert revoked_hashes == [new.key_hash] * 3


def test_one_tenant_cannot_revoke_another_tenants_key(acme: TenantAdmin, store: PostgresKeyStore) -> None:
    # Given acme's key and another tenant, globex
    info, new = acme.create_key("acme", "web", [Scope.INGEST])
    acme.create_tenant("Globex", "globex")
    # When globex tries to revoke it by id, by prefix and by the full key
    for ref in (str(info.key_id), info.display_prefix, new.secret):
        with pytest.raises(NotFound) as raised:
            acme.revoke_key("globex", ref)
        assert raised.value.code == "key_not_found"  # the same answer as for a key that does not exist
        assert new.secret not in raised.value.message  # a whole key is named by its prefix only
    # Then acme's key still works
    record = store.find_by_hash(new.key_hash)
    assert record is not None
    assert record.revoked_at is None


def test_a_prefix_shared_by_two_keys_must_be_revoked_by_id(acme: TenantAdmin, pg: pg8000.native.Connection) -> None:
    # Given two keys whose display prefixes collide (1 in 2^48 per pair: forced here)
    first, _ = acme.create_key("acme", "web", [Scope.INGEST])
    second, _ = acme.create_key("acme", "web", [Scope.INGEST])
    pg.run("UPDATE api_keys SET display_prefix = :p WHERE id = :id", p=first.display_prefix, id=second.key_id)
    # Then the prefix is ambiguous, the message lists the ids, and nothing was revoked
    with pytest.raises(Conflict) as raised:
        acme.revoke_key("acme", first.display_prefix)
    assert raised.value.code == "ambiguous_key"
    assert str(first.key_id) in raised.value.message
    assert str(second.key_id) in raised.value.message
    assert {k.status for k in acme.list_keys("acme")} == {"active"}
    assert acme.revoke_key("acme", str(second.key_id)).status == "revoked"


def test_the_demo_is_created_once_and_each_call_returns_a_fresh_ingest_key(
    admin: TenantAdmin, store: PostgresKeyStore
) -> None:
    first_info, first = admin.ensure_demo()
    second_info, second = admin.ensure_demo()
    assert first.secret != second.secret
    assert first_info.project_id == second_info.project_id
    assert first_info.scopes == second_info.scopes == {Scope.INGEST}
    assert [k.key_id for k in admin.list_keys("demo")] == [first_info.key_id, second_info.key_id]
    for new in (first, second):
        record = store.find_by_hash(new.key_hash)
        assert record is not None
        assert record.revoked_at is None


def test_last_used_is_written_coarsely(
    acme: TenantAdmin, store: PostgresKeyStore, pg: pg8000.native.Connection
) -> None:
    # Given a key used once
    info, _ = acme.create_key("acme", "web", [Scope.INGEST])
    store.touch_last_used(info.key_id)
    [first] = acme.list_keys("acme")
    assert first.last_used_at is not None
    # When it is touched again within the minute, the write is skipped
    store.touch_last_used(info.key_id)
    assert acme.list_keys("acme")[0].last_used_at == first.last_used_at
    # but once the last write is older than a minute, it moves
    pg.run("UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = :id", id=info.key_id)
    store.touch_last_used(info.key_id)
    assert acme.list_keys("acme")[0].last_used_at > first.last_used_at  # type: ignore[operator]


def test_the_store_reconnects_after_postgres_drops_its_connection(
    acme: TenantAdmin, store: PostgresKeyStore, pg: pg8000.native.Connection, pg_settings: PostgresSettings
) -> None:
    # Given a warm store (its connection open, its statement prepared)
    _, new = acme.create_key("acme", "web", [Scope.INGEST])
    assert store.find_by_hash(new.key_hash) is not None
    # When Postgres terminates every other session on this database (a restart, a failover, an idle reaper)
    terminated = pg.run(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()",
        db=pg_settings.pg_database,
    )
    assert terminated
    # Then the next lookup reconnects and answers, rather than failing the request
    record = store.find_by_hash(new.key_hash)
    assert record is not None
    assert record.revoked_at is None
