"""A tenant's freshness watermark when its events may span several partitions (pure).

The promise of ``tenant_freshness.complete_up_to``: every event of the tenant received before it has been
counted. It rests on order: records of one Kafka key sit on one partition and are applied in order, so
once a record received at ``t`` is applied, everything sent before it on that key has been too.

A tenant spread over n slots (``domain/spread.py``) has n such ordered streams, so the promise holds per
slot (``tenant_slot_freshness``) and the tenant's watermark is the *minimum* over them. A partition that
stalls holds back only the slots on it, and with them the tenant's watermark, until it resumes.

The cases where a slot's own mark is not enough, each resolved towards a lower watermark (too low only
delays the dashboard's "complete" and the alerts; too high would let an alert judge a bucket that still
misses events):

* **A slot with no mark yet** (the spread was just raised, or the slot has seen nothing): its events may be
  in flight, so the tenant's watermark is unknown and stays where it was.
* **A spread that was lowered**: the retired slots may still hold a backlog. They keep counting until the
  partition they were on has applied an event (of any tenant) received more than ``DRAIN_MARGIN`` after the
  change: API containers stop using the old spread within the key cache's 60 s bound, and a request
  produces within its produce timeout, so by then the retired slot had nothing left before that event.
* **Two partitions' batches at once**: each computes the minimum from the other's last *committed* mark,
  which is lower or equal, and the store only ever moves ``tenant_freshness`` forward (``GREATEST``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from customersignal.domain.record_decoding import DecodedRecord
from customersignal.domain.spread import slot_from_key

# 60 s key-cache bound (adapters/key_cache.py) + the API's produce timeout, with room to spare
DRAIN_MARGIN = timedelta(seconds=90)


@dataclass(frozen=True, slots=True)
class SlotMark:
    """The latest ``received_at`` a batch applied for one (tenant, slot), and where that record came from."""

    received_at: datetime
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class SlotState:
    """A stored slot watermark, as the tenant's minimum needs it."""

    slot: int
    complete_up_to: datetime
    partition_progress: datetime | None = None  # the latest mark of any slot on this slot's partition


@dataclass(frozen=True, slots=True)
class TenantSpread:
    spread: int
    changed_at: datetime | None
    slots: tuple[SlotState, ...]


def slot_marks(records: Iterable[DecodedRecord]) -> dict[tuple[uuid.UUID, int], SlotMark]:
    """Per (tenant, slot), the latest ``received_at`` among the batch's countable records."""
    marks: dict[tuple[str, int], SlotMark] = {}
    for item in records:
        row, record = item.row, item.record
        key = (row.tenant_id, slot_from_key(record.key))
        current = marks.get(key)
        if current is None or row.received_at > current.received_at:
            marks[key] = SlotMark(row.received_at, record.topic, record.partition)
    # ids parsed once per tenant, not per record: this runs on every record of every batch
    return {(uuid.UUID(tenant), slot): mark for (tenant, slot), mark in marks.items()}


def tenant_watermark(tenant: TenantSpread) -> datetime | None:
    """The minimum over the slots the tenant's events may still be in; None when one of them is unknown."""
    by_slot = {state.slot: state for state in tenant.slots}
    marks: list[datetime] = []
    for slot in range(tenant.spread):
        state = by_slot.get(slot)
        if state is None:
            return None
        marks.append(state.complete_up_to)
    retired = [state for state in tenant.slots if state.slot >= tenant.spread]
    marks += [state.complete_up_to for state in retired if not _drained(state, tenant)]
    return min(marks)


def tenant_watermarks(tenants: Mapping[uuid.UUID, TenantSpread]) -> dict[uuid.UUID, datetime]:
    """The watermark of every tenant that has one (see ``tenant_watermark``)."""
    found = {tenant_id: tenant_watermark(tenant) for tenant_id, tenant in tenants.items()}
    return {tenant_id: mark for tenant_id, mark in found.items() if mark is not None}


def _drained(state: SlotState, tenant: TenantSpread) -> bool:
    """A retired slot is empty once its partition applied an event received well after the change."""
    if tenant.changed_at is None or state.partition_progress is None:
        return False
    return state.partition_progress > tenant.changed_at + DRAIN_MARGIN
