"""A tenant's freshness watermark as the minimum over the slots its events may be in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from customersignal.domain.freshness import (
    DRAIN_MARGIN,
    SlotMark,
    SlotState,
    TenantSpread,
    slot_marks,
    tenant_watermark,
    tenant_watermarks,
)
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.record_decoding import DecodedRecord, row_of
from tests.unit.domain.test_aggregation import RECEIVED, TENANT, envelope

pytestmark = pytest.mark.unit
T = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OTHER = uuid.UUID(int=7)


def decoded(received: datetime, key: bytes | None, partition: int = 0, tenant: uuid.UUID = TENANT) -> DecodedRecord:
    item = envelope(T).model_copy(update={"received_at": received, "tenant_id": tenant})
    return DecodedRecord(KafkaRecord("events_raw", partition, 0, 0, key, b"{}", ()), row_of(item))


def at(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def test_slot_marks_are_the_latest_received_time_per_tenant_and_slot() -> None:
    bare, slot_2 = str(TENANT).encode(), str(TENANT).encode() + b":2"
    batch = [
        decoded(RECEIVED, bare, partition=4),
        decoded(RECEIVED + timedelta(seconds=5), bare, partition=4),
        decoded(RECEIVED + timedelta(seconds=1), slot_2, partition=6),
        decoded(RECEIVED, str(OTHER).encode(), partition=1, tenant=OTHER),
    ]
    assert slot_marks(batch) == {
        (TENANT, 0): SlotMark(RECEIVED + timedelta(seconds=5), "events_raw", 4),
        (TENANT, 2): SlotMark(RECEIVED + timedelta(seconds=1), "events_raw", 6),
        (OTHER, 0): SlotMark(RECEIVED, "events_raw", 1),
    }


def test_spread_1_is_the_single_slots_mark() -> None:
    assert tenant_watermark(TenantSpread(1, None, (SlotState(0, at(10)),))) == at(10)


def test_the_watermark_is_the_minimum_over_the_spreads_slots() -> None:
    # Given three slots, one behind (its partition is stalled)
    slots = (SlotState(0, at(30)), SlotState(1, at(5)), SlotState(2, at(40)))
    # Then the tenant is complete only up to the slowest one
    assert tenant_watermark(TenantSpread(3, None, slots)) == at(5)


def test_a_slot_with_no_mark_yet_leaves_the_watermark_unknown() -> None:
    # Given a spread just raised from 1 to 3: slot 2 has not been seen yet (its events may be in flight)
    slots = (SlotState(0, at(30)), SlotState(1, at(20)))
    # Then there is no watermark to move to (the stored one stays where it is)
    assert tenant_watermark(TenantSpread(3, at(0), slots)) is None
    assert tenant_watermarks({TENANT: TenantSpread(3, at(0), slots), OTHER: TenantSpread(1, None, slots[:1])}) == {
        OTHER: at(30)
    }


def test_a_retired_slot_counts_until_its_partition_passed_the_change() -> None:
    changed = at(100)

    # Given a spread lowered from 2 to 1 at `changed`; slot 1 (retired) last applied an event at 90 s
    def spread_with(progress: datetime | None) -> TenantSpread:
        return TenantSpread(1, changed, (SlotState(0, at(200)), SlotState(1, at(90), progress)))

    # While its partition has applied nothing received well after the change, slot 1 may still hold a backlog
    assert tenant_watermark(spread_with(None)) == at(90)
    assert tenant_watermark(spread_with(changed + DRAIN_MARGIN)) == at(90)
    # Once it has, slot 1 is drained and the remaining slot alone decides
    assert tenant_watermark(spread_with(changed + DRAIN_MARGIN + timedelta(seconds=1))) == at(200)


def test_a_retired_slot_with_no_recorded_change_keeps_counting() -> None:
    slots = (SlotState(0, at(200)), SlotState(1, at(90), at(10_000)))
    assert tenant_watermark(TenantSpread(1, None, slots)) == at(90)
