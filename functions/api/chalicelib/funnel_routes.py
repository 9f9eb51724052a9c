"""GET /v1/insights/funnel (read or admin scope): parse the steps, run the funnel, answer its model."""

from __future__ import annotations

from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib.dashboard_deps import get_dashboard_deps
from chalicelib.dashboard_routes import answer, params, reader
from chalicelib.http import RequestContext, edge
from customersignal.domain import funnel

bp = Blueprint(__name__)


@bp.route("/v1/insights/funnel", methods=["GET"])
@edge(bp)
def insights_funnel(ctx: RequestContext) -> Response:
    principal = reader(ctx)
    raw = ctx.request.query_params
    steps = raw.getlist("step") if raw is not None and "step" in raw else []
    query = funnel.parse_funnel_query(params(ctx), steps, datetime.now(UTC))
    return answer(ctx, funnel.funnel(principal.tenant_id, query, get_dashboard_deps().funnels))
