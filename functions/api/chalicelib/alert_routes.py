"""Alert rules (read scope reads, admin scope edits), their history, and webhook endpoints (admin)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib.admin_routes import admin
from chalicelib.dashboard_deps import get_dashboard_deps
from chalicelib.dashboard_routes import answer, params, reader
from chalicelib.http import RequestContext, edge, require_json
from customersignal.domain import alert_admin
from customersignal.domain.errors import MalformedRequest
from customersignal.domain.query_params import parse_uuid
from customersignal.domain.webhook_urls import UrlPolicy

bp = Blueprint(__name__)


@bp.route("/v1/alerts", methods=["GET"])
@edge(bp)
def list_rules(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    return answer(ctx, alert_admin.list_rules(principal.tenant_id, get_dashboard_deps().rules))


@bp.route("/v1/alerts", methods=["POST"], content_types=["*/*"])
@edge(bp)
def create_rule(ctx: RequestContext) -> Response:
    principal = admin(ctx)
    require_json(ctx)
    return answer(ctx, alert_admin.create_rule(principal.tenant_id, ctx.body(), get_dashboard_deps().rules), 201)


@bp.route("/v1/alerts/{rule_id}", methods=["GET"])
@edge(bp)
def get_rule(ctx: RequestContext, rule_id: str) -> Response:
    principal = reader(ctx)
    rule = alert_admin.get_rule(principal.tenant_id, parse_uuid(rule_id, "rule_id"), get_dashboard_deps().rules)
    return answer(ctx, rule)


@bp.route("/v1/alerts/{rule_id}", methods=["PUT", "PATCH"], content_types=["*/*"])
@edge(bp)
def update_rule(ctx: RequestContext, rule_id: str) -> Response:
    principal = admin(ctx)
    require_json(ctx)
    rules, ident = get_dashboard_deps().rules, parse_uuid(rule_id, "rule_id")
    if ctx.request.method == "PUT":
        return answer(ctx, alert_admin.replace_rule(principal.tenant_id, ident, ctx.body(), rules))
    return answer(ctx, alert_admin.patch_rule(principal.tenant_id, ident, ctx.body(), rules))


@bp.route("/v1/alerts/{rule_id}", methods=["DELETE"])
@edge(bp)
def delete_rule(ctx: RequestContext, rule_id: str) -> Response:
    principal = admin(ctx)
    alert_admin.delete_rule(principal.tenant_id, parse_uuid(rule_id, "rule_id"), get_dashboard_deps().rules)
    return Response(body="", status_code=204, headers={"X-Request-Id": ctx.request_id})


@bp.route("/v1/alerts/{rule_id}/history", methods=["GET"])
@edge(bp)
def rule_history(ctx: RequestContext, rule_id: str) -> Response:
    principal = reader(ctx)
    query = params(ctx)
    cursor = query.integer("cursor", default=0, minimum=0, maximum=2**62)
    page = alert_admin.rule_history(
        principal.tenant_id,
        parse_uuid(rule_id, "rule_id"),
        cursor or None,
        query.integer("limit", default=50, minimum=1, maximum=200),
        get_dashboard_deps().rules,
    )
    return answer(ctx, page)


@bp.route("/v1/webhooks", methods=["GET"])
@edge(bp)
def list_endpoints(ctx: RequestContext) -> Response:
    principal = admin(ctx)
    deps = get_dashboard_deps()
    return answer(ctx, alert_admin.list_endpoints(principal.tenant_id, deps.endpoints, deps.subscriptions()))


@bp.route("/v1/webhooks", methods=["POST"], content_types=["*/*"])
@edge(bp)
def register_endpoint(ctx: RequestContext) -> Response:
    principal = admin(ctx)
    require_json(ctx)
    deps = get_dashboard_deps()
    created = alert_admin.register_endpoint(
        principal.tenant_id,
        ctx.body(),
        endpoints=deps.endpoints,
        resolver=deps.resolver,
        subscriptions=deps.subscriptions(),
        sealer=deps.sealer(),
        local_mode=deps.webhook_local_mode,
    )
    return answer(ctx, created, 201)


@bp.route("/v1/webhooks/{endpoint_id}", methods=["DELETE"])
@edge(bp)
def disable_endpoint(ctx: RequestContext, endpoint_id: str) -> Response:
    principal = admin(ctx)
    deps = get_dashboard_deps()
    endpoint = alert_admin.disable_endpoint(
        principal.tenant_id, parse_uuid(endpoint_id, "endpoint_id"), deps.endpoints, deps.subscriptions()
    )
    return answer(ctx, endpoint)


@bp.route("/v1/webhooks/{endpoint_id}/confirmation", methods=["POST"])
@edge(bp)
def resend_confirmation(ctx: RequestContext, endpoint_id: str) -> Response:
    principal = admin(ctx)
    deps = get_dashboard_deps()
    endpoint = alert_admin.resend_confirmation(
        principal.tenant_id,
        parse_uuid(endpoint_id, "endpoint_id"),
        deps.endpoints,
        deps.subscriptions(),
        UrlPolicy(deps.resolver, allow_loopback=deps.webhook_local_mode),
    )
    return answer(ctx, endpoint)


@bp.route("/v1/webhooks/{endpoint_id}/deliveries", methods=["GET"])
@edge(bp)
def endpoint_deliveries(ctx: RequestContext, endpoint_id: str) -> Response:
    principal = admin(ctx)
    limit = params(ctx).integer("limit", default=50, minimum=1, maximum=200)
    deliveries = alert_admin.endpoint_deliveries(
        principal.tenant_id, parse_uuid(endpoint_id, "endpoint_id"), limit, get_dashboard_deps().endpoints
    )
    return answer(ctx, deliveries)


@bp.route("/v1/deliveries/{delivery_id}/redeliver", methods=["POST"])
@edge(bp)
def redeliver(ctx: RequestContext, delivery_id: str) -> Response:
    principal = admin(ctx)
    deps = get_dashboard_deps()
    ident = params_integer(delivery_id)
    result = alert_admin.redeliver(
        principal.tenant_id,
        ident,
        deliveries=deps.deliveries,
        channel=deps.subscriptions(),
        secrets=deps.sealer(),
        urls=UrlPolicy(deps.resolver, allow_loopback=deps.webhook_local_mode),
        now=datetime.now(UTC),
    )
    return answer(ctx, result, 201)


def params_integer(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:  # "¹".isdigit() is True
        raise MalformedRequest(
            "invalid_delivery_id", f"'delivery_id' must be a delivery's number (got '{value[:20]}')", "delivery_id"
        )
    return int(value)
