"""The dashboard bench's person figure (issue 18: "A person's timeline, first page: p95 under 50 ms"):
GET /v1/people/events beside the adapter in-process and its statements run directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dashboard_fixtures import BenchFixtures

from customersignal.adapters.pg_people import PostgresPeopleReader
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.postgres import connect
from customersignal.domain import people
from customersignal.domain.query_params import QueryParams

PERSON_GOAL_MS = 50.0
PAGE_LIMIT = 50
PERSON_ANONYMOUS_IDS = 3  # linked to the timed person, so the timeline reads its anonymous branch too


def person_case(fx: BenchFixtures, case: Callable[..., Any]) -> Any:
    """A person's timeline, first page: the user with the most events of all time, with anonymous ids linked.
    ``case`` is dashboard_bench.Case: (name, goal, api, baselines)."""
    user = linked_person(fx)
    params = {"user_id": user, "limit": str(PAGE_LIMIT)}
    query, after, limit = people.parse_person_page(QueryParams(params))  # as the route parses them

    def adapter(db: TenantDatabase) -> object:
        return people.person_events(fx.tenant, query, after, limit, PostgresPeopleReader(db))

    statements = fx.capture(adapter)  # the identity lookup, then the timeline, each in its own transaction
    baselines = [fx.raw_sql(statement) for statement in statements]
    fx.client.get_ok("/v1/people/events", params)
    return case(
        "a person's timeline, first page",
        PERSON_GOAL_MS,
        lambda: fx.client.get("/v1/people/events", params),
        {"adapter": lambda: adapter(fx.tenant_db), "SQL": lambda: [run() for run in baselines]},
    )


def linked_person(fx: BenchFixtures) -> str:
    """The busiest user of the bench tenant, with ``PERSON_ANONYMOUS_IDS`` anonymous ids of the data set linked
    to them in person_aliases (the generator makes none; linking is idempotent, so reruns change nothing)."""
    db = connect(fx.dataset.settings)
    try:
        user: str = db.run(
            "SELECT user_id FROM events WHERE tenant_id = :t AND user_id IS NOT NULL"
            " GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1",
            t=fx.tenant,
        )[0][0]
        db.run(
            "INSERT INTO person_aliases (tenant_id, anonymous_id, user_id, linked_at)"
            " SELECT :t, anonymous_id, :u, min(occurred_at) FROM events"
            " WHERE tenant_id = :t AND anonymous_id IS NOT NULL AND user_id IS NULL"
            " GROUP BY anonymous_id ORDER BY anonymous_id LIMIT :n"
            " ON CONFLICT (tenant_id, anonymous_id) DO NOTHING",
            t=fx.tenant,
            u=user,
            n=PERSON_ANONYMOUS_IDS,
        )
    finally:
        db.close()
    return user
