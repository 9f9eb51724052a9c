"""POST /v1/events: one event or {"events": [...]}; an answer per event, only after Kafka has them."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from chalice import Blueprint, Response

from chalicelib.deps import get_deps
from chalicelib.http import RequestContext, edge, json_response, rate_limit_headers, require_json
from customersignal.domain import ingestion
from customersignal.domain.auth import Scope
from customersignal.domain.authenticate import authenticate
from customersignal.domain.ingest import plan_ingest
from customersignal.domain.responses import ingest_response
from customersignal.observability import NAMESPACE, logger, metrics

bp = Blueprint(__name__)


@bp.route("/v1/events", methods=["POST"], content_types=["*/*"])
@edge(bp)
def post_events(ctx: RequestContext) -> Response:
    deps = get_deps()
    principal = authenticate(ctx.header("authorization"), Scope.INGEST, deps.keys)
    logger.thread_safe_append_keys(tenant_id=str(principal.tenant_id))
    require_json(ctx)
    plan = plan_ingest(ctx.body(), principal=principal, received_at=ctx.received_at, trace_id=ctx.trace.trace_id)
    decision = ingestion.accept(plan, principal, ctx.trace, limiter=deps.limiter, publisher=deps.publisher)
    body = ingest_response(plan, ctx.request_id, ctx.trace.trace_id)
    record_outcome(body.accepted, [r.code for r in body.results if r.status == "rejected"])
    headers = rate_limit_headers(decision.limit, decision.remaining, decision.reset_after_s)
    return json_response(200, body.model_dump(mode="json"), ctx, headers)


def record_outcome(accepted: int, rejection_codes: list[str | None]) -> None:
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=accepted)
    metrics.add_metric(name="BatchSize", unit=MetricUnit.Count, value=accepted + len(rejection_codes))
    for code in set(rejection_codes):
        # one EMF blob per code, so "rejected" can be graphed by code without a metric name per code
        with single_metric(
            name="EventsRejected", unit=MetricUnit.Count, value=rejection_codes.count(code), namespace=NAMESPACE
        ) as metric:
            metric.add_dimension(name="code", value=str(code))
    # Every request is in API Gateway's access log already; a second line per success would cost more CPU
    # than the rest of a single-event request's logging and as much in CloudWatch Logs as Lambda itself.
    # POWERTOOLS_LOGGER_SAMPLE_RATE turns these debug lines on for a share of requests.
    log = logger.info if rejection_codes else logger.debug
    log("events ingested", accepted=accepted, rejected=len(rejection_codes))
