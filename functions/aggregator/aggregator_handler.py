"""The aggregator Lambda: an MSK or self-managed Kafka event-source mapping batch in, exact counts out.

Parsing the event stays in the domain (``kafka_records``) rather than Powertools' Kafka parser models:
those reject the whole event when one record's value is not base64, and keep one value per header name,
so one poison record would fail (and stall) its batch. Powertools does the logging and the metrics.

Every record is applied or dead-lettered inside one transaction, so the response never names a failed
item: either the batch succeeded (an empty ``batchItemFailures``) or the function raises and the
mapping retries the batch, which the offset fence makes harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from aggregator_deps import get_fast_path_channel, get_fast_path_store, get_ports, get_tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from customersignal.domain.alert_evaluation import publish_pending
from customersignal.domain.alert_fast_path import check_fast_path
from customersignal.domain.batch_apply import BatchOutcome, apply_batch
from customersignal.domain.envelope import TRACEPARENT_HEADER
from customersignal.domain.kafka_records import KafkaRecord, parse_event
from customersignal.domain.tracing import TraceContext, batch_trace
from customersignal.observability import logger, metrics, publishes_metrics
from customersignal.ports import AttributeValue, Span


@publishes_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = parse_event(event)
    now = datetime.now(UTC)
    with _batch_span(records) as span:
        logger.append_keys(trace_id=span.context.trace_id)
        outcome = apply_batch(records, get_ports(), now)
        _report(outcome)
        for name, value in (("counted", outcome.counted), ("duplicates", outcome.duplicates)):
            span.set_attribute(f"cs.events.{name}", value)
        if outcome.counted_types:
            _fast_path(outcome, now, span.context)
    return {"batchItemFailures": []}


def _batch_span(records: Sequence[KafkaRecord]) -> AbstractContextManager[Span]:
    """One span per batch (never per record): a child of the trace when every record carries the same one
    (so a single event's trace runs on through the aggregate and its alerts), else a new trace linked to
    each record's."""
    batch = batch_trace(record.header(TRACEPARENT_HEADER) for record in records)
    attributes: dict[str, AttributeValue] = {"messaging.system": "kafka", "messaging.batch.message_count": len(records)}
    return get_tracer().span(
        "aggregate batch", kind="consumer", parent=batch.parent, links=batch.links, attributes=attributes
    )


def _fast_path(outcome: BatchOutcome, now: datetime, trace: TraceContext) -> None:
    """Short threshold rules, checked as counts change. The batch is committed already, and the scheduled
    evaluator judges the same window within a minute, so a failure here is logged, never raised."""
    try:
        store = get_fast_path_store()
        report = check_fast_path(store, outcome.counted_types, now, trace.trace_id)
        if report.transitions:
            channel, secrets, urls = get_fast_path_channel()
            publish_pending(store, channel, secrets, now, report, traceparent=trace.traceparent, urls=urls)
    except Exception:  # noqa: BLE001 - see the docstring
        logger.exception("alert fast path failed; the scheduled evaluator will judge the window")
        metrics.add_metric(name="AlertFastPathFailed", unit=MetricUnit.Count, value=1)
        return
    if report.transitions:
        metrics.add_metric(name="AlertFastPathTransitions", unit=MetricUnit.Count, value=report.transitions)


def _report(outcome: BatchOutcome) -> None:
    for name, value in (
        ("RecordsReceived", outcome.records),
        ("EventsCounted", outcome.counted),
        ("DuplicateEvents", outcome.duplicates),
        ("ReplayedRecords", outcome.fenced),
        ("DeadLetters", outcome.dead_lettered),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    if not outcome.hot_store_updated:
        metrics.add_metric(name="HotStoreWriteFailed", unit=MetricUnit.Count, value=1)
        logger.warning("hot store not updated; Postgres has the counts (run `customersignal rebuild-hot`)")
    if outcome.max_received_at_lag_s is not None:
        metrics.add_metric(
            name="EndToEndLatency", unit=MetricUnit.Milliseconds, value=outcome.max_received_at_lag_s * 1000
        )
    logger.info("batch applied", extra={"outcome": outcome.__dict__})
