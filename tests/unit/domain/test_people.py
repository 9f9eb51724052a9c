"""The person timeline's use cases over an in-memory identity map: who a request names, 404s, pages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from customersignal.domain.dashboard_models import EventRow
from customersignal.domain.errors import MalformedRequest, NotFound
from customersignal.domain.explorer import decode_event_cursor
from customersignal.domain.people import parse_person_page, parse_person_query, person_events, person_profile
from customersignal.domain.people_models import Identity, TypeStats
from customersignal.domain.query_params import QueryParams

TENANT = uuid.uuid4()
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def row(minute: int, event_type: str, user: str | None, anonymous: str | None) -> EventRow:
    at = T0 + timedelta(minutes=minute)
    return EventRow(
        event_id=uuid.uuid4(),
        event_type=event_type,
        user_id=user,
        anonymous_id=anonymous,
        occurred_at=at,
        received_at=at,
        is_late=False,
        properties_preview="{}",
    )


class People:
    """The person key over a list of events, as the Postgres reader applies it."""

    def __init__(self, aliases: dict[str, str], events: list[EventRow]) -> None:
        self.aliases, self.rows = aliases, events

    def user_of(self, tenant_id: uuid.UUID, anonymous_id: str) -> str | None:
        return self.aliases.get(anonymous_id)

    def anonymous_ids_of(self, tenant_id: uuid.UUID, user_id: str) -> list[str]:
        return sorted(a for a, u in self.aliases.items() if u == user_id)

    def _mine(self, who: Identity) -> list[EventRow]:
        return [
            r
            for r in self.rows
            if (who.user_id is not None and r.user_id == who.user_id)
            or (r.user_id is None and r.anonymous_id in who.anonymous_ids)
        ]

    def stats(self, tenant_id: uuid.UUID, who: Identity) -> list[TypeStats]:
        mine = self._mine(who)
        types = {r.event_type for r in mine}
        return [
            TypeStats(
                t,
                sum(1 for r in mine if r.event_type == t),
                min(r.occurred_at for r in mine if r.event_type == t),
                max(r.occurred_at for r in mine if r.event_type == t),
            )
            for t in types
        ]

    def events(
        self, tenant_id: uuid.UUID, who: Identity, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[EventRow]:
        ordered = sorted(self._mine(who), key=lambda r: (r.occurred_at, r.event_id), reverse=True)
        return [r for r in ordered if after is None or (r.occurred_at, r.event_id) < after][:limit]


EVENTS = [
    row(0, "page", None, "a1"),
    row(1, "page", None, "a1"),
    row(2, "signup", "u1", "a1"),
    row(3, "page", None, "a2"),  # a second device, linked later
    row(4, "checkout", "u1", None),
    row(5, "page", "u2", "a1"),  # another user on the first device: u2's event, not u1's
    row(6, "page", None, "stray"),
]
PEOPLE = People({"a1": "u1", "a2": "u1"}, EVENTS)


def test_a_user_is_their_events_and_those_of_their_anonymous_ids() -> None:
    profile = person_profile(TENANT, parse_person_query(QueryParams({"user_id": "u1"})), PEOPLE)
    person = profile.person
    assert (person.user_id, person.anonymous_ids, person.event_count) == ("u1", ["a1", "a2"], 5)
    assert (person.first_seen, person.last_seen) == (T0, T0 + timedelta(minutes=4))
    assert [(c.type, c.count) for c in person.counts_by_type] == [("page", 3), ("checkout", 1), ("signup", 1)]
    assert profile.resolved_from_anonymous_id is None


def test_an_anonymous_id_linked_to_a_user_answers_for_the_user_and_says_so() -> None:
    profile = person_profile(TENANT, parse_person_query(QueryParams({"anonymous_id": "a2"})), PEOPLE)
    assert (profile.person.user_id, profile.person.event_count, profile.resolved_from_anonymous_id) == ("u1", 5, "a2")


def test_an_anonymous_id_linked_to_nobody_is_a_person_of_its_own() -> None:
    profile = person_profile(TENANT, parse_person_query(QueryParams({"anonymous_id": "stray"})), PEOPLE)
    assert (profile.person.user_id, profile.person.anonymous_ids, profile.person.event_count) == (None, ["stray"], 1)


def test_pages_walk_the_whole_timeline_newest_first_without_gaps_or_repeats() -> None:
    seen: list[EventRow] = []
    cursor = None
    while True:
        who, after, limit = parse_person_page(QueryParams({"user_id": "u1", "limit": "2", "cursor": cursor or ""}))
        page = person_events(TENANT, who, after, limit, PEOPLE)
        seen += page.events
        cursor = page.next_cursor
        if cursor is None:
            break
        assert decode_event_cursor(cursor) == (page.events[-1].occurred_at, page.events[-1].event_id)
    assert [r.occurred_at.minute for r in seen] == [4, 3, 2, 1, 0]


def test_nobody_is_a_404_naming_the_parameter() -> None:
    for params in ({"user_id": "ghost"}, {"anonymous_id": "ghost"}):
        query = parse_person_query(QueryParams(params))
        with pytest.raises(NotFound) as raised:
            person_profile(TENANT, query, PEOPLE)
        assert (raised.value.code, raised.value.field) == ("person_not_found", next(iter(params)))
        with pytest.raises(NotFound):
            person_events(TENANT, query, None, 10, PEOPLE)


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({}, "missing_parameter", "user_id"),
        ({"user_id": "u1", "anonymous_id": "a1"}, "invalid_anonymous_id", "anonymous_id"),
        ({"user_id": "x" * 256}, "invalid_user_id", "user_id"),
        ({"user_id": "u1", "cursor": "nope"}, "invalid_cursor", "cursor"),
        ({"user_id": "u1", "limit": "0"}, "invalid_limit", "limit"),
    ],
)
def test_bad_person_queries_name_the_field(params: dict[str, str], code: str, field: str) -> None:
    with pytest.raises(MalformedRequest) as raised:
        parse_person_page(QueryParams(params))
    assert (raised.value.code, raised.value.field) == (code, field)
