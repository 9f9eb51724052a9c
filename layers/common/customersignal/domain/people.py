"""A person's timeline: who a person is, their profile and their events newest first. Pure.

A person is a user id together with every anonymous id linked to it in ``person_aliases``, or a bare
anonymous id that is linked to no user. The events are the person key's (migration 0011):
``COALESCE(user_id, alias.user_id, 'anon-' || anonymous_id)``, so an event that carries another user's id
is that user's even when its anonymous id is linked here. Asking for an anonymous id that is linked answers
for its user, and says so (``resolved_from_anonymous_id``): the visitor *is* that user.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from customersignal.domain.errors import MalformedRequest, NotFound
from customersignal.domain.explorer import decode_event_cursor, event_cursor
from customersignal.domain.people_models import Identity, Person, PersonEventPage, PersonProfile, TypeCount
from customersignal.domain.query_params import QueryParams, invalid
from customersignal.read_ports import PeopleReader

ID_MAX_LENGTH = 255


@dataclass(frozen=True)
class PersonQuery:
    """What the request named: exactly one of the two."""

    user_id: str | None
    anonymous_id: str | None


def parse_person_query(params: QueryParams) -> PersonQuery:
    user = params.text("user_id", max_length=ID_MAX_LENGTH)
    anonymous = params.text("anonymous_id", max_length=ID_MAX_LENGTH)
    if user is None and anonymous is None:
        raise MalformedRequest("missing_parameter", "name the person: 'user_id' or 'anonymous_id'", "user_id")
    if user is not None and anonymous is not None:
        raise invalid("anonymous_id", "send 'user_id' or 'anonymous_id', not both")
    return PersonQuery(user, anonymous)


def parse_person_page(params: QueryParams) -> tuple[PersonQuery, tuple[datetime, uuid.UUID] | None, int]:
    who = parse_person_query(params)
    cursor = params.text("cursor", max_length=512)
    limit = params.integer("limit", default=50, minimum=1, maximum=200)
    return who, None if cursor is None else decode_event_cursor(cursor), limit


def resolve(tenant_id: uuid.UUID, query: PersonQuery, people: PeopleReader) -> Identity:
    if query.anonymous_id is not None:
        user = people.user_of(tenant_id, query.anonymous_id)
        if user is None:
            return Identity(None, (query.anonymous_id,))
        return Identity(user, tuple(people.anonymous_ids_of(tenant_id, user)), query.anonymous_id)
    assert query.user_id is not None  # parse_person_query guarantees one of the two
    return Identity(query.user_id, tuple(people.anonymous_ids_of(tenant_id, query.user_id)))


def person_profile(tenant_id: uuid.UUID, query: PersonQuery, people: PeopleReader) -> PersonProfile:
    who = resolve(tenant_id, query, people)
    stats = people.stats(tenant_id, who)
    if not stats:
        raise _not_found(query)
    counts = sorted(stats, key=lambda s: (-s.count, s.event_type))
    person = Person(
        user_id=who.user_id,
        anonymous_ids=list(who.anonymous_ids),
        first_seen=min(s.first_seen for s in stats),
        last_seen=max(s.last_seen for s in stats),
        event_count=sum(s.count for s in stats),
        counts_by_type=[TypeCount(type=s.event_type, count=s.count) for s in counts],
    )
    return PersonProfile(person=person, resolved_from_anonymous_id=who.resolved_from_anonymous_id)


def person_events(
    tenant_id: uuid.UUID,
    query: PersonQuery,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    people: PeopleReader,
) -> PersonEventPage:
    who = resolve(tenant_id, query, people)
    rows = people.events(tenant_id, who, after, limit + 1)  # one extra row says whether a next page exists
    if not rows and after is None:
        raise _not_found(query)
    page, more = rows[:limit], len(rows) > limit
    return PersonEventPage(
        user_id=who.user_id,
        anonymous_ids=list(who.anonymous_ids),
        resolved_from_anonymous_id=who.resolved_from_anonymous_id,
        events=page,
        next_cursor=event_cursor(page[-1].occurred_at, page[-1].event_id) if more else None,
    )


def _not_found(query: PersonQuery) -> NotFound:
    field, value = ("user_id", query.user_id) if query.user_id is not None else ("anonymous_id", query.anonymous_id)
    return NotFound("person_not_found", f"this tenant has no events of {field} '{value}'", field)
