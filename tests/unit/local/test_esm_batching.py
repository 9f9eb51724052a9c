"""When the ESM emulator invokes and what a batch holds: count, payload cap and window (pure decisions).

"Lambda passes all of the records in the batch to the function in a single call, up to the payload limit
for synchronous invocation (6 MB)." / "The maximum amount of time, in seconds, that Lambda spends
gathering records before invoking the function." (API_EventSourceMappingConfiguration)
"""

from __future__ import annotations

import pytest

from customersignal.local.esm.batching import (
    BatchLimits,
    PayloadMeter,
    Pending,
    batch_length,
    is_ready,
    record_bytes,
    wait_s,
)
from customersignal.local.esm.events import RecordData, kafka_event, payload_size
from customersignal.local.runtime import LAMBDA_PAYLOAD_LIMIT

pytestmark = pytest.mark.unit


def rec(offset: int, partition: int = 0, size: int = 10, topic: str = "t") -> RecordData:
    return RecordData(topic, partition, offset, 1_700_000_000_000 + offset, b"v" * size, key=b"k")


def envelope() -> int:
    return payload_size(kafka_event([], source="self-managed", bootstrap_servers="127.0.0.1:9092"))


def sizes(records: list[RecordData]) -> list[int]:
    return [record_bytes(r) for r in records]


def test_the_payload_meter_is_exact_for_any_mix_of_partitions() -> None:
    records = [rec(o, p, size=o * 7, topic=t) for t in ("a-b", "c") for p in (0, 3, 11) for o in range(3)]
    meter = PayloadMeter(envelope())
    for count, record in enumerate(records, start=1):
        meter.add(record, record_bytes(record))
        event = kafka_event(records[:count], source="self-managed", bootstrap_servers="127.0.0.1:9092")
        assert meter.bytes == payload_size(event)


@pytest.mark.parametrize(("pending", "batch_size", "expected"), [(5, 3, 3), (3, 3, 3), (2, 3, 2), (1, 1, 1)])
def test_a_batch_holds_at_most_batch_size_records(pending: int, batch_size: int, expected: int) -> None:
    records = [rec(o) for o in range(pending)]
    assert batch_length(records, sizes(records), BatchLimits(batch_size, 1.0, envelope_bytes=envelope())) == expected


def test_a_batch_is_cut_before_it_would_exceed_the_payload_limit() -> None:
    # Given records of ~1 MB each and the 6 MB limit
    records = [rec(o, size=1_000_000) for o in range(10)]
    limits = BatchLimits(100, 1.0, envelope_bytes=envelope())
    # When the batch is cut
    taken = batch_length(records, sizes(records), limits)
    # Then it holds as many as fit (base64 makes each ~1.33 MB, so 4), and one more would not fit
    event = kafka_event(records[:taken], source="self-managed", bootstrap_servers="127.0.0.1:9092")
    bigger = kafka_event(records[: taken + 1], source="self-managed", bootstrap_servers="127.0.0.1:9092")
    assert taken == 4
    assert payload_size(event) <= LAMBDA_PAYLOAD_LIMIT < payload_size(bigger)


def test_a_record_too_big_for_any_payload_goes_alone() -> None:
    records = [rec(0, size=5_000_000), rec(1)]
    assert batch_length(records, sizes(records), BatchLimits(100, 1.0, envelope_bytes=envelope())) == 1


@pytest.mark.parametrize(
    ("count", "record_size", "first_at", "now", "ready"),
    [
        (0, 10, 0.0, 99.0, False),  # nothing fetched: never invoke, whatever the time
        (3, 10, 10.0, 10.0, True),  # batch size reached: invoke at once
        (2, 10, 10.0, 10.4, False),  # under the size, inside the window: wait
        (2, 10, 10.0, 10.5, True),  # the window has passed since the first record: invoke
        (2, 4_000_000, 10.0, 10.0, True),  # two records overflow the payload: the first one goes now
    ],
)
def test_ready_when_full_by_count_or_payload_or_when_the_window_passed(
    count: int, record_size: int, first_at: float, now: float, ready: bool
) -> None:
    records = [rec(o, size=record_size) for o in range(count)]
    limits = BatchLimits(3, 0.5, envelope_bytes=envelope())
    assert is_ready(records, sizes(records), limits, first_at, now) is ready


def test_the_fetch_never_waits_past_the_window() -> None:
    limits = BatchLimits(10, 2.0)
    assert wait_s(0, limits, 0.0, 50.0, tick_s=0.25) == 0.25  # nothing pending: just the tick
    assert wait_s(1, limits, 10.0, 11.9, tick_s=0.25) == pytest.approx(0.1)
    assert wait_s(1, limits, 10.0, 13.0, tick_s=0.25) == 0.0


def test_a_zero_window_invokes_with_whatever_was_fetched() -> None:
    records = [rec(0)]
    assert is_ready(records, sizes(records), BatchLimits(100, 0, envelope_bytes=envelope()), 5.0, 5.0)


def test_pending_takes_batches_in_fetch_order_and_restarts_the_window() -> None:
    pending = Pending(BatchLimits(2, 1.0, envelope_bytes=envelope()))
    for offset, partition in ((0, 0), (0, 1), (1, 0)):
        pending.add(rec(offset, partition), now=1.0)
    assert pending.ready(now=1.0)
    assert [(r.partition, r.offset) for r in pending.take(now=2.0)] == [(0, 0), (1, 0)]
    assert (len(pending), pending.first_at, pending.ready(now=2.5), pending.ready(now=3.0)) == (1, 2.0, False, True)


def test_pending_forgets_revoked_partitions() -> None:
    pending = Pending(BatchLimits(10, 1.0))
    for offset, partition in ((0, 0), (0, 1), (1, 0)):
        pending.add(rec(offset, partition), now=1.0)
    pending.drop({("t", 0)})
    assert [(r.partition, r.offset) for r in pending.records] == [(1, 0)]
    assert pending.sizes == [record_bytes(rec(0, 1))]
