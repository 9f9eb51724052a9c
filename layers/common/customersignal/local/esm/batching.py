"""When to invoke and what goes in a batch: pure decisions over the records fetched so far.

AWS (API_EventSourceMappingConfiguration, BatchSize): "The maximum number of records in each batch that
Lambda pulls from your stream or queue and sends to your function. Lambda passes all of the records in
the batch to the function in a single call, up to the payload limit for synchronous invocation (6 MB)."
MaximumBatchingWindowInSeconds: "The maximum amount of time, in seconds, that Lambda spends gathering
records before invoking the function."

So a batch is invoked as soon as one of these holds: ``batch_size`` records are waiting, the next record
would push the payload over the limit, or the window has passed. Docs silent, our choice: the window
starts when the first record of the batch is fetched (an idle topic never starts one), and a record too
big to fit any payload is sent alone (the invoke then fails as AWS's would, see ``invoke``).

Sizes are exact: the JSON document ``events.kafka_event`` builds, measured as ``events.payload_size`` does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from customersignal.local.esm.events import RecordData, record_json
from customersignal.local.runtime import LAMBDA_PAYLOAD_LIMIT


@dataclass(frozen=True)
class BatchLimits:
    batch_size: int
    window_s: float
    payload_limit: int = LAMBDA_PAYLOAD_LIMIT
    envelope_bytes: int = 0
    """Size of the event with an empty ``records`` object (``payload_size(kafka_event([], ...))``)."""


def record_bytes(record: RecordData) -> int:
    return len(json.dumps(record_json(record), separators=(",", ":")).encode())


def _key_bytes(record: RecordData) -> int:
    # "<topic>-<partition>":[ ... ]  -> the quoted key, the colon and the two brackets
    return len(json.dumps(f"{record.topic}-{record.partition}").encode()) + 3


class PayloadMeter:
    """Running exact size of an event holding the records added so far."""

    def __init__(self, envelope_bytes: int) -> None:
        self.bytes = envelope_bytes
        self._partitions: set[tuple[str, int]] = set()

    def cost(self, record: RecordData, size: int) -> int:
        """Bytes that adding ``record`` (of ``size`` bytes as JSON) would add."""
        if (record.topic, record.partition) in self._partitions:
            return size + 1  # a comma before it
        return size + _key_bytes(record) + (1 if self._partitions else 0)  # a new key, a comma between keys

    def add(self, record: RecordData, size: int) -> None:
        self.bytes += self.cost(record, size)
        self._partitions.add((record.topic, record.partition))


def batch_length(pending: Sequence[RecordData], sizes: Sequence[int], limits: BatchLimits) -> int:
    """How many of the first ``pending`` records form the next batch (at least one when any are pending)."""
    meter = PayloadMeter(limits.envelope_bytes)
    taken = 0
    for record, size in zip(pending, sizes, strict=True):
        if taken == limits.batch_size:
            break
        if taken > 0 and meter.bytes + meter.cost(record, size) > limits.payload_limit:
            break
        meter.add(record, size)
        taken += 1
    return taken


def is_ready(
    pending: Sequence[RecordData], sizes: Sequence[int], limits: BatchLimits, first_fetched_at: float, now: float
) -> bool:
    """Invoke now? (Full by count, full by payload, or the window since the first record has passed.)"""
    if not pending:
        return False
    if len(pending) >= limits.batch_size or batch_length(pending, sizes, limits) < len(pending):
        return True
    return now - first_fetched_at >= limits.window_s


def wait_s(pending_count: int, limits: BatchLimits, first_fetched_at: float, now: float, tick_s: float) -> float:
    """How long the next fetch may block: never past the window's end, never longer than ``tick_s``."""
    if pending_count == 0:
        return tick_s
    return max(0.0, min(tick_s, first_fetched_at + limits.window_s - now))


class Pending:
    """Records fetched but not yet in a batch, in fetch order, with their JSON sizes."""

    def __init__(self, limits: BatchLimits) -> None:
        self.limits = limits
        self.records: list[RecordData] = []
        self.sizes: list[int] = []
        self.first_at = 0.0

    def __len__(self) -> int:
        return len(self.records)

    def add(self, record: RecordData, now: float) -> None:
        if not self.records:
            self.first_at = now
        self.records.append(record)
        self.sizes.append(record_bytes(record))

    def ready(self, now: float) -> bool:
        return is_ready(self.records, self.sizes, self.limits, self.first_at, now)

    def wait_s(self, now: float, tick_s: float) -> float:
        return wait_s(len(self.records), self.limits, self.first_at, now, tick_s)

    def take(self, now: float) -> tuple[RecordData, ...]:
        """The next batch; what is left starts a new window (docs silent: our choice)."""
        taken = batch_length(self.records, self.sizes, self.limits)
        batch = tuple(self.records[:taken])
        del self.records[:taken], self.sizes[:taken]
        self.first_at = now
        return batch

    def drop(self, partitions: set[tuple[str, int]]) -> None:
        """Forget records of partitions this consumer no longer owns (their new owner fetches them)."""
        keep = [i for i, r in enumerate(self.records) if (r.topic, r.partition) not in partitions]
        self.records, self.sizes = [self.records[i] for i in keep], [self.sizes[i] for i in keep]
