"""The alert evaluator Lambda, on a one-minute schedule: judge every enabled rule's latest complete window,
persist its lifecycle step, and publish the outbox to SNS (``domain/alert_evaluation.py``). Each run is one
span, the root of a trace of its own; every history row and notification it writes carries that trace id,
and each SNS message its ``traceparent``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alerts_deps import get_ports, get_tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from customersignal.domain.alert_evaluation import RunReport, evaluate_rules, publish_pending
from customersignal.observability import logger, metrics, publishes_metrics


@publishes_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ports = get_ports()
    with get_tracer().span("evaluate alert rules") as span:
        trace = span.context
        logger.append_keys(trace_id=trace.trace_id)
        now = datetime.now(UTC)
        report = evaluate_rules(ports.store, ports.lag, now, trace.trace_id)
        publish_pending(
            ports.store, ports.channel, ports.secrets, now, report, traceparent=trace.traceparent, urls=ports.urls
        )
        span.set_attribute("cs.alerts.transitions", report.transitions)
    _report(report)
    return {
        "rules": report.rules,
        "nodata": report.nodata,
        "transitions": report.transitions,
        "notifications": report.notifications,
        "deliveries_failed": report.deliveries_failed,
    }


def _report(report: RunReport) -> None:
    for name, value in (
        ("AlertRulesEvaluated", report.rules),
        ("AlertRulesNoData", report.nodata),
        ("AlertTransitions", report.transitions),
        ("AlertNotifications", report.notifications),
        ("AlertDeliveriesFailed", report.deliveries_failed),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("alert rules evaluated", **vars(report))
