"""The maintenance Lambda, on a schedule: keep the pipeline's own tables bounded.

Adds the coming days' raw-event partitions, prunes dedup claims older than 8 days, (with
``CS_EVENTS_RETENTION_DAYS``) drops raw-event partitions past the retention, caps property dimensions past
their value cap and backfills new property rollups. Every step commits in
chunks, so a run cut short by the time limit has done part of the work and the next run finishes it.
The same steps as ``customersignal maintain`` (``pipeline_maintenance.run_maintenance``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from maintain_deps import get_database, get_settings

from customersignal.adapters.pipeline_maintenance import MaintenanceReport, run_maintenance
from customersignal.observability import logger, metrics, publishes_metrics


@publishes_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = MaintenanceReport()
    db = get_database()
    try:
        retention = get_settings().events_retention_days or None  # 0, the default: keep every raw event
        for progress in run_maintenance(db, datetime.now(UTC), retention, report):
            logger.debug(progress)
    finally:
        db.close()
        metrics.add_metric(name="MaintenanceRowsPruned", unit=MetricUnit.Count, value=sum(report.pruned.values()))
        metrics.add_metric(
            name="MaintenancePartitionsDropped", unit=MetricUnit.Count, value=len(report.partitions_dropped)
        )
    logger.info("maintenance done", extra={"summary": report.summary()})
    return {
        "partitions_created": report.partitions_created,
        "pruned": report.pruned,
        "partitions_dropped": report.partitions_dropped,
        "rollups_backfilled": report.rollups_backfilled,
        "rollups_waiting": report.rollups_waiting,
        "rollups_capped": report.rollups_capped,
    }
