"""Migration 0010: tenants get a spread (1..64, default 1) and freshness a row per slot, seeded from the
tenant's existing watermark so a tenant at spread 1 carries on where it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pg8000.native
import pytest

from customersignal.adapters.postgres import connect
from customersignal.settings import PostgresSettings
from tests.fixtures.postgres import run_alembic

pytestmark = pytest.mark.integration

BEFORE = "0009_unique_user_sketches"  # 0010's down_revision
T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_existing_watermarks_become_slot_0_and_the_spread_is_checked(pg_empty_settings: PostgresSettings) -> None:
    # Given a database before 0010 with a tenant and its freshness watermark
    database = pg_empty_settings.pg_database
    run_alembic(pg_empty_settings, database, "upgrade", BEFORE)
    pg = connect(pg_empty_settings)
    try:
        tenant = pg.run("INSERT INTO tenants (slug, name) VALUES ('b', 'B') RETURNING id")[0][0]
        pg.run("INSERT INTO tenant_freshness (tenant_id, complete_up_to) VALUES (:t, :w)", t=tenant, w=T0)
    finally:
        pg.close()

    # When migrated to 0010
    run_alembic(pg_empty_settings, database, "upgrade", "0010_tenant_spread")

    pg = connect(pg_empty_settings)
    try:
        # Then the tenant is at spread 1, never changed, and its watermark is slot 0's
        spread = pg.run("SELECT kafka_spread, kafka_spread_changed_at FROM tenants WHERE id = :t", t=tenant)
        assert spread == [[1, None]]
        assert pg.run("SELECT slot, topic, partition, complete_up_to FROM tenant_slot_freshness") == [
            [0, None, None, T0]
        ]
        # And a spread outside 1..64 is refused by the schema
        for bad in (0, 65):
            with pytest.raises(pg8000.native.DatabaseError) as refused:
                pg.run("UPDATE tenants SET kafka_spread = :s WHERE id = :t", s=bad, t=tenant)
            assert refused.value.args[0]["C"] == "23514"
            assert refused.value.args[0]["n"] == "tenants_kafka_spread_range"
        pg.run("UPDATE tenants SET kafka_spread = 64 WHERE id = :t", t=tenant)
    finally:
        pg.close()

    # When downgraded again Then the columns and the table are gone, and the old watermark is untouched
    run_alembic(pg_empty_settings, database, "downgrade", BEFORE)
    pg = connect(pg_empty_settings)
    try:
        columns = pg.run(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'tenants' AND column_name LIKE 'kafka%'"
        )
        assert columns == []
        assert pg.run("SELECT to_regclass('tenant_slot_freshness')") == [[None]]
        assert pg.run("SELECT complete_up_to FROM tenant_freshness") == [[T0]]
    finally:
        pg.close()
