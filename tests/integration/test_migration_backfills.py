"""Migrations 0007 and 0008 fill their new columns from what an existing database already holds: the
catalog's event-time bounds from the stored raw events, an alert state's change time from its history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from customersignal.adapters.postgres import connect
from customersignal.settings import PostgresSettings
from tests.fixtures.postgres import run_alembic

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_existing_types_and_alert_states_are_backfilled(pg_empty_settings: PostgresSettings) -> None:
    # Given a database at 0006 with a backfilled type (events two hours older than their receipt)
    database = pg_empty_settings.pg_database
    run_alembic(pg_empty_settings, database, "upgrade", "0006_alert_repeats")
    pg = connect(pg_empty_settings)
    try:
        tenant = pg.run("INSERT INTO tenants (slug, name) VALUES ('b', 'B') RETURNING id")[0][0]
        project = pg.run("INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'p', 'P') RETURNING id", t=tenant)[
            0
        ][0]
        pg.run(
            "INSERT INTO event_types (tenant_id, project_id, name, first_seen_at, last_seen_at, volume_total)"
            " VALUES (:t, :p, 'imported', :seen, :seen, 3), (:t, :p, 'planned_only', NULL, NULL, 0)",
            t=tenant, p=project, seen=T0,
        )  # fmt: skip
        pg.run("SELECT ensure_event_partitions(CAST(:a AS date), CAST(:b AS date))", a=T0.date() - timedelta(days=1),
               b=T0.date() + timedelta(days=1))  # fmt: skip
        for i, minutes in enumerate((130, 120, 95)):
            pg.run(
                "INSERT INTO events (tenant_id, project_id, event_id, event_type, user_id, occurred_at, received_at,"
                " kafka_partition, kafka_offset) VALUES (:t, :p, :id, 'imported', 'u1', :at, :seen, 0, :o)",
                t=tenant, p=project, id=uuid.uuid4(), at=T0 - timedelta(minutes=minutes), seen=T0, o=i,
            )  # fmt: skip
        # and a rule that went FIRING (window ending 12:01) in a transition recorded at 12:00:05
        rule = pg.run(
            "INSERT INTO alert_rules (tenant_id, name, event_type, metric, window_seconds, condition_kind, parameters)"
            " VALUES (:t, 'r', 'imported', 'count', 60, 'threshold', '{\"operator\": \"above\", \"value\": 1}')"
            " RETURNING id",
            t=tenant,
        )[0][0]
        pg.run("INSERT INTO alert_states (rule_id, tenant_id, state, since) VALUES (:r, :t, 'FIRING', :w)",
               r=rule, t=tenant, w=T0 + timedelta(minutes=1))  # fmt: skip
        pg.run(
            "INSERT INTO alert_history (tenant_id, rule_id, from_state, to_state, bucket_start, bucket_end,"
            " transition_key, notification_status, notified_at, created_at)"
            " VALUES (:t, :r, 'OK', 'FIRING', :s, :e, 'k1', 'sent', :at, :at)",
            t=tenant, r=rule, s=T0, e=T0 + timedelta(minutes=1), at=T0 + timedelta(seconds=5),
        )  # fmt: skip
    finally:
        pg.close()

    # When migrated to head
    run_alembic(pg_empty_settings, database, "upgrade", "head")

    # Then the type's event-time bounds come from its events, and receive time is left as it was
    pg = connect(pg_empty_settings)
    try:
        rows = pg.run("SELECT name, first_seen_at, first_event_at, last_event_at FROM event_types ORDER BY name")
        state = pg.run("SELECT since, changed_at FROM alert_states WHERE rule_id = :r", r=rule)
    finally:
        pg.close()
    assert rows == [
        ["imported", T0, T0 - timedelta(minutes=130), T0 - timedelta(minutes=95)],
        ["planned_only", None, None, None],
    ]
    # And the state changed when its transition was recorded, not at the end of its window
    assert state == [[T0 + timedelta(minutes=1), T0 + timedelta(seconds=5)]]
