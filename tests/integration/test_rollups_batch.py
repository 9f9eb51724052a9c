"""Property rollups on the aggregator's batch statement and their backfill, against real Postgres and Kafka:
the rollup rows hold exactly what the raw events give, across marking, backfill, late events, duplicate
deliveries and a batch retried after a failure."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pg8000.native
import pytest

from customersignal.adapters.pg_rollup_backfill import backfill_rollups
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.domain.envelope import Envelope
from tests.fixtures.aggregator import NOW, TenantRef, add_tenant, envelope, records
from tests.support.rollups import summary_mismatches, summary_rows

pytestmark = pytest.mark.integration

MakePorts = Callable[..., AggregatorPorts]
Row = tuple[int, int | None, int, float, float | None, float | None]  # count, users, n, sum, min, max
MARK = NOW  # every rollup's active_from in these tests
H1 = NOW.replace(minute=0, second=0) - timedelta(hours=3)
H2 = H1 + timedelta(hours=1)
BEFORE, AFTER = MARK - timedelta(minutes=10), MARK + timedelta(minutes=1)  # receive times

ROLLUP_ROWS = """
SELECT dimension, dim_value::text, measure, bucket_start, event_count, round(hll_cardinality(users))::int,
       value_count, value_sum, value_min, value_max
FROM property_rollup_hour WHERE tenant_id = :t
"""
# The same cells computed from the stored raw events, for the rollups of one type.
RAW_CELLS = """
WITH ev AS (
    SELECT date_trunc('hour', occurred_at) AS b, properties AS p, COALESCE(user_id, 'anon-' || anonymous_id) AS k
    FROM events WHERE tenant_id = :t AND event_type = :e
), cells AS (
    SELECT d.property_name AS d, '' AS m FROM property_rollups d WHERE d.tenant_id = :t AND d.role = 'dimension'
    UNION ALL SELECT '', m.property_name FROM property_rollups m WHERE m.tenant_id = :t AND m.role = 'measure'
    UNION ALL SELECT d.property_name, m.property_name FROM property_rollups d JOIN property_rollups m
        ON m.tenant_id = d.tenant_id AND m.role = 'measure' WHERE d.tenant_id = :t AND d.role = 'dimension'
), x AS (
    SELECT c.d, CASE WHEN c.d = '' THEN 'null'::jsonb ELSE COALESCE(ev.p -> c.d, 'null') END AS v, c.m, ev.b, ev.k,
           CASE WHEN c.m <> '' AND jsonb_typeof(ev.p -> c.m) = 'number' THEN (ev.p -> c.m)::float8 END AS x
    FROM ev CROSS JOIN cells c
)
SELECT d, v::text, m, b, count(*), CASE WHEN m = '' THEN count(DISTINCT k) END::int, count(x), COALESCE(sum(x), 0),
       min(x), max(x)
FROM x GROUP BY d, v, m, b
"""


def cells(rows: Sequence[Sequence[Any]]) -> dict[tuple[str, str, str, datetime], Row]:
    return {(d, v, m, b): (n, u, xn, float(xs), lo, hi) for d, v, m, b, n, u, xn, xs, lo, hi in rows}


def rollup_cells(db: pg8000.native.Connection, ref: TenantRef) -> dict[tuple[str, str, str, datetime], Row]:
    return cells(db.run(ROLLUP_ROWS, t=ref.tenant_id))


def raw_cells(db: pg8000.native.Connection, ref: TenantRef, event_type: str) -> dict[Any, Row]:
    return cells(db.run(RAW_CELLS, t=ref.tenant_id, e=event_type))


def mark(db: pg8000.native.Connection, ref: TenantRef, prop: str, role: str, at: datetime = MARK) -> None:
    db.run(
        "INSERT INTO property_rollups (tenant_id, event_type, property_name, role, active_from)"
        " VALUES (:t, 'checkout', :p, :r, :a)",
        t=ref.tenant_id,
        p=prop,
        r=role,
        a=at,
    )


def checkout(ref: TenantRef, user: str, at: datetime, received: datetime, **properties: Any) -> Envelope:
    return envelope(ref, "checkout", user=user, at=at + timedelta(minutes=5), received=received, properties=properties)


class Offsets:
    def __init__(self) -> None:
        self.next = 0

    def take(self, n: int) -> int:
        first, self.next = self.next, self.next + n
        return first


class FailingPublisher:
    """A dead-letter publisher that fails the batch inside its transaction, after the counts."""

    def publish(self, letters: Sequence[Any]) -> None:
        raise RuntimeError("the broker went away mid-batch")


EXPECTED_AFTER_BACKFILL = {
    # dimension rows: (count, users, 0, 0, None, None)
    ("plan", '"pro"', "", H1): (2, 2, 0, 0.0, None, None),  # a1 (before the mark), b1 (late, after)
    ("plan", '"free"', "", H1): (1, 1, 0, 0.0, None, None),  # a2
    ("plan", '"pro"', "", H2): (2, 2, 0, 0.0, None, None),  # a3, d1 (retried after a failure)
    ("plan", "null", "", H2): (1, 1, 0, 0.0, None, None),  # b2 has no plan
    ("plan", '"free"', "", H2): (1, 1, 0, 0.0, None, None),  # b3
    # the measure over all events: count of events, then count, sum, min and max of the numbers
    ("", "null", "amount", H1): (3, None, 3, 22.5, 5.0, 10.0),  # a1 10, a2 5, b1 7.5
    ("", "null", "amount", H2): (4, None, 2, 101.0, 1.0, 100.0),  # a3 none, b2 100, b3 "12" (text), d1 1
    # the measure per value of the dimension
    ("plan", '"pro"', "amount", H1): (2, None, 2, 17.5, 7.5, 10.0),
    ("plan", '"free"', "amount", H1): (1, None, 1, 5.0, 5.0, 5.0),
    ("plan", '"pro"', "amount", H2): (2, None, 1, 1.0, 1.0, 1.0),
    ("plan", "null", "amount", H2): (1, None, 1, 100.0, 100.0, 100.0),
    ("plan", '"free"', "amount", H2): (1, None, 0, 0.0, None, None),
}


def test_rollups_equal_the_raw_events_across_marking_backfill_late_duplicate_and_retried_batches(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    ref = add_tenant(agg_db)
    ports, offsets = make_ports(), Offsets()

    def apply(batch: list[Envelope | bytes], now: datetime, p: AggregatorPorts = ports) -> int:
        return apply_batch(records(batch, first_offset=offsets.take(len(batch))), p, now).counted

    # Given checkouts received before plan (dimension) and amount (measure) are marked
    before: list[Envelope | bytes] = [
        checkout(ref, "u1", H1, BEFORE, plan="pro", amount=10),
        checkout(ref, "u2", H1, BEFORE, plan="free", amount=5),
        checkout(ref, "u1", H2, BEFORE, plan="pro"),
    ]
    assert apply(before, BEFORE) == 3
    mark(agg_db, ref, "plan", "dimension")
    mark(agg_db, ref, "amount", "measure")
    assert rollup_cells(agg_db, ref) == {}
    # When checkouts arrive after the mark: one 3 hours late, one with no plan, one whose amount is text
    late = checkout(ref, "u3", H1, AFTER, plan="pro", amount=7.5)
    after: list[Envelope | bytes] = [
        late,
        checkout(ref, "u1", H2, AFTER, amount=100),
        checkout(ref, "u2", H2, AFTER, plan="free", amount="12"),
    ]
    assert apply(after, AFTER) == 3
    # And the late one is delivered again (a client retry: a new record, the same event id)
    assert apply([late], AFTER) == 0
    # And a batch fails inside its transaction (a poison record's letter cannot be published), then is retried
    retried: list[Envelope | bytes] = [checkout(ref, "u4", H2, AFTER + timedelta(minutes=1), plan="pro", amount=1)]
    retried.append(b"not json")
    with pytest.raises(RuntimeError):
        apply_batch(records(retried, first_offset=offsets.next), make_ports(dead_letters=FailingPublisher()), AFTER)
    assert apply(retried, AFTER) == 1
    # Then the rollups hold the events received after the mark, once each
    after_only = rollup_cells(agg_db, ref)
    assert after_only[("plan", '"pro"', "", H1)] == (1, 1, 0, 0.0, None, None)
    assert after_only[("", "null", "amount", H2)] == (3, None, 2, 101.0, 1.0, 100.0)
    assert ("plan", '"free"', "", H1) not in after_only
    # And the day and hour-total summaries the triggers keep agree with them
    assert summary_mismatches(agg_db, ref.tenant_id) == []
    assert summary_rows(agg_db, ref.tenant_id) > 0
    # When the backfill runs (the tenant's freshness has passed the mark) Then it adds the events before it
    results = list(backfill_rollups(agg_db, datetime.now(UTC)))
    assert sorted((r.property_name, r.done) for r in results) == [("amount", True), ("plan", True)]
    assert rollup_cells(agg_db, ref) == EXPECTED_AFTER_BACKFILL
    # And the same cells computed from the raw events agree
    assert raw_cells(agg_db, ref, "checkout") == EXPECTED_AFTER_BACKFILL
    assert summary_mismatches(agg_db, ref.tenant_id) == []
    # And a second run adds nothing
    assert list(backfill_rollups(agg_db, datetime.now(UTC))) == []
    assert rollup_cells(agg_db, ref) == EXPECTED_AFTER_BACKFILL
    stamped = agg_db.run("SELECT count(*) FROM property_rollups WHERE backfilled_at IS NOT NULL")
    assert stamped == [[2]]


@pytest.mark.parametrize(("first", "second"), [("plan", "amount"), ("amount", "plan")])
def test_whichever_is_marked_last_backfills_the_pairs_and_every_event_counts_once(
    agg_db: pg8000.native.Connection, make_ports: MakePorts, first: str, second: str
) -> None:
    # Given one of plan (dimension) and amount (measure) marked at M1 and backfilled, the other marked at M2,
    ref = add_tenant(agg_db)
    ports, offsets = make_ports(), Offsets()
    m1, m2 = MARK - timedelta(minutes=30), MARK
    roles = {"plan": "dimension", "amount": "measure"}

    def apply(received: datetime, rows: list[tuple[str, str, int]]) -> None:
        batch: list[Envelope | bytes] = [checkout(ref, u, H1, received, plan=p, amount=a) for u, p, a in rows]
        apply_batch(records(batch, first_offset=offsets.take(len(batch))), ports, received)

    apply(m1 - timedelta(minutes=5), [("u1", "pro", 3), ("u2", "free", 4)])  # received before both marks
    mark(agg_db, ref, first, roles[first], m1)
    assert [r.done for r in backfill_rollups(agg_db, m1 + timedelta(hours=2))] == [True]
    mark(agg_db, ref, second, roles[second], m2)
    # And events received between the marks but counted only after the second (the pipeline lagged)
    apply(m1 + timedelta(minutes=5), [("u1", "pro", 5), ("u3", "pro", 6)])
    apply(m2 + timedelta(minutes=5), [("u2", "free", 7), ("u1", "pro", 8)])  # received after both
    # When the second is backfilled
    assert [(r.property_name, r.done) for r in backfill_rollups(agg_db, datetime.now(UTC))] == [(second, True)]
    # Then every cell equals the raw events: the pairs were the second's to backfill, not the first's
    expected = {
        ("plan", '"pro"', "", H1): (4, 2, 0, 0.0, None, None),
        ("plan", '"free"', "", H1): (2, 1, 0, 0.0, None, None),
        ("", "null", "amount", H1): (6, None, 6, 33.0, 3.0, 8.0),
        ("plan", '"pro"', "amount", H1): (4, None, 4, 22.0, 3.0, 8.0),
        ("plan", '"free"', "amount", H1): (2, None, 2, 11.0, 4.0, 7.0),
    }
    assert rollup_cells(agg_db, ref) == expected
    assert raw_cells(agg_db, ref, "checkout") == expected
    assert summary_mismatches(agg_db, ref.tenant_id) == []


def test_a_capped_dimension_is_no_longer_written(agg_db: pg8000.native.Connection, make_ports: MakePorts) -> None:
    # Given a dimension that the value cap has stopped
    ref = add_tenant(agg_db)
    ports = make_ports()
    apply_batch(records([checkout(ref, "u1", H1, BEFORE, sku="a")]), ports, BEFORE)
    mark(agg_db, ref, "sku", "dimension")
    agg_db.run("UPDATE property_rollups SET capped_at = now()")
    # When events arrive Then nothing is added to it, and the backfill leaves it alone
    apply_batch(records([checkout(ref, "u1", H1, AFTER, sku="b")], first_offset=1), ports, AFTER)
    assert rollup_cells(agg_db, ref) == {}
    assert list(backfill_rollups(agg_db, datetime.now(UTC))) == []


def test_the_backfill_waits_for_the_tenants_freshness_to_pass_the_mark(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given a rollup marked after the last event the tenant's pipeline has counted
    ref = add_tenant(agg_db)
    apply_batch(records([checkout(ref, "u1", H1, BEFORE, plan="pro")]), make_ports(), BEFORE)
    mark(agg_db, ref, "plan", "dimension")
    # When the backfill runs soon after Then it waits (an event received before the mark may be on its way)
    assert [r.done for r in backfill_rollups(agg_db, MARK + timedelta(minutes=5))] == [False]
    assert agg_db.run("SELECT backfilled_at FROM property_rollups") == [[None]]
    # And once the tenant has been quiet for an hour past the mark, it goes ahead
    assert [r.done for r in backfill_rollups(agg_db, MARK + timedelta(hours=1))] == [True]
    assert rollup_cells(agg_db, ref) == {("plan", '"pro"', "", H1): (1, 1, 0, 0.0, None, None)}


def test_values_no_column_could_index_or_no_double_could_hold_never_fail_the_batch(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given a dimension and a measure, and events with a 3 kB value and numbers past a double's range
    ref = add_tenant(agg_db)
    ports = make_ports()
    apply_batch(records([checkout(ref, "u1", H1, BEFORE)]), ports, BEFORE)
    mark(agg_db, ref, "note", "dimension")
    mark(agg_db, ref, "amount", "measure")
    huge = checkout(ref, "u2", H1, AFTER, amount=10**400)  # past 64 bits: the pydantic path keeps it exact
    batch: list[Envelope | bytes] = [checkout(ref, "u1", H1, AFTER, note="x" * 3000, amount=2), huge]
    # When they are applied
    outcome = apply_batch(records(batch, first_offset=1), ports, AFTER)
    # Then both count; the long value is keyed by its md5, the huge number is counted but not summed
    assert (outcome.counted, outcome.dead_lettered) == (2, 0)
    found = rollup_cells(agg_db, ref)
    assert found[("", "null", "amount", H1)] == (2, None, 1, 2.0, 2.0, 2.0)
    digest = hashlib.md5(b'"' + b"x" * 3000 + b'"').hexdigest()  # noqa: S324 - a key, not a secret
    assert {v for d, v, m, _ in found if d == "note" and m == ""} == {"null", f'{{"$md5": "{digest}"}}'}


LINKS = "SELECT anonymous_id, user_id, linked_at FROM person_aliases WHERE tenant_id = :t ORDER BY 1"


def test_identity_links_are_kept_and_the_earliest_wins(agg_db: pg8000.native.Connection, make_ports: MakePorts) -> None:
    ref = add_tenant(agg_db)
    ports, offsets = make_ports(), Offsets()
    t = NOW - timedelta(hours=1)

    def apply(batch: list[Envelope | bytes]) -> None:
        apply_batch(records(batch, first_offset=offsets.take(len(batch))), ports, NOW)

    def event(user: str | None, anonymous: str | None, minutes: int, kind: str = "page", **props: Any) -> Envelope:
        return envelope(ref, kind, user=user, anonymous=anonymous, at=t + timedelta(minutes=minutes), properties=props)

    # Given an identify (both ids), an $alias call, an anonymous-only event and one whose two ids are equal
    apply([
        event("ann", "anon-1", 10),
        event("bob", None, 12, "$alias", previousId="anon-2"),
        event(None, "anon-3", 13),
        event("same", "same", 14),
        event("cat", None, 15, "$alias", previousId=42),  # not a string: no link
    ])  # fmt: skip
    # When later batches link the same anonymous ids again: one earlier in event time, one later
    apply([event("zed", "anon-1", 5)])  # earlier than ann's link: wins
    apply([event("yan", "anon-2", 30), event("ann", "anon-1", 40)])  # later: change nothing
    # And a batch is delivered again (the same events at the same offsets: fenced)
    batch: list[Envelope | bytes] = [event("xi", "anon-4", 1)]
    first = offsets.take(1)
    for _ in range(2):
        apply_batch(records(batch, first_offset=first), ports, NOW)
    # Then each anonymous id is linked to the user of its earliest link
    assert agg_db.run(LINKS, t=ref.tenant_id) == [
        ["anon-1", "zed", t + timedelta(minutes=5)],
        ["anon-2", "bob", t + timedelta(minutes=12)],
        ["anon-4", "xi", t + timedelta(minutes=1)],
    ]
    # And another tenant's events never touch this tenant's links
    other = add_tenant(agg_db)
    apply([envelope(other, "page", user="eve", anonymous="anon-1", at=t)])
    assert agg_db.run(LINKS, t=ref.tenant_id)[0][1] == "zed"
    assert agg_db.run(LINKS, t=other.tenant_id) == [["anon-1", "eve", t]]


def test_a_tenant_without_rollups_writes_no_rollup_rows(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given another tenant with a rollup on the same type name
    ref, other = add_tenant(agg_db), add_tenant(agg_db)
    ports = make_ports()
    apply_batch(records([checkout(other, "u1", H1, BEFORE, plan="pro")]), ports, BEFORE)
    mark(agg_db, other, "plan", "dimension")
    # When this tenant's checkouts are counted
    apply_batch(records([checkout(ref, "u1", H1, AFTER, plan="pro")], first_offset=1), ports, AFTER)
    # Then no rollup row is written for it
    assert rollup_cells(agg_db, ref) == {}
    assert agg_db.run("SELECT count(*) FROM property_rollup_hour") == [[0]]
