"""Migration 0009 on a database holding data, and the sketch columns it leaves: precision, storage, writer."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pg8000.native
import pytest

from customersignal.adapters import pg_sketch
from customersignal.adapters.pg_aggregation import PostgresAggregationStore
from customersignal.adapters.postgres import connect
from customersignal.domain.record_decoding import DecodedRecord, decode_record
from customersignal.settings import PostgresSettings
from tests.fixtures.aggregator import add_tenant, envelope, records
from tests.fixtures.postgres import run_alembic

pytestmark = pytest.mark.integration

GRAINS = ("minute", "hour", "day")
RECENT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # membership rows and raw events
PRUNED = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)  # raw events only: its membership was pruned
ANCIENT = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)  # neither: only the final unique_users is left


def floor(moment: datetime, grain: str) -> datetime:
    if grain == "minute":
        return moment
    return moment.replace(minute=0) if grain == "hour" else moment.replace(hour=0, minute=0)


@pytest.fixture
def db_at_0008(pg_empty_settings: PostgresSettings) -> Iterator[tuple[PostgresSettings, pg8000.native.Connection]]:
    run_alembic(pg_empty_settings, pg_empty_settings.pg_database, "upgrade", "0008_alert_state_changed_at")
    connection = connect(pg_empty_settings)
    yield pg_empty_settings, connection
    connection.close()


def seed(pg: pg8000.native.Connection) -> uuid.UUID:
    """Buckets at each grain for RECENT (5 members, 3 of them plus an anonymous one in the raw events),
    PRUNED (2 users in the raw events only) and ANCIENT (unique_users 42, no source left)."""
    tenant: uuid.UUID = pg.run("INSERT INTO tenants (slug, name) VALUES ('s', 'S') RETURNING id")[0][0]
    project = pg.run("INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'p', 'P') RETURNING id", t=tenant)[0][0]
    for day in (RECENT, PRUNED):
        pg.run("SELECT ensure_event_partitions(CAST(:d AS date), CAST(:d AS date))", d=day.date())
    raw: dict[datetime, list[tuple[str | None, str | None]]] = {
        RECENT: [("u1", None), ("u2", None), ("u3", None), (None, "a1")],
        PRUNED: [("u7", None), ("u8", None)],
    }
    for at, identities in raw.items():
        for offset, (user, anonymous) in enumerate(identities):
            pg.run(
                "INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, anonymous_id, occurred_at,"
                " received_at) VALUES (:t, :p, :id, 'signup', :u, :a, :at, :at)",
                t=tenant, p=project, id=uuid.uuid4(), u=user, a=anonymous, at=at + timedelta(seconds=offset),
            )  # fmt: skip
    for grain in GRAINS:
        for at, users in ((RECENT, 5), (PRUNED, 2), (ANCIENT, 42)):
            pg.run(
                f"INSERT INTO metrics_{grain} (tenant_id, event_type, bucket_start, event_count, unique_users)"  # noqa: S608
                " VALUES (:t, 'signup', :b, 100, :n)",
                t=tenant, b=floor(at, grain), n=users,
            )  # fmt: skip
        for user in ("u1", "u2", "u3", "u4", "u5"):
            pg.run(
                f"INSERT INTO metrics_{grain}_users (tenant_id, event_type, bucket_start, user_key)"  # noqa: S608
                " VALUES (:t, 'signup', :b, :u)",
                t=tenant, b=floor(RECENT, grain), u=user,
            )  # fmt: skip
    return tenant


def state(pg: pg8000.native.Connection, grain: str) -> dict[datetime, tuple[int, int, int | None]]:
    """bucket -> (event_count, unique_users, the sketch's cardinality or None without a users column)."""
    has_users = pg.run(
        "SELECT count(*) FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attname = 'users'",
        t=f"metrics_{grain}",
    ) == [[1]]
    sketch = "hll_cardinality(users)::int" if has_users else "NULL::int"
    rows = pg.run(f"SELECT bucket_start, event_count, unique_users, {sketch} FROM metrics_{grain}")  # noqa: S608
    return {b.astimezone(UTC): (n, u, s) for b, n, u, s in rows}


def membership_tables(pg: pg8000.native.Connection) -> dict[str, int]:
    names = pg.run("SELECT relname FROM pg_class WHERE relname ~ '^metrics_(minute|hour|day)_users$' AND relkind = 'r'")
    return {name: pg.run(f"SELECT count(*)::int FROM {name}")[0][0] for (name,) in names}  # noqa: S608


def test_upgrade_downgrade_upgrade_keeps_what_can_be_kept(
    db_at_0008: tuple[PostgresSettings, pg8000.native.Connection], caplog: pytest.LogCaptureFixture
) -> None:
    settings, pg = db_at_0008
    seed(pg)
    # When 0009 is applied
    run_alembic(settings, settings.pg_database, "upgrade", "0009_unique_user_sketches")
    # Then every bucket's sketch holds the union of its membership rows and raw events (u1-u5 + anon-a1),
    # unique_users follows the sketch, counts are untouched, and a bucket with no source keeps its 42
    for grain in GRAINS:
        assert state(pg, grain) == {
            floor(RECENT, grain): (100, 6, 6),
            floor(PRUNED, grain): (100, 2, 2),
            floor(ANCIENT, grain): (100, 42, 0),
        }, grain
    assert membership_tables(pg) == {}

    # When it is downgraded
    with caplog.at_level(logging.WARNING):
        run_alembic(settings, settings.pg_database, "downgrade", "0008_alert_state_changed_at")
    # Then the membership tables are back, EMPTY, and the log says membership could not be recovered
    assert membership_tables(pg) == {f"metrics_{grain}_users": 0 for grain in GRAINS}
    assert "cannot be recovered" in caplog.text
    # And the sketches are gone while unique_users keeps its last values
    for grain in GRAINS:
        assert state(pg, grain) == {
            floor(RECENT, grain): (100, 6, None),
            floor(PRUNED, grain): (100, 2, None),
            floor(ANCIENT, grain): (100, 42, None),
        }, grain

    # When it is upgraded again
    run_alembic(settings, settings.pg_database, "upgrade", "0009_unique_user_sketches")
    # Then the raw events refill what they hold; the members only the lost rows knew (u4, u5) are gone
    for grain in GRAINS:
        assert state(pg, grain)[floor(RECENT, grain)] == (100, 4, 4), grain
        assert state(pg, grain)[floor(ANCIENT, grain)] == (100, 42, 0), grain


def test_the_code_builds_sketches_of_the_columns_precision(pg: pg8000.native.Connection) -> None:
    # Given the migrated columns' declared types
    declared = pg.run(
        "SELECT c.relname, format_type(a.atttypid, a.atttypmod), a.attstorage, c.reloptions"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " WHERE a.attname = 'users' AND c.relname = ANY(:tables)",
        tables=[f"metrics_{grain}" for grain in GRAINS],
    )
    # Then each is the precision the code uses, stored MAIN with room for a full sketch in the row
    expected = pg_sketch.COLUMN_TYPE.replace(" ", "")
    assert sorted(row[1] for row in declared) == [expected] * 3
    assert all(row[2] == "m" and "toast_tuple_target=4080" in row[3] for row in declared)
    # And sketches built by the code's SQL fragments fit the column and union with it (a sketch of other
    # parameters is refused by both)
    pg.run(
        "INSERT INTO metrics_minute (tenant_id, event_type, bucket_start, event_count, users)"
        f" SELECT gen_random_uuid(), 'x', TIMESTAMPTZ '2026-01-01 00:00+00', 1, {pg_sketch.add_agg("'ann'")}"
    )
    built = f"(SELECT {pg_sketch.add_agg('u')} FROM (VALUES ('ann'), ('bob')) v(u))"  # noqa: S608
    assert pg.run(f"SELECT hll_cardinality(hll_union(users, {built}))::int FROM metrics_minute") == [[2]]  # noqa: S608


def test_a_full_sketch_stays_inline_and_uncompressed(pg: pg8000.native.Connection) -> None:
    # Given rows holding full dense sketches (100,000 users each: far past the sparse form)
    full = f"(SELECT {pg_sketch.add_agg('g::text')} FROM generate_series(1, 100000) g)"  # noqa: S608
    for grain in GRAINS:
        pg.run(
            f"INSERT INTO metrics_{grain} (tenant_id, event_type, bucket_start, event_count, users)"  # noqa: S608
            f" SELECT gen_random_uuid(), 'x', TIMESTAMPTZ '2026-01-01 00:00+00', 1, {full} FROM generate_series(1, 20)"
        )
    for grain in GRAINS:
        # Then each sketch is its full 2,563 bytes plus the 4-byte header (not compressed)
        sizes = f"SELECT min(pg_column_size(users)), max(pg_column_size(users)) FROM metrics_{grain}"  # noqa: S608
        assert pg.run(sizes) == [[2567, 2567]], grain
        # And nothing went to the TOAST table
        toast = pg.run("SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = :t", t=f"metrics_{grain}")
        assert toast == [[0]], grain


def test_a_user_re_added_much_later_counts_once(agg_db: pg8000.native.Connection, pg_settings: Any) -> None:
    # Given a bucket 30 days old (past the old 8-day membership horizon) with ann and bob counted
    ref = add_tenant(agg_db)
    old = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=30)
    store = PostgresAggregationStore(lambda: connect(pg_settings))
    first = [envelope(ref, user="ann", at=old), envelope(ref, user="bob", at=old)]
    # When late events for the same bucket arrive much later: ann again, and carol; then ann once more
    late = [envelope(ref, user="ann", at=old), envelope(ref, user="carol", at=old)]
    again = [envelope(ref, user="ann", at=old)]
    try:
        for batch in (first, late, again):
            decoded = [decode_record(r) for r in records(batch)]
            with store.transaction() as tx:
                tx.count_new_events([d for d in decoded if isinstance(d, DecodedRecord)])
    finally:
        store.close()
    # Then every grain counts ann once: three users, while the events all count
    for grain in GRAINS:
        rows = agg_db.run(
            f"SELECT event_count, unique_users, hll_cardinality(users)::int FROM metrics_{grain}"  # noqa: S608
        )
        assert rows == [[5, 3, 3]], grain
