"""Migrations 0011 and 0015: the identity map is filled from the events already stored (earliest link wins,
$alias calls included), the insight indexes exist, a downgrade leaves the events as they were; the rollup
summaries are derived from the hourly rollups already stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pg8000.native
import pytest

from customersignal.adapters.postgres import connect
from customersignal.settings import PostgresSettings
from tests.fixtures.postgres import run_alembic

pytestmark = pytest.mark.integration

BEFORE = "0010_tenant_spread"  # 0011's down_revision
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def store(
    pg: pg8000.native.Connection,
    tenant: uuid.UUID,
    project: uuid.UUID,
    event_type: str,
    *,
    user: str | None,
    anonymous: str | None,
    minutes: int,
    properties: str = "{}",
) -> None:
    pg.run(
        "INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, anonymous_id, occurred_at,"
        " received_at, properties) VALUES (:t, :p, :id, :e, :u, :a, :at, :at, CAST(:props AS jsonb))",
        t=tenant,
        p=project,
        id=uuid.uuid4(),
        e=event_type,
        u=user,
        a=anonymous,
        at=T0 + timedelta(minutes=minutes),
        props=properties,
    )


def test_aliases_come_from_stored_events_and_the_downgrade_keeps_them(pg_empty_settings: PostgresSettings) -> None:
    # Given a database before 0011 holding two tenants' events
    database = pg_empty_settings.pg_database
    run_alembic(pg_empty_settings, database, "upgrade", BEFORE)
    pg = connect(pg_empty_settings)
    try:
        pg.run("SELECT ensure_event_partitions(CAST(:d AS date), CAST(:d AS date))", d=T0.date())
        tenants = [pg.run("INSERT INTO tenants (slug, name) VALUES (:s, :s) RETURNING id", s=s)[0][0] for s in "ab"]
        a, b = tenants
        pa, pb = (
            pg.run("INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'web', 'Web') RETURNING id", t=t)[0][0]
            for t in tenants
        )
        store(pg, a, pa, "page", user=None, anonymous="anon-1", minutes=0)
        store(pg, a, pa, "$identify", user="u-2", anonymous="anon-1", minutes=9)  # later link: loses
        store(pg, a, pa, "$identify", user="u-1", anonymous="anon-1", minutes=5)  # earliest link: wins
        store(pg, a, pa, "$alias", user="u-3", anonymous=None, minutes=1, properties='{"previousId": "anon-3"}')
        store(pg, a, pa, "$alias", user="u-4", anonymous=None, minutes=1, properties='{"previousId": 7}')
        store(pg, a, pa, "page", user="same", anonymous="same", minutes=2)  # no link to itself
        store(pg, b, pb, "$identify", user="u-9", anonymous="anon-1", minutes=0)  # another tenant's anon-1
        events_before = pg.run("SELECT count(*) FROM events")
    finally:
        pg.close()

    # When migrated to 0011
    run_alembic(pg_empty_settings, database, "upgrade", "0011_insights")

    pg = connect(pg_empty_settings)
    try:
        # Then each tenant's anonymous ids point at their earliest identified user
        links = pg.run(
            "SELECT tenant_id, anonymous_id, user_id, linked_at FROM person_aliases ORDER BY tenant_id = :a DESC,"
            " anonymous_id",
            a=a,
        )
        assert links == [
            [a, "anon-1", "u-1", T0 + timedelta(minutes=5)],
            [a, "anon-3", "u-3", T0 + timedelta(minutes=1)],
            [b, "anon-1", "u-9", T0],
        ]
        # And funnels can read who did a step from the type index alone
        definition = pg.run("SELECT indexdef FROM pg_indexes WHERE indexname = 'events_type_time_idx'")[0][0]
        assert "INCLUDE (user_id, anonymous_id)" in definition
        assert pg.run("SELECT to_regclass('events_anonymous_time_idx') IS NOT NULL") == [[True]]
        # And a measure or dimension mark names one of two roles
        pg.run("INSERT INTO event_types (tenant_id, name) VALUES (:a, 'checkout')", a=a)
        with pytest.raises(pg8000.native.DatabaseError) as refused:
            pg.run(
                "INSERT INTO property_rollups (tenant_id, event_type, property_name, role)"
                " VALUES (:a, 'checkout', 'plan', 'grouping')",
                a=a,
            )
        assert refused.value.args[0]["C"] == "23514"
    finally:
        pg.close()

    # When downgraded again Then the new tables are gone and the events untouched
    run_alembic(pg_empty_settings, database, "downgrade", BEFORE)
    pg = connect(pg_empty_settings)
    try:
        for table in ("person_aliases", "property_rollups", "property_rollup_hour"):
            assert pg.run("SELECT to_regclass(:t)", t=table) == [[None]]
        assert pg.run("SELECT count(*) FROM events") == events_before
        definition = pg.run("SELECT indexdef FROM pg_indexes WHERE indexname = 'events_type_time_idx'")[0][0]
        assert "INCLUDE" not in definition
    finally:
        pg.close()

    # When upgraded once more Then the same links are rebuilt
    run_alembic(pg_empty_settings, database, "upgrade", "0011_insights")
    pg = connect(pg_empty_settings)
    try:
        assert pg.run("SELECT count(*) FROM person_aliases") == [[3]]
    finally:
        pg.close()


def test_the_summaries_are_derived_from_the_rollups_already_stored(pg_empty_settings: PostgresSettings) -> None:
    # Given a database at 0014 holding hourly rollup rows over two UTC days (a dimension's and a measure's)
    database = pg_empty_settings.pg_database
    run_alembic(pg_empty_settings, database, "upgrade", "0014_alert_insights")
    pg = connect(pg_empty_settings)
    try:
        tenant = pg.run("INSERT INTO tenants (slug, name) VALUES ('s', 's') RETURNING id")[0][0]
        pg.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, 'checkout')", t=tenant)
        rows = [("plan", '"pro"', "", 0, 2, 0, 0.0), ("plan", '"pro"', "", 23, 3, 0, 0.0)]
        rows += [("plan", '"free"', "", 23, 1, 0, 0.0), ("plan", '"pro"', "amount", 23, 3, 2, 7.5)]
        rows += [("", "null", "amount", 23, 4, 3, 9.5)]  # over all events: one value, not summarised
        for dimension, value, measure, hours, count, value_count, value_sum in rows:
            pg.run(
                "INSERT INTO property_rollup_hour (tenant_id, event_type, dimension, dim_value, measure, bucket_start,"
                " event_count, value_count, value_sum) VALUES (:t, 'checkout', :d, CAST(:v AS jsonb), :m, :b, :n, :xn,"
                " :xs)",
                t=tenant,
                d=dimension,
                v=value,
                m=measure,
                b=T0 + timedelta(hours=hours),  # 09:00 on day 1, 08:00 on day 2
                n=count,
                xn=value_count,
                xs=value_sum,
            )
        # When 0015 runs
        run_alembic(pg_empty_settings, database, "upgrade", "0015_rollup_summaries")
        # Then the days and the hour totals hold the stored rows' sums
        days = pg.run(
            "SELECT dimension, dim_value::text, measure, day_start, event_count, value_count, value_sum"
            " FROM property_rollup_day ORDER BY 1, 2, 3, 4"
        )
        day1, day2 = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
        assert days == [
            ["plan", '"free"', "", day2, 1, 0, 0.0],
            ["plan", '"pro"', "", day1, 2, 0, 0.0],
            ["plan", '"pro"', "", day2, 3, 0, 0.0],
            ["plan", '"pro"', "amount", day2, 3, 2, 7.5],
        ]
        totals = pg.run(
            "SELECT dimension, measure, bucket_start, event_count FROM property_rollup_hour_total ORDER BY 1, 2, 3"
        )
        assert totals == [
            ["plan", "", T0, 2],
            ["plan", "", T0 + timedelta(hours=23), 4],
            ["plan", "amount", T0 + timedelta(hours=23), 3],
        ]
        # And emptying the hours empties them, alone or in one TRUNCATE with them (as resets do)
        pg.run("BEGIN")
        pg.run("TRUNCATE property_rollup_hour")
        assert pg.run(
            "SELECT (SELECT count(*) FROM property_rollup_day) + count(*) FROM property_rollup_hour_total"
        ) == [[0]]
        pg.run("ROLLBACK")
        pg.run("BEGIN")
        pg.run("TRUNCATE property_rollup_hour, property_rollup_day, property_rollup_hour_total")
        pg.run("ROLLBACK")
        # And a downgrade to 0014 removes them and leaves the hourly rows
        run_alembic(pg_empty_settings, database, "downgrade", "0014_alert_insights")
        assert pg.run("SELECT count(*) FROM property_rollup_hour") == [[5]]
        assert pg.run("SELECT to_regclass('property_rollup_day'), to_regclass('property_rollup_hour_total')") == [
            [None, None]
        ]
    finally:
        pg.close()
