"""TenantDatabase: row-level security really scopes every statement, and nothing leaks between uses of a
pooled connection (role, tenant, a failed transaction), on real Postgres."""

from __future__ import annotations

import uuid

import pg8000.native
import pytest

from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.postgres import connect
from customersignal.domain.errors import Unavailable
from customersignal.settings import PostgresSettings
from tests.fixtures.aggregator import add_tenant

pytestmark = pytest.mark.integration


def test_statements_see_only_the_tenants_rows_even_without_a_predicate(
    pg_settings: PostgresSettings, agg_db: pg8000.native.Connection
) -> None:
    a, b = add_tenant(agg_db), add_tenant(agg_db)
    for ref, name in ((a, "alpha"), (b, "beta")):
        agg_db.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, :n)", t=ref.tenant_id, n=name)
    db = TenantDatabase(lambda: connect(pg_settings), max_connections=1)
    with db.transaction(a.tenant_id) as conn:
        assert conn.run("SELECT name FROM event_types") == [["alpha"]]
        assert conn.run("SELECT count(*) FROM tenants") == [[1]]
    with pytest.raises(pg8000.native.DatabaseError), db.transaction(a.tenant_id) as conn:
        conn.run("SELECT count(*) FROM event_dedup")  # no privilege on pipeline internals
    with db.transaction(b.tenant_id) as conn:  # the same pooled connection, now for b
        assert conn.run("SELECT name FROM event_types") == [["beta"]]
    with pytest.raises(pg8000.native.DatabaseError), db.transaction(b.tenant_id) as conn:
        conn.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, 'x')", t=a.tenant_id)  # not b's row
    with db.transaction(uuid.uuid4()) as conn:  # after a failed transaction: clean, and an unknown tenant sees nothing
        assert conn.run("SELECT count(*) FROM event_types") == [[0]]
        assert conn.run("SELECT current_user")[0][0] == "cs_tenant"
    raw = db._idle.get()
    assert raw.run("SELECT current_user::text, current_setting('app.tenant_id', true)") == [["customersignal", ""]]
    db._idle.put(raw)
    db.close()


def test_a_broken_connection_is_replaced_and_a_slow_query_is_a_clear_503(pg_settings: PostgresSettings) -> None:
    db = TenantDatabase(lambda: connect(pg_settings), max_connections=1, statement_timeout_ms=200)
    tenant = uuid.uuid4()
    with db.transaction(tenant) as conn:
        pid = conn.run("SELECT pg_backend_pid()")[0][0]
    killer = connect(pg_settings)
    killer.run("SELECT pg_terminate_backend(:pid)", pid=pid)
    killer.close()
    with pytest.raises(Unavailable) as lost, db.transaction(tenant) as conn:
        conn.run("SELECT 1")
    assert lost.value.code == "postgres_unavailable"
    with db.transaction(tenant) as conn:  # a fresh connection took its place
        assert conn.run("SELECT 1") == [[1]]
    with pytest.raises(Unavailable) as slow, db.transaction(tenant) as conn:
        conn.run("SELECT pg_sleep(2)")
    assert slow.value.code == "query_timeout"
    with db.transaction(tenant) as conn:
        assert conn.run("SELECT 1") == [[1]]
    db.close()
