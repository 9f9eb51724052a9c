"""``customersignal tenant spread`` against a fresh migrated database and the real Redis key cache."""

from __future__ import annotations

import pytest
import redis

from customersignal.adapters.key_cache import cache_key
from customersignal.adapters.key_store import PostgresKeyStore
from customersignal.adapters.postgres import connect
from customersignal.domain.auth import hash_key
from customersignal.settings import PostgresSettings
from tests.integration.test_cli import SECRET, cli_database, run

pytestmark = pytest.mark.integration
__all__ = ["cli_database"]  # the autouse fixture: this module's CLI runs against the test database


def spread_row(pg_settings: PostgresSettings) -> list[list[object]]:
    db = connect(pg_settings)
    try:
        rows: list[list[object]] = db.run(
            "SELECT kafka_spread, kafka_spread_changed_at FROM tenants WHERE slug = 'acme'"
        )
        return rows
    finally:
        db.close()


def test_setting_a_spread_stores_it_and_the_key_store_reads_it(
    capsys: pytest.CaptureFixture[str], pg_settings: PostgresSettings, redis_client: redis.Redis
) -> None:
    # Given a tenant with a key the API has cached in Redis
    assert run(capsys, "tenant", "create", "--name", "Acme", "--slug", "acme")[0] == 0
    assert run(capsys, "project", "create", "--tenant", "acme", "--name", "Web")[0] == 0
    _, out, _ = run(capsys, "key", "create", "--tenant", "acme", "--project", "web", "--scopes", "ingest")
    [secret] = SECRET.findall(out)
    entry = cache_key(hash_key(secret))
    redis_client.set(entry, b"cached", ex=60)
    code, out, _ = run(capsys, "tenant", "spread", "--tenant", "acme")
    assert (code, out) == (0, "Tenant acme spreads over 1 partition(s).\n")

    # When it is spread over 3 partitions
    code, out, err = run(capsys, "tenant", "spread", "--tenant", "acme", "--factor", "3")
    # Then the change is stored and dated, and said, with what it needs and costs
    assert (code, err) == (0, "")
    assert "Tenant acme now spreads over 3 partition(s) (was 1)" in out
    assert "events_raw needs at least 3 partitions" in out
    [[spread, changed_at]] = spread_row(pg_settings)
    assert spread == 3
    assert changed_at is not None
    # And the key's shared cache entry is gone, and the key store reads the new spread with the key
    assert redis_client.exists(entry) == 0
    store = PostgresKeyStore(lambda: connect(pg_settings))
    try:
        record = store.find_by_hash(hash_key(secret))
    finally:
        store.close()
    assert record is not None
    assert record.kafka_spread == 3
    code, out, _ = run(capsys, "tenant", "spread", "--tenant", "acme")
    assert out.startswith("Tenant acme spreads over 3 partition(s) (since ")

    # When the same spread is set again Then nothing changes, not even the date
    code, out, _ = run(capsys, "tenant", "spread", "--tenant", "acme", "--factor", "3")
    assert (code, out) == (0, "Tenant acme already spreads over 3 partition(s); nothing changed.\n")
    assert spread_row(pg_settings) == [[3, changed_at]]

    # When it is lowered Then the output says the freshness waits for the retired partitions
    code, out, _ = run(capsys, "tenant", "spread", "--tenant", "acme", "--factor", "1")
    assert code == 0
    assert "now spreads over 1 partition(s) (was 3)" in out
    assert "retired partitions to drain" in out


@pytest.mark.parametrize("bad", ["0", "65", "-2", "three", "2.5"])
def test_a_bad_factor_is_a_usage_error_naming_the_argument(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    code, out, err = run(capsys, "tenant", "spread", "--tenant", "acme", "--factor", bad)
    assert code == 2
    assert out == ""
    assert f"argument --factor: expected a whole number from 1 to 64, got {bad!r}" in err


def test_an_unknown_tenant_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "tenant", "spread", "--tenant", "nobody", "--factor", "2")
    assert code == 1
    assert "no tenant with slug 'nobody'" in err
    assert "customersignal tenant create" in err
