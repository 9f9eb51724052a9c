"""Is the aggregator caught up? Every partition of events_raw applied up to its end offset (the Postgres
offset fence against Kafka's high watermark). The alert evaluator uses it so that a tenant whose events
simply stopped reads as "complete up to now" (an absence rule may fire), while a lagging pipeline reads
as its watermark (NODATA, no false alarm)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pg8000.native

from customersignal.adapters.pipeline_status import offset_fences, partition_lags


class KafkaPipelineLag:
    def __init__(
        self, connection: dict[str, Any], topic: str, group: str, db: Callable[[], pg8000.native.Connection]
    ) -> None:
        self._connection = connection
        self._topic = topic
        self._group = group
        self._db = db

    def caught_up(self) -> bool:
        db = self._db()
        try:
            fences = offset_fences(db, self._group, self._topic)
        finally:
            db.close()
        try:
            lags = partition_lags(self._connection, self._topic, self._group, fences)
        except Exception:  # noqa: BLE001 - Kafka unreachable or no topic: not caught up, never a false alarm
            return False
        return all((lag.applied if lag.applied is not None else lag.start_offset) >= lag.end_offset for lag in lags)
