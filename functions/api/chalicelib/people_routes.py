"""The person timeline and the live event feed (read or admin scope). Each parses, calls one domain
function and answers its model."""

from __future__ import annotations

from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib.dashboard_deps import get_dashboard_deps
from chalicelib.dashboard_routes import answer, params, reader
from chalicelib.http import RequestContext, edge
from customersignal.domain import people
from customersignal.domain.explorer import parse_event_filter
from customersignal.domain.live_feed import decode_live_cursor, live_events

bp = Blueprint(__name__)


@bp.route("/v1/people/profile", methods=["GET"])
@edge(bp)
def person_profile(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    query = people.parse_person_query(params(ctx))
    return answer(ctx, people.person_profile(principal.tenant_id, query, get_dashboard_deps().people))


@bp.route("/v1/people/events", methods=["GET"])
@edge(bp)
def person_events(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    query, after, limit = people.parse_person_page(params(ctx))
    return answer(ctx, people.person_events(principal.tenant_id, query, after, limit, get_dashboard_deps().people))


@bp.route("/v1/events/live", methods=["GET"])
@edge(bp)
def live_feed(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    now = datetime.now(UTC)
    query = params(ctx)
    where, limit = parse_event_filter(query, now)  # the explorer's filters; its range does not apply
    after = query.text("after", max_length=4096)
    cursor = None if after is None else decode_live_cursor(after)
    return answer(ctx, live_events(principal.tenant_id, where, cursor, limit, now, get_dashboard_deps().live))
