"""The Alembic migrations on a real Postgres, and the schema guarantees the pipeline relies on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pg8000.native
import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from customersignal.adapters.postgres import connect
from customersignal.settings import PostgresSettings
from tests.fixtures.postgres import ALEMBIC_INI, alembic_config, run_alembic
from tests.fixtures.services import ROOT
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

TABLES = {
    "tenants",
    "projects",
    "api_keys",
    "event_types",
    "event_type_properties",
    "metrics_minute",
    "metrics_hour",
    "metrics_day",
    "metrics_minute_series",
    "events",
    "events_default",
    "event_dedup",
    "consumer_offsets",
    "tenant_freshness",
    "tenant_slot_freshness",
    "alert_rules",
    "alert_states",
    "alert_history",
    "webhook_endpoints",
    "webhook_deliveries",
    "dead_letters",
    "property_rollups",
    "property_rollup_hour",
    "property_rollup_day",
    "property_rollup_hour_total",
    "person_aliases",
}

# tables that are not tenant data, or are only reached through their partitioned parent
NOT_TENANT_TABLES = {"consumer_offsets", "alembic_version"}


def query(settings: PostgresSettings, sql: str, **params: Any) -> list[list[Any]]:
    connection = connect(settings)
    try:
        rows: list[list[Any]] = connection.run(sql, **params)
        return rows
    finally:
        connection.close()


def tables(settings: PostgresSettings) -> set[str]:
    """Tables in the current schema, leaving out the daily event partitions (events_pYYYYMMDD)."""
    rows = query(
        settings,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname !~ '^events_p[0-9]{8}$'",
    )
    return {name for (name,) in rows}


def head_revision() -> str:
    head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    assert head is not None
    return head


def sqlstate(error: pytest.ExceptionInfo[pg8000.native.DatabaseError]) -> str:
    code: str = error.value.args[0]["C"]
    return code


def new_tenant(pg: pg8000.native.Connection, slug: str) -> uuid.UUID:
    rows = pg.run("INSERT INTO tenants (slug, name) VALUES (:slug, :slug) RETURNING id", slug=slug)
    tenant_id: uuid.UUID = rows[0][0]
    return tenant_id


def new_project(pg: pg8000.native.Connection, tenant_id: uuid.UUID) -> uuid.UUID:
    rows = pg.run("INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'web', 'Web') RETURNING id", t=tenant_id)
    project_id: uuid.UUID = rows[0][0]
    return project_id


def insert_event(pg: pg8000.native.Connection, occurred_at: datetime) -> str:
    """Inserts one raw event and returns the partition it landed in."""
    rows = pg.run(
        "INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, occurred_at, received_at,"
        " kafka_partition, kafka_offset)"
        " VALUES (:tenant, :project, :event_id, 'signup', 'user-1', :at, now(), 0, 42)"
        " RETURNING tableoid::regclass::text",
        tenant=uuid.uuid4(),
        project=uuid.uuid4(),
        event_id=uuid.uuid4(),
        at=occurred_at,
    )
    partition: str = rows[0][0]
    return partition


# --- migrations ----------------------------------------------------------------------------------


def test_upgrade_downgrade_upgrade_round_trip(pg_empty_settings: PostgresSettings) -> None:
    # Given an empty database
    database = pg_empty_settings.pg_database
    assert tables(pg_empty_settings) == set()

    # When it is upgraded to head
    run_alembic(pg_empty_settings, database, "upgrade", "head")
    # Then every table exists
    assert tables(pg_empty_settings) == TABLES | {"alembic_version"}

    # When it is downgraded to base
    run_alembic(pg_empty_settings, database, "downgrade", "base")
    # Then nothing of ours remains: no table, function or policy, and cs_tenant holds nothing here
    assert tables(pg_empty_settings) == {"alembic_version"}
    assert query(pg_empty_settings, "SELECT count(*) FROM alembic_version") == [[0]]
    # (the hll extension's functions stay: it may predate us, and only a superuser may create it again)
    functions = query(
        pg_empty_settings,
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = current_schema()"
        " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
    )
    assert functions == []
    assert query(pg_empty_settings, "SELECT count(*) FROM pg_policies") == [[0]]
    held_here = query(
        pg_empty_settings,
        "SELECT count(*) FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid"
        " WHERE r.rolname = 'cs_tenant' AND d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    assert held_here == [[0]]
    # ... but the role itself survives: other databases on the server may use it
    assert query(pg_empty_settings, "SELECT count(*) FROM pg_roles WHERE rolname = 'cs_tenant'") == [[1]]

    # When it is upgraded again
    run_alembic(pg_empty_settings, database, "upgrade", "head")
    # Then the schema is complete and stamped at head
    assert tables(pg_empty_settings) == TABLES | {"alembic_version"}
    assert query(pg_empty_settings, "SELECT version_num FROM alembic_version") == [[head_revision()]]


SCHEMA_PARTS = """
SELECT tablename || ': ' || indexdef FROM pg_indexes
WHERE schemaname = current_schema() AND tablename !~ '^events_p[0-9]{8}$' AND tablename <> 'alembic_version'
UNION ALL
SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || COALESCE(column_default, '')
FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name !~ '^events_p[0-9]{8}$' AND table_name <> 'alembic_version'
UNION ALL
SELECT c.conrelid::regclass::text || ': ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = current_schema() AND c.conrelid::regclass::text !~ '^events_p[0-9]{8}$'
  AND c.conrelid::regclass::text <> 'alembic_version'
UNION ALL
SELECT table_name || ': ' || grantee || ' may ' || privilege_type FROM information_schema.table_privileges
WHERE table_schema = current_schema() AND grantee = 'cs_tenant' AND table_name !~ '^events_p[0-9]{8}$'
"""


def schema(settings: PostgresSettings) -> set[str]:
    """Tables, and each non-partition table's columns, indexes, constraints and the tenant role's grants."""
    return tables(settings) | {part for (part,) in query(settings, SCHEMA_PARTS)}


def test_each_revision_downgrades_to_exactly_its_predecessor(pg_empty_settings: PostgresSettings) -> None:
    # Given the revisions from base to head
    database = pg_empty_settings.pg_database
    revisions = list(reversed(list(ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).walk_revisions())))
    assert len(revisions) >= 3
    for revision in revisions:
        before = schema(pg_empty_settings)
        # When one revision is applied and then reverted
        run_alembic(pg_empty_settings, database, "upgrade", revision.revision)
        changed = schema(pg_empty_settings) ^ before
        run_alembic(pg_empty_settings, database, "downgrade", str(revision.down_revision or "base"))
        # Then it changed the schema, and its downgrade restored exactly the schema before it
        assert changed - {"alembic_version"}, f"{revision.revision} changed nothing in the schema"
        assert schema(pg_empty_settings) == before | {"alembic_version"}
        run_alembic(pg_empty_settings, database, "upgrade", revision.revision)


def test_cli_from_the_repo_root_migrates_the_database_named_by_the_settings(
    pg_empty_settings: PostgresSettings,
) -> None:
    # Given no -x url, only the CS_PG_* settings the application reads
    env = {
        **os.environ,
        "CS_PG_HOST": pg_empty_settings.pg_host,
        "CS_PG_PORT": str(pg_empty_settings.pg_port),
        "CS_PG_USER": pg_empty_settings.pg_user,
        "CS_PG_PASSWORD": pg_empty_settings.pg_password.get_secret_value(),
        "CS_PG_DATABASE": pg_empty_settings.pg_database,
    }
    # When the documented command runs from the repository root
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "migrations/alembic.ini", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )
    # Then that database is at head
    assert result.returncode == 0, result.stderr
    assert query(pg_empty_settings, "SELECT version_num FROM alembic_version") == [[head_revision()]]


def test_env_migrates_through_a_connection_passed_by_the_caller(pg_empty_settings: PostgresSettings) -> None:
    # Given a caller that owns the connection and its transaction (a migrate Lambda, a test)
    engine = create_engine(pg_empty_settings.sqlalchemy_url(), poolclass=pool.NullPool)
    config = Config(str(ALEMBIC_INI))
    config.attributes["configure_logger"] = False
    # When it passes the connection in the config attributes
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    # Then the migrations ran on it
    assert query(pg_empty_settings, "SELECT version_num FROM alembic_version") == [[head_revision()]]


def test_alembic_config_points_at_the_migrations_folder(settings: PostgresSettings) -> None:
    # Given the helper's config (what the session template was migrated with)
    config = alembic_config(settings, "any_database")
    # Then the script location resolves relative to alembic.ini, whatever the working directory
    assert ScriptDirectory.from_config(config).dir == str(ROOT / "migrations")


# --- row-level security --------------------------------------------------------------------------


def test_every_tenant_table_has_row_level_security(pg: pg8000.native.Connection) -> None:
    # Given every table (not partition) with a tenant_id column, plus tenants itself
    rows = pg.run(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
        " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        " AND (c.relname = 'tenants' OR EXISTS (SELECT FROM pg_attribute a"
        "      WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))"
    )
    checked = {name: (rls, force, policies) for name, rls, force, policies in rows}
    # Then each has RLS enabled (not forced: the owner role bypasses it) and one policy
    assert set(checked) == TABLES - NOT_TENANT_TABLES - {"events_default"}
    assert all(value == (True, False, 1) for value in checked.values()), checked
    # And tenant_id is NOT NULL everywhere except dead_letters (unknown tenants)
    nullable = pg.run(
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_name = 'tenant_id' AND is_nullable = 'YES'"
    )
    assert nullable == [["dead_letters"]]


def test_rls_shows_a_tenant_only_its_own_rows(pg: pg8000.native.Connection) -> None:
    # Given two tenants with an event type each, written by the owner role (as the aggregator does)
    a, b = new_tenant(pg, "acme"), new_tenant(pg, "globex")
    for tenant in (a, b):
        pg.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, 'signup')", t=tenant)

    # When tenant A's request reads through cs_tenant
    pg.run("START TRANSACTION")
    pg.run("SET LOCAL ROLE cs_tenant")
    pg.run("SELECT set_config('app.tenant_id', :t, true)", t=str(a))
    # Then it sees only A's rows
    assert pg.run("SELECT tenant_id FROM event_types") == [[a]]
    assert pg.run("SELECT id FROM tenants") == [[a]]
    # And cannot change B's rows
    pg.run("UPDATE event_types SET description = 'mine now' WHERE tenant_id = :t", t=b)
    assert pg.row_count == 0
    # And cannot write a row for B
    with pytest.raises(pg8000.native.DatabaseError) as rejected:
        pg.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, 'purchase')", t=b)
    assert sqlstate(rejected) == "42501"
    assert "row-level security" in str(rejected.value)
    pg.run("ROLLBACK")

    # When a later transaction on the same connection takes the role but sets no tenant
    pg.run("START TRANSACTION")
    pg.run("SET LOCAL ROLE cs_tenant")
    # Then it sees nothing (fail closed) and does not error on the emptied setting
    assert pg.run("SELECT current_setting('app.tenant_id', true)") == [[""]]
    assert pg.run("SELECT count(*) FROM event_types") == [[0]]
    pg.run("ROLLBACK")
    # And the owner, outside those transactions, sees both tenants again
    assert pg.run("SELECT count(*) FROM event_types") == [[2]]


def test_cs_tenant_cannot_reach_pipeline_internals_or_partitions(pg: pg8000.native.Connection) -> None:
    # Given a cs_tenant transaction for some tenant
    pg.run("START TRANSACTION")
    pg.run("SET LOCAL ROLE cs_tenant")
    pg.run("SELECT set_config('app.tenant_id', :t, true)", t=str(uuid.uuid4()))
    probes = (
        "SELECT 1 FROM event_dedup",
        "SELECT 1 FROM consumer_offsets",
        "SELECT 1 FROM tenant_slot_freshness",
        "SELECT 1 FROM events_default",
    )
    for probe in probes:
        # When it reads a table the API has no business with, or a partition that would bypass the policy
        pg.run("SAVEPOINT probe")
        with pytest.raises(pg8000.native.DatabaseError) as denied:
            pg.run(probe)
        # Then permission is denied
        assert sqlstate(denied) == "42501", probe
        pg.run("ROLLBACK TO SAVEPOINT probe")
    # While the partitioned parent is readable (through the policy)
    assert pg.run("SELECT count(*) FROM events") == [[0]]
    pg.run("ROLLBACK")


# --- raw events and partitions -------------------------------------------------------------------


def test_an_event_lands_in_its_daily_partition_or_else_the_default(pg: pg8000.native.Connection) -> None:
    # Given the partitions the migration created (today-7 .. today+2, UTC)
    now = datetime.now(UTC)
    # When events for today and for a day long before any partition are inserted
    today = insert_event(pg, now)
    ancient = insert_event(pg, datetime(2001, 1, 1, 12, tzinfo=UTC))
    # Then each lands where it belongs, and neither insert fails
    assert today == f"events_p{now:%Y%m%d}"
    assert ancient == "events_default"


def test_ensure_event_partitions_is_idempotent_and_adopts_default_rows(pg: pg8000.native.Connection) -> None:
    # Given an event stored in the default partition because its day had no partition
    assert insert_event(pg, datetime(2001, 1, 1, 12, tzinfo=UTC)) == "events_default"
    count_sql = "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"
    partitions_before = pg.run(count_sql)[0][0]

    # When partitions are ensured for a range twice
    first = pg.run("SELECT ensure_event_partitions(:a, :b)", a=date(2001, 1, 1), b=date(2001, 1, 3))
    second = pg.run("SELECT ensure_event_partitions(:a, :b)", a=date(2001, 1, 1), b=date(2001, 1, 3))

    # Then the first call created three days and the second nothing
    assert (first, second) == ([[3]], [[0]])
    assert pg.run(count_sql) == [[partitions_before + 3]]
    # And the stray event moved into its new partition
    located = pg.run("SELECT tableoid::regclass::text FROM events WHERE occurred_at < '2001-01-02'")
    assert located == [["events_p20010101"]]
    assert pg.run("SELECT count(*) FROM events_default") == [[0]]
    # And partitions carry the parent's indexes
    indexes = pg.run("SELECT count(*) FROM pg_indexes WHERE tablename = 'events_p20010102'")
    assert indexes == [[4]]  # key, type+time, user+time, anonymous+time (0011)


def test_event_dedup_rejects_a_duplicate_event_id(pg: pg8000.native.Connection) -> None:
    # Given an event id already claimed by a tenant
    tenant, event_id = uuid.uuid4(), uuid.uuid4()
    claim = "INSERT INTO event_dedup (tenant_id, event_id, received_at) VALUES (:t, :e, now())"
    pg.run(claim, t=tenant, e=event_id)
    # When the aggregator claims it again, as it does (ON CONFLICT DO NOTHING RETURNING)
    again = pg.run(claim + " ON CONFLICT DO NOTHING RETURNING event_id", t=tenant, e=event_id)
    # Then nothing is claimed, so the retry is not counted
    assert again == []
    # And a plain insert is refused outright
    with pytest.raises(pg8000.native.DatabaseError) as duplicate:
        pg.run(claim, t=tenant, e=event_id)
    assert sqlstate(duplicate) == "23505"
    # While another tenant may use the same event id
    assert pg.run(claim + " RETURNING event_id", t=uuid.uuid4(), e=event_id) == [[event_id]]


# --- constraints ---------------------------------------------------------------------------------


def test_dead_letters_record_a_source_offset_once(pg: pg8000.native.Connection) -> None:
    # Given a poison record delivered twice from the same topic, partition and offset
    record = (
        "INSERT INTO dead_letters (reason_code, error_text, source_topic, source_partition, source_offset, value)"
        " VALUES ('decode_error', 'not JSON', 'events_raw', 3, 1234, :value)"
    )
    # When both deliveries are recorded the way the aggregator does
    for _ in range(2):
        pg.run(record + " ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING", value=b"\xff")
    # Then one row exists, with no tenant (it was unknown)
    assert pg.run("SELECT count(*), count(tenant_id) FROM dead_letters") == [[1, 0]]
    # And a plain duplicate insert is refused
    with pytest.raises(pg8000.native.DatabaseError) as duplicate:
        pg.run(record, value=b"\xff")
    assert sqlstate(duplicate) == "23505"


def test_api_key_scopes_are_limited_to_ingest_read_admin(pg: pg8000.native.Connection) -> None:
    # Given a project to own keys
    tenant = new_tenant(pg, "acme")
    project = new_project(pg, tenant)
    insert = (
        "INSERT INTO api_keys (tenant_id, project_id, key_hash, display_prefix, scopes)"
        " VALUES (:t, :p, :hash, 'cs_live_ab12', CAST(:scopes AS text[]))"
    )
    # When a key with known scopes is stored
    pg.run(insert, t=tenant, p=project, hash=os.urandom(32), scopes=["ingest", "read"])
    # Then it is accepted; and a key with an unknown scope is refused by the CHECK constraint
    with pytest.raises(pg8000.native.DatabaseError) as refused:
        pg.run(insert, t=tenant, p=project, hash=os.urandom(32), scopes=["ingest", "write"])
    assert sqlstate(refused) == "23514"
    assert refused.value.args[0]["n"] == "api_keys_scopes_check"


def test_metric_buckets_must_be_aligned_to_their_grain(pg: pg8000.native.Connection) -> None:
    # Given a tenant's minute and hour buckets
    upsert = "INSERT INTO {table} (tenant_id, event_type, bucket_start, event_count) VALUES (:t, 'signup', :at, 1)"
    tenant = uuid.uuid4()
    # When aligned buckets are written
    pg.run(upsert.format(table="metrics_minute"), t=tenant, at=datetime(2026, 1, 1, 10, 31, tzinfo=UTC))
    pg.run(upsert.format(table="metrics_hour"), t=tenant, at=datetime(2026, 1, 1, 10, tzinfo=UTC))
    # Then they are stored; and a minute that is not on the hour is refused by metrics_hour
    with pytest.raises(pg8000.native.DatabaseError) as refused:
        pg.run(upsert.format(table="metrics_hour"), t=tenant, at=datetime(2026, 1, 1, 10, 31, tzinfo=UTC))
    assert sqlstate(refused) == "23514"


# --- driver --------------------------------------------------------------------------------------


def test_pg8000_connections_from_the_adapter_set_tcp_nodelay(
    pg: pg8000.native.Connection, pg_settings: PostgresSettings
) -> None:
    # Given the adapter's connection and a plain pg8000 one (pg8000 keeps its socket in _usock)
    plain = pg8000.native.Connection(
        user=pg_settings.pg_user,
        password=pg_settings.pg_password.get_secret_value(),
        host=pg_settings.pg_host,
        port=pg_settings.pg_port,
        database=pg_settings.pg_database,
    )
    try:
        # Then only the adapter's socket has TCP_NODELAY (without it, messages over ~8 kB stall ~40 ms)
        assert pg._usock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert plain._usock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    finally:
        plain.close()


def test_the_minute_series_is_backfilled_from_the_minute_rows(pg_empty_settings: PostgresSettings) -> None:
    database = pg_empty_settings.pg_database
    run_alembic(pg_empty_settings, database, "upgrade", "0004_series_covering_key")
    tenant = query(pg_empty_settings, "INSERT INTO tenants (slug, name) VALUES ('b', 'B') RETURNING id")[0][0]
    for minute, count in ((0, 3), (59, 4), (61, 5)):
        query(
            pg_empty_settings,
            "INSERT INTO metrics_minute (tenant_id, event_type, bucket_start, event_count)"
            " VALUES (:t, 'signup', TIMESTAMPTZ '2026-01-01 10:00:00+00' + :m * interval '1 minute', :n)",
            t=tenant,
            m=minute,
            n=count,
        )
    run_alembic(pg_empty_settings, database, "upgrade", "0005_minute_series")
    rows = query(pg_empty_settings, "SELECT hour_start, counts FROM metrics_minute_series ORDER BY hour_start")
    assert [(row[0].hour, row[1][0], row[1][59], sum(row[1])) for row in rows] == [(10, 3, 4, 7), (11, 0, 0, 5)]
