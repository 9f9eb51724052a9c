"""The person timeline's and the live feed's routes in the OpenAPI document."""

from __future__ import annotations

from customersignal.domain.people_models import LivePage, PersonEventPage, PersonProfile
from customersignal.openapi import RouteDoc
from customersignal.openapi_dashboard import CURSOR, READ_ERRORS, limit, query, read

PERSON = (
    query("user_id", "The person's user id (or send anonymous_id)."),
    query("anonymous_id", "An anonymous id; when it is linked to a user, the answer is that user's."),
)

PEOPLE_ROUTES: list[RouteDoc] = [
    read(
        "/v1/people/profile",
        "A person: their ids, first and last seen, and event counts by type",
        PersonProfile,
        *PERSON,
        errors=(*READ_ERRORS, 404),
    ),
    read(
        "/v1/people/events",
        "A person's events, newest first, keyset pages (the explorer's items and cursors)",
        PersonEventPage,
        *PERSON,
        limit(50, 200),
        CURSOR,
        errors=(*READ_ERRORS, 404),
    ),
    read(
        "/v1/events/live",
        "The events stored since a cursor, newest first, for a page that follows them",
        LivePage,
        query("after", "next_cursor of the previous poll; without it, no events and a cursor at the tail."),
        query("types", "Comma-separated event types."),
        query("user_id", "Exact user id."),
        query("property", "Top-level property name (with value)."),
        query("value", "Property value: JSON if it parses (42, true), else a string."),
        limit(50, 200),
    ),
]
