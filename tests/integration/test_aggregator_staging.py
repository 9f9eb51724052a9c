"""The staged write path against real Postgres: COPY carries every value exactly, and the one set-based
statement buckets by UTC event time, counts users in sketches and teaches the catalog."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pg8000.native
import pytest

from customersignal.domain.aggregation import minute_bucket
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from tests.fixtures.aggregator import NOW, add_tenant, envelope, records

pytestmark = pytest.mark.integration

MakePorts = Callable[..., AggregatorPorts]


def counts(db: pg8000.native.Connection, grain: str) -> dict[tuple[str, Any], tuple[int, int]]:
    rows = db.run(f"SELECT event_type, bucket_start, event_count, unique_users FROM metrics_{grain}")  # noqa: S608
    return {(t, b): (n, u) for t, b, n, u in rows}


def test_values_with_copy_escapes_are_stored_exactly(agg_db: pg8000.native.Connection, make_ports: MakePorts) -> None:
    # Given text full of what COPY's text format escapes: backslashes, tabs, newlines, carriage returns
    ref = add_tenant(agg_db)
    awkward = 'a\\b\tc\nd\re \\N "q" é 😀'
    properties = {awkward: awkward, "path": "C:\\new\\table", "nested": {"t": "\t", "list": [awkward, 1.5, None]}}
    event = envelope(ref, f"type {awkward}", user=awkward, anonymous=awkward, properties=properties)
    # When it is applied
    outcome = apply_batch(records([event]), make_ports(), NOW)
    # Then every value comes back as it was sent
    assert outcome.counted == 1
    stored = agg_db.run("SELECT event_type, user_id, anonymous_id, properties::text FROM events")
    assert stored[0][:3] == [f"type {awkward}", awkward, awkward]
    assert json.loads(stored[0][3]) == properties
    assert agg_db.run("SELECT name FROM event_types") == [[f"type {awkward}"]]


def test_buckets_are_utc_whatever_the_database_time_zone(
    agg_db: pg8000.native.Connection, make_ports: MakePorts, pg_settings: Any
) -> None:
    # Given a database whose default zone is UTC+05:45, and an event 30 minutes before UTC midnight
    agg_db.run(f"ALTER DATABASE \"{pg_settings.pg_database}\" SET timezone = 'Asia/Kathmandu'")
    ref = add_tenant(agg_db)
    at = NOW.replace(hour=23, minute=30, second=5, microsecond=0)
    # When it is applied (the store opens a new connection, which takes the database default)
    apply_batch(records([envelope(ref, at=at)]), make_ports(), at + timedelta(seconds=2))
    # Then its minute, hour and day are UTC ones
    assert counts(agg_db, "minute") == {("signup", minute_bucket(at)): (1, 1)}
    assert counts(agg_db, "hour") == {("signup", at.replace(minute=0, second=0)): (1, 1)}
    assert counts(agg_db, "day") == {("signup", at.replace(hour=0, minute=0, second=0)): (1, 1)}


def test_a_batch_collapses_into_counts_by_event_time_and_teaches_the_catalog(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given three signups in one minute (two users, one anonymous), one signup 8 days late, one checkout
    ref = add_tenant(agg_db)
    minute = minute_bucket(NOW)
    late = minute - timedelta(days=8)
    batch = [
        envelope(ref, user="u1", at=minute + timedelta(seconds=1)),
        envelope(ref, user="u1", at=minute + timedelta(seconds=2)),
        envelope(ref, user=None, anonymous="a9", at=minute + timedelta(seconds=59)),
        envelope(ref, user="u1", at=late + timedelta(seconds=10), received=NOW),
        envelope(ref, "checkout", at=minute, properties={"amount": 10, "coupon": None, "": 1, "p" * 256: 2}),
    ]
    # When it is applied
    apply_batch(records(batch), make_ports(), NOW + timedelta(minutes=1))
    # Then counts and unique users are per (type, minute of event time); the late event has its own bucket
    assert counts(agg_db, "minute") == {
        ("signup", minute): (3, 2),
        ("signup", late): (1, 1),
        ("checkout", minute): (1, 1),
    }
    # And the catalog learns property types (names of 1-255 characters), and receive and event time bounds
    properties = agg_db.run("SELECT property_name, observed_types FROM event_type_properties ORDER BY 1")
    assert properties == [["amount", ["number"]], ["coupon", ["null"]]]
    bounds = agg_db.run(
        "SELECT first_seen_at, last_seen_at, first_event_at, last_event_at, volume_total, project_id::text"
        " FROM event_types WHERE name = 'signup'"
    )
    received = [e.received_at for e in batch[:4]]
    assert bounds == [
        [
            min(received),
            max(received),
            late + timedelta(seconds=10),
            minute + timedelta(seconds=59),
            4,
            str(ref.project_id),
        ]
    ]


def test_a_user_added_again_much_later_counts_once(agg_db: pg8000.native.Connection, make_ports: MakePorts) -> None:
    # Given ann counted in a day bucket
    ref = add_tenant(agg_db)
    day = NOW.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=20)
    ports = make_ports()
    apply_batch(records([envelope(ref, user="ann", at=day + timedelta(hours=1))]), ports, NOW)
    # When a late event of hers for the same day arrives, long after any exact membership would be gone
    late = envelope(ref, user="ann", at=day + timedelta(hours=5), received=NOW + timedelta(days=9))
    apply_batch(records([late], first_offset=1), ports, NOW + timedelta(days=9))
    # Then the day has two events and one user
    assert counts(agg_db, "day") == {("signup", day): (2, 1)}


def test_a_bucket_older_than_its_sketch_keeps_its_exact_count(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given a day bucket from before sketches whose users were gone when migration 0009 ran: 500 exact
    # unique users, an empty sketch
    ref = add_tenant(agg_db)
    day = NOW.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=400)
    agg_db.run(
        "INSERT INTO metrics_day (tenant_id, event_type, bucket_start, event_count, unique_users)"
        " VALUES (:t, 'signup', :b, 900, 500)",
        t=str(ref.tenant_id),
        b=day,
    )
    # When a late event of that day arrives
    apply_batch(records([envelope(ref, user="zoe", at=day + timedelta(hours=3), received=NOW)]), make_ports(), NOW)
    # Then the count grows and the exact users stay (the new sketch alone would say 1)
    assert counts(agg_db, "day")[("signup", day)] == (901, 500)
