"""The aggregator Lambda: an MSK or self-managed Kafka event-source mapping batch in, exact counts out.

Parsing the event stays in the domain (``kafka_records``) rather than Powertools' Kafka parser models:
those reject the whole event when one record's value is not base64, and keep one value per header name,
so one poison record would fail (and stall) its batch. Powertools does the logging and the metrics.

Every record is applied or dead-lettered inside one transaction, so the response never names a failed
item: either the batch succeeded (an empty ``batchItemFailures``) or the function raises and the
mapping retries the batch, which the offset fence makes harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aggregator_deps import get_ports
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from customersignal.domain.batch_apply import BatchOutcome, apply_batch
from customersignal.domain.kafka_records import parse_event
from customersignal.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = parse_event(event)
    outcome = apply_batch(records, get_ports(), datetime.now(UTC))
    _report(outcome)
    return {"batchItemFailures": []}


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
