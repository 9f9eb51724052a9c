"""The dashboard API's edits (admin scope): catalog entries and rollup marks, dead-letter replay, API keys."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.dashboard_deps import get_dashboard_deps
from chalicelib.dashboard_routes import answer
from chalicelib.deps import get_deps
from chalicelib.http import RequestContext, edge, require_json
from customersignal.domain import dashboard
from customersignal.domain.auth import Principal, Scope
from customersignal.domain.authenticate import authenticate
from customersignal.domain.query_params import parse_uuid
from customersignal.domain.rollups import mark_rollup

bp = Blueprint(__name__)


def admin(ctx: RequestContext) -> Principal:
    return authenticate(ctx.header("authorization"), Scope.ADMIN, get_deps().keys)


@bp.route("/v1/catalog/{name}", methods=["PATCH"], content_types=["*/*"])
@edge(bp)
def update_catalog(ctx: RequestContext, name: str) -> Response:
    principal = admin(ctx)
    require_json(ctx)
    return answer(ctx, dashboard.update_catalog(principal.tenant_id, name, ctx.body(), get_dashboard_deps().catalog))


@bp.route("/v1/catalog/{name}/properties/{property}/rollup", methods=["PUT"], content_types=["*/*"])
@edge(bp)
def mark_property_rollup(ctx: RequestContext, name: str, property: str) -> Response:
    principal = admin(ctx)
    require_json(ctx)
    return answer(ctx, mark_rollup(principal.tenant_id, name, property, ctx.body(), get_dashboard_deps().rollups))


@bp.route("/v1/dead-letters/replay", methods=["POST"], content_types=["*/*"])
@edge(bp)
def replay_dead_letters(ctx: RequestContext) -> Response:
    principal = admin(ctx)
    require_json(ctx)
    return answer(ctx, dashboard.replay_dead_letters(principal.tenant_id, ctx.body(), get_dashboard_deps().letters))


@bp.route("/v1/keys", methods=["GET"])
@edge(bp)
def list_keys(ctx: RequestContext) -> Response:
    principal = admin(ctx)
    return answer(ctx, dashboard.list_keys(principal.tenant_id, get_dashboard_deps().keys))


@bp.route("/v1/keys", methods=["POST"], content_types=["*/*"])
@edge(bp)
def create_key(ctx: RequestContext) -> Response:
    principal = admin(ctx)
    require_json(ctx)
    return answer(ctx, dashboard.create_key(principal, ctx.body(), get_dashboard_deps().keys), status=201)


@bp.route("/v1/keys/{key_id}/revoke", methods=["POST"])
@edge(bp)
def revoke_key(ctx: RequestContext, key_id: str) -> Response:
    principal = admin(ctx)
    result = dashboard.revoke_key(principal.tenant_id, parse_uuid(key_id, "key_id"), get_dashboard_deps().keys)
    return answer(ctx, result)
