"""Segment-compatible endpoints, so Segment's SDKs can send to CustomerSignal unchanged.

The write key is our API key, sent as the HTTP Basic user name (Segment's convention) or as a Bearer token,
or, from Segment's browser SDK, as ``writeKey`` in the body on its short paths (``/v1/t``, ``/v1/b``...:
chalicelib/browser_routes.py).
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.deps import get_deps
from chalicelib.http import RequestContext, edge, json_response, rate_limit_headers, require_json
from chalicelib.ingest_routes import record_outcome
from customersignal.domain import ingestion
from customersignal.domain.auth import Scope
from customersignal.domain.authenticate import authenticate
from customersignal.domain.segment import plan_segment, segment_response_body, segment_response_status
from customersignal.domain.segment_browser import SegmentCall, authorization_for
from customersignal.observability import logger

bp = Blueprint(__name__)


def handle(ctx: RequestContext, call: SegmentCall) -> Response:
    deps = get_deps()
    authorization = authorization_for(ctx.header("authorization"), ctx.body())
    principal = authenticate(authorization, Scope.INGEST, deps.keys)
    logger.thread_safe_append_keys(tenant_id=str(principal.tenant_id))
    require_json(ctx)
    plan = plan_segment(
        ctx.body(), call=call, principal=principal, received_at=ctx.received_at, trace_id=ctx.trace.trace_id
    )
    decision = ingestion.accept(plan, principal, ctx.trace, limiter=deps.limiter, publisher=deps.publisher)
    body = segment_response_body(plan, ctx.request_id, ctx.trace.trace_id)
    record_outcome(len(plan.envelopes), [r.code for r in plan.results if r.status == "rejected"])
    headers = rate_limit_headers(decision.limit, decision.remaining, decision.reset_after_s)
    return json_response(segment_response_status(plan), body, ctx, headers)


@bp.route("/v1/track", methods=["POST"], content_types=["*/*"])
@edge(bp)
def track(ctx: RequestContext) -> Response:
    return handle(ctx, "track")


@bp.route("/v1/identify", methods=["POST"], content_types=["*/*"])
@edge(bp)
def identify(ctx: RequestContext) -> Response:
    return handle(ctx, "identify")


@bp.route("/v1/page", methods=["POST"], content_types=["*/*"])
@edge(bp)
def page(ctx: RequestContext) -> Response:
    return handle(ctx, "page")


@bp.route("/v1/screen", methods=["POST"], content_types=["*/*"])
@edge(bp)
def screen(ctx: RequestContext) -> Response:
    return handle(ctx, "screen")


@bp.route("/v1/group", methods=["POST"], content_types=["*/*"])
@edge(bp)
def group(ctx: RequestContext) -> Response:
    return handle(ctx, "group")


@bp.route("/v1/alias", methods=["POST"], content_types=["*/*"])
@edge(bp)
def alias(ctx: RequestContext) -> Response:
    return handle(ctx, "alias")


@bp.route("/v1/batch", methods=["POST"], content_types=["*/*"])
@edge(bp)
def batch(ctx: RequestContext) -> Response:
    return handle(ctx, "batch")
