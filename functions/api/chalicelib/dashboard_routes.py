"""The dashboard API's read routes (read or admin scope): session, metrics, explorer, catalog, dead
letters (alert rules are alert_routes'). Each parses, calls one domain function and answers its model."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from chalice import Blueprint, Response
from pydantic import BaseModel

from chalicelib.dashboard_deps import get_dashboard_deps
from chalicelib.deps import get_deps
from chalicelib.http import RequestContext, edge, json_response
from customersignal.domain import dashboard, metrics_read, trend
from customersignal.domain.auth import DISPLAY_PREFIX_LENGTH, Principal
from customersignal.domain.authenticate import authenticate, key_from_authorization
from customersignal.domain.dashboard_models import SessionKey, SessionResponse
from customersignal.domain.errors import MalformedRequest, NotFound
from customersignal.domain.explorer import parse_event_filter, parse_letter_filter
from customersignal.domain.query_params import QueryParams, parse_timestamp, parse_uuid
from customersignal.domain.timeseries import parse_series_query

bp = Blueprint(__name__)
NO_STORE = {"Cache-Control": "no-store"}  # tenant data: never in a shared cache
# Lambda's synchronous response limit is 6 MB for the whole proxy result (headers and JSON escaping too)
MAX_BODY_BYTES = 5_800_000


def reader(ctx: RequestContext) -> Principal:
    return authenticate(ctx.header("authorization"), dashboard.READ_SCOPES, get_deps().keys)


def params(ctx: RequestContext) -> QueryParams:
    return QueryParams(ctx.request.query_params)


def repeated(ctx: RequestContext, name: str) -> list[str]:
    """Every value of a repeated query parameter (``filter=...&filter=...``), in order."""
    query = ctx.request.query_params
    return list(query.getlist(name)) if query is not None and name in query else []


def answer(ctx: RequestContext, model: BaseModel, status: int = 200) -> Response:
    # straight to JSON in pydantic-core: a month of minutes (432,000 values) costs half of dump + orjson
    body = model.model_dump_json(by_alias=True).encode()
    if len(body) > MAX_BODY_BYTES:
        raise MalformedRequest(
            "response_too_large",
            f"the answer would be {len(body) / 1e6:.1f} MB, over the {MAX_BODY_BYTES / 1e6:.1f} MB a Lambda may "
            "answer: ask for a shorter range, a coarser interval or fewer types",
            "interval",
        )
    return json_response(status, orjson.Fragment(body), ctx, NO_STORE)


@bp.route("/v1/session", methods=["GET"])
@edge(bp)
def session(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    names = get_dashboard_deps().session.names(principal.tenant_id, principal.project_id)
    if names is None:
        raise NotFound("tenant_not_found", "this key's tenant or project no longer exists")
    prefix = key_from_authorization(ctx.header("authorization"))[:DISPLAY_PREFIX_LENGTH]
    key = SessionKey(id=principal.key_id, display_prefix=prefix, scopes=sorted(principal.scopes))
    return answer(ctx, SessionResponse(tenant=names[0], project=names[1], key=key))


@bp.route("/v1/metrics/series", methods=["GET"])
@edge(bp)
def metrics_series(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    query = parse_series_query(params(ctx))
    deps = get_dashboard_deps()
    result = metrics_read.metrics_series(
        principal.tenant_id, query, store=deps.metrics, hot=deps.hot, now=datetime.now(UTC)
    )
    return answer(ctx, result)


@bp.route("/v1/metrics/summary", methods=["GET"])
@edge(bp)
def metrics_summary(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    start, end, limit = metrics_read.parse_summary_range(params(ctx))
    deps = get_dashboard_deps()
    result = metrics_read.metrics_summary(
        principal.tenant_id, start, end, limit, store=deps.metrics, users=deps.metrics, now=datetime.now(UTC)
    )
    return answer(ctx, result)


@bp.route("/v1/insights/trend", methods=["GET"])
@edge(bp)
def insights_trend(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    query = trend.parse_trend_query(params(ctx), repeated(ctx, "filter"))
    deps = get_dashboard_deps()
    result = trend.insight_trend(
        principal.tenant_id,
        query,
        rollups=deps.rollup_trends,
        rollup_reader=deps.rollup_trends,
        raw_reader=deps.raw_trends,
        watermark=deps.metrics,  # the series route's freshness reader: one watermark, one reader
        now=datetime.now(UTC),
    )
    return answer(ctx, result)


@bp.route("/v1/events", methods=["GET"])
@edge(bp)
def explore_events(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    where, limit = parse_event_filter(params(ctx), datetime.now(UTC))
    return answer(ctx, dashboard.explore_events(principal.tenant_id, where, limit, get_dashboard_deps().events))


@bp.route("/v1/events/{event_id}", methods=["GET"])
@edge(bp)
def event_detail(ctx: RequestContext, event_id: str) -> Response:
    principal = reader(ctx)
    at = params(ctx).text("at", max_length=64)
    result = dashboard.event_detail(
        principal.tenant_id,
        parse_uuid(event_id, "event_id"),
        None if at is None else parse_timestamp(at, "at"),
        get_dashboard_deps().events,
    )
    return answer(ctx, result)


@bp.route("/v1/catalog", methods=["GET"])
@edge(bp)
def catalog_list(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    query = params(ctx)
    status = query.choice("status", ("planned", "unplanned", "blocked", "all"), "all")
    result = dashboard.catalog_list(
        principal.tenant_id,
        None if status == "all" else status,
        query.text("q", max_length=128),
        get_dashboard_deps().catalog,
    )
    return answer(ctx, result)


@bp.route("/v1/catalog/{name}", methods=["GET"])
@edge(bp)
def catalog_detail(ctx: RequestContext, name: str) -> Response:
    principal = reader(ctx)
    return answer(ctx, dashboard.catalog_detail(principal.tenant_id, name, get_dashboard_deps().catalog))


@bp.route("/v1/dead-letters", methods=["GET"])
@edge(bp)
def dead_letters(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    where, limit = parse_letter_filter(params(ctx))
    return answer(ctx, dashboard.dead_letter_page(principal.tenant_id, where, limit, get_dashboard_deps().letters))
