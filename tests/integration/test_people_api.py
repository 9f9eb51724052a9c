"""A person's timeline and the live event feed over real Postgres, Redis and Kafka, fed by the real
aggregator code: an anonymous visitor who signs up becomes one person, pages hold still while events arrive,
the live cursor neither repeats nor skips across partitions, and no tenant sees another's people."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pg8000.native
import pytest

from customersignal.adapters.postgres import connect
from customersignal.domain.batch_apply import apply_batch
from customersignal.domain.envelope import Envelope
from tests.fixtures.aggregator import TenantRef, envelope, records
from tests.fixtures.dashboard import Dashboard

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
# The identity map as migration 0011 derives it (an event carrying both ids links them; the earliest link
# wins). The aggregator's own upkeep of it is another part of issue 18; these tests need only its rows.
LINK = """
INSERT INTO person_aliases (tenant_id, anonymous_id, user_id, linked_at)
SELECT DISTINCT ON (anonymous_id) tenant_id, anonymous_id, user_id, occurred_at FROM events
WHERE tenant_id = :tenant AND user_id IS NOT NULL AND anonymous_id IS NOT NULL AND anonymous_id <> user_id
ORDER BY anonymous_id, occurred_at
ON CONFLICT (tenant_id, anonymous_id) DO NOTHING
"""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def owner_db(dashboard: Dashboard) -> Iterator[pg8000.native.Connection]:
    db = connect(dashboard.api.database)
    yield db
    db.close()


@pytest.fixture(scope="module")
def person(dashboard: Dashboard, owner_db: pg8000.native.Connection) -> tuple[TenantRef, str, list[Envelope]]:
    """u-1 browsed anonymously as a-1 and a-2 (two devices), signed up, then bought; u-9 once used a-1."""
    ref, key = dashboard.tenant()
    at = NOW - timedelta(hours=3)

    def ev(minute: int, event_type: str, user: str | None, anonymous: str | None) -> Envelope:
        return envelope(ref, event_type, user=user, anonymous=anonymous, at=at + timedelta(minutes=minute))

    story = [
        ev(0, "page", None, "a-1"),
        ev(1, "page", None, "a-1"),
        ev(2, "signup", "u-1", "a-1"),  # identified: a-1 is u-1
        ev(3, "page", None, "a-2"),
        ev(4, "login", "u-1", "a-2"),  # the second device: a-2 is u-1 too
        ev(5, "checkout", "u-1", None),
        ev(6, "checkout", "u-1", None),
        ev(7, "page", "u-9", "a-1"),  # someone else on the first device: u-9's event
        ev(8, "page", None, "a-3"),  # a visitor never identified
        ev(9, "page", None, "a-1"),  # a-1 again, signed out: still u-1 (no user id on it)
    ]
    dashboard.ingest(story, now=NOW)
    owner_db.run(LINK, tenant=ref.tenant_id)
    return ref, key, story


def ids(events: list[Envelope]) -> list[str]:
    return [str(e.event.event_id) for e in sorted(events, key=lambda e: e.occurred_at, reverse=True)]


def all_pages(dashboard: Dashboard, key: str, **query: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        status, body = dashboard.get("/v1/people/events", key, cursor=cursor, **query)
        assert status == 200, body
        rows += body["events"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_an_anonymous_visitor_who_signs_up_is_one_person(
    dashboard: Dashboard, person: tuple[TenantRef, str, list[Envelope]]
) -> None:
    _, key, story = person
    status, body = dashboard.get("/v1/people/profile", key, user_id="u-1")
    assert status == 200, body
    mine = [story[i] for i in (0, 1, 2, 3, 4, 5, 6, 9)]
    assert body == {
        "person": {
            "user_id": "u-1",
            "anonymous_ids": ["a-1", "a-2"],
            "first_seen": iso(story[0].occurred_at),
            "last_seen": iso(story[9].occurred_at),
            "event_count": 8,
            "counts_by_type": [
                {"type": "page", "count": 4},
                {"type": "checkout", "count": 2},
                {"type": "login", "count": 1},
                {"type": "signup", "count": 1},
            ],
        },
        "resolved_from_anonymous_id": None,
    }
    timeline = all_pages(dashboard, key, user_id="u-1", limit=3)
    assert [row["event_id"] for row in timeline] == ids(mine)
    assert set(timeline[0]) == {
        "event_id",
        "event_type",
        "user_id",
        "anonymous_id",
        "occurred_at",
        "received_at",
        "is_late",
        "properties_preview",
    }  # fmt: skip - the explorer's item shape


def test_an_anonymous_id_linked_to_a_user_answers_for_the_user(
    dashboard: Dashboard, person: tuple[TenantRef, str, list[Envelope]]
) -> None:
    _, key, _ = person
    _, by_user = dashboard.get("/v1/people/profile", key, user_id="u-1")
    status, by_device = dashboard.get("/v1/people/profile", key, anonymous_id="a-2")
    assert status == 200, by_device
    assert by_device == {**by_user, "resolved_from_anonymous_id": "a-2"}
    status, page = dashboard.get("/v1/people/events", key, anonymous_id="a-2", limit=50)
    assert (status, page["user_id"], page["resolved_from_anonymous_id"]) == (200, "u-1", "a-2")
    assert [r["event_id"] for r in page["events"]] == [r["event_id"] for r in all_pages(dashboard, key, user_id="u-1")]


def test_a_visitor_never_identified_is_a_person_of_their_own(
    dashboard: Dashboard, person: tuple[TenantRef, str, list[Envelope]]
) -> None:
    _, key, story = person
    status, body = dashboard.get("/v1/people/profile", key, anonymous_id="a-3")
    assert status == 200, body
    assert (body["person"]["user_id"], body["person"]["anonymous_ids"], body["person"]["event_count"]) == (
        None,
        ["a-3"],
        1,
    )
    assert [r["event_id"] for r in all_pages(dashboard, key, anonymous_id="a-3")] == ids([story[8]])
    _, other = dashboard.get("/v1/people/profile", key, user_id="u-9")
    assert other["person"]["event_count"] == 1  # the event u-9 sent from a-1's device is u-9's alone


def test_pages_hold_still_while_the_person_keeps_going(
    dashboard: Dashboard, owner_db: pg8000.native.Connection
) -> None:
    ref, key = dashboard.tenant()
    start = NOW - timedelta(hours=1)
    first = [envelope(ref, "page", user=None, anonymous="b-1", at=start + timedelta(seconds=i)) for i in range(6)]
    then = [
        envelope(ref, "view", user="v-1", anonymous="b-1", at=start + timedelta(minutes=1, seconds=i)) for i in range(9)
    ]
    dashboard.ingest(first + then, now=NOW)
    owner_db.run(LINK, tenant=ref.tenant_id)
    status, page = dashboard.get("/v1/people/events", key, user_id="v-1", limit=4)
    assert status == 200, page
    seen = [r["event_id"] for r in page["events"]]
    cursor = page["next_cursor"]
    arrivals = itertools.count(1)
    while cursor:
        # the person keeps clicking while someone reads their history: newer than anything paged so far
        dashboard.ingest([envelope(ref, "view", user="v-1", at=NOW + timedelta(seconds=next(arrivals)))], now=NOW)
        status, page = dashboard.get("/v1/people/events", key, user_id="v-1", limit=4, cursor=cursor)
        assert status == 200, page
        seen += [r["event_id"] for r in page["events"]]
        cursor = page["next_cursor"]
    assert seen == ids(first + then)  # every event there was when paging began, once, newest first
    assert len(all_pages(dashboard, key, user_id="v-1", limit=200)) == 15 + next(arrivals) - 1


def live(dashboard: Dashboard, key: str, after: str | None, **query: Any) -> dict[str, Any]:
    status, body = dashboard.get("/v1/events/live", key, after=after, **query)
    assert status == 200, body
    return body


def follow(dashboard: Dashboard, key: str, cursor: str, **query: Any) -> tuple[list[str], str]:
    """Polls until the feed says it has caught up, as the page does."""
    given: list[str] = []
    while True:
        body = live(dashboard, key, cursor, **query)
        given += [row["event_id"] for row in body["events"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return given, cursor


class Partitions:
    """Aggregator batches on chosen partitions of events_raw, each at its own increasing offsets."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard
        self.next_offset: dict[int, int] = {}

    def store(self, partition: int, events: list[Envelope]) -> None:
        first = self.next_offset.get(partition, 10_000)
        self.next_offset[partition] = first + len(events)
        batch = records(events, partition=partition, first_offset=first)
        apply_batch(batch, self.dashboard.ports, datetime.now(UTC))


def test_the_live_cursor_never_repeats_or_skips_across_partitions(dashboard: Dashboard) -> None:
    ref, key = dashboard.tenant()
    parts = Partitions(dashboard)
    parts.store(3, [envelope(ref, "page", at=datetime.now(UTC)) for _ in range(4)])  # before following
    start = live(dashboard, key, None)
    assert (start["events"], start["has_more"]) == ([], False)
    sent: list[str] = []
    given: list[str] = []
    cursor = start["next_cursor"]
    for round_ in range(6):
        now = datetime.now(UTC)
        # a later-received event on partition 5 is stored before an earlier-received one on partition 3
        later = envelope(ref, "page", at=now, received=now + timedelta(seconds=2))
        earlier = envelope(ref, "page", at=now, received=now + timedelta(seconds=1))
        parts.store(5, [later])
        got, cursor = follow(dashboard, key, cursor, limit=3)
        given += got
        # several API containers stamp received_at: within a partition it need not rise with the offset
        burst = [envelope(ref, "click", at=now, received=now - timedelta(milliseconds=i)) for i in range(round_ + 2)]
        parts.store(3, [earlier, *burst])
        sent += [str(e.event.event_id) for e in (later, earlier, *burst)]
        got, cursor = follow(dashboard, key, cursor, limit=3)
        given += got
    assert sorted(given) == sorted(sent)  # nothing skipped
    assert len(given) == len(set(given))  # nothing twice
    assert follow(dashboard, key, cursor)[0] == []


def test_the_live_feed_applies_the_pages_filters_and_leaves_out_old_events(dashboard: Dashboard) -> None:
    ref, key = dashboard.tenant()
    parts = Partitions(dashboard)
    cursor = live(dashboard, key, None)["next_cursor"]
    now = datetime.now(UTC)
    pro = envelope(ref, "checkout", user="p-1", at=now, properties={"plan": "pro"})
    free = envelope(ref, "checkout", user="p-2", at=now, properties={"plan": "free"})
    page = envelope(ref, "page", user="p-1", at=now)
    offline = envelope(ref, "checkout", user="p-1", at=now - timedelta(days=2), properties={"plan": "pro"})
    parts.store(2, [pro, free, page, offline])
    everything, _ = follow(dashboard, key, cursor)
    assert sorted(everything) == sorted(str(e.event.event_id) for e in (pro, free, page))  # not the 2-day-old one
    assert follow(dashboard, key, cursor, types="checkout", property="plan", value="pro")[0] == [
        str(pro.event.event_id)
    ]
    assert sorted(follow(dashboard, key, cursor, user_id="p-1")[0]) == sorted(
        str(e.event.event_id) for e in (pro, page)
    )


def test_each_tenant_sees_only_its_own_people_and_live_events(
    dashboard: Dashboard, person: tuple[TenantRef, str, list[Envelope]]
) -> None:
    ref_a, key_a, _ = person
    _, key_b = dashboard.tenant()
    cursor_b = live(dashboard, key_b, None)["next_cursor"]
    cursor_a = live(dashboard, key_a, None)["next_cursor"]
    Partitions(dashboard).store(7, [envelope(ref_a, "page", user="u-1", at=datetime.now(UTC))])
    assert len(follow(dashboard, key_a, cursor_a)[0]) == 1
    assert follow(dashboard, key_b, cursor_b)[0] == []
    for query in ({"user_id": "u-1"}, {"anonymous_id": "a-1"}):
        for path in ("/v1/people/profile", "/v1/people/events"):
            status, body = dashboard.get(path, key_b, **query)
            assert (status, body["error"]["code"]) == (404, "person_not_found"), body
            assert str(ref_a.tenant_id) not in str(body)


@pytest.mark.parametrize(
    ("path", "query", "status", "code", "field"),
    [
        ("/v1/people/profile", {}, 400, "missing_parameter", "user_id"),
        ("/v1/people/events", {"user_id": "u-1", "anonymous_id": "a-1"}, 400, "invalid_anonymous_id", "anonymous_id"),
        ("/v1/people/events", {"user_id": "u-1", "cursor": "not-a-cursor"}, 400, "invalid_cursor", "cursor"),
        ("/v1/people/events", {"user_id": "u-1", "limit": "201"}, 400, "invalid_limit", "limit"),
        ("/v1/people/profile", {"user_id": "nobody"}, 404, "person_not_found", "user_id"),
        ("/v1/people/events", {"anonymous_id": "nobody"}, 404, "person_not_found", "anonymous_id"),
        ("/v1/events/live", {"after": "not-a-cursor"}, 400, "invalid_after", "after"),
        ("/v1/events/live", {"limit": "0"}, 400, "invalid_limit", "limit"),
    ],
)
def test_bad_people_and_live_queries_name_the_field(
    dashboard: Dashboard,
    person: tuple[TenantRef, str, list[Envelope]],
    path: str,
    query: dict[str, str],
    status: int,
    code: str,
    field: str,
) -> None:
    _, key, _ = person
    got, body = dashboard.get(path, key, **query)
    assert (got, body["error"]["code"], body["error"]["field"]) == (status, code, field), body


def test_the_people_routes_need_a_key(dashboard: Dashboard) -> None:
    for path in ("/v1/people/profile?user_id=u-1", "/v1/people/events?user_id=u-1", "/v1/events/live"):
        status, _ = dashboard.get(path, None)
        assert status == 401, path
