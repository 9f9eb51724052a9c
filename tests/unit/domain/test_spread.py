"""Spreading a tenant over partitions: the key each event takes, and where each slot goes."""

from __future__ import annotations

import json
import uuid
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import pytest

from customersignal.adapters.key_cache import decode_record, encode_record
from customersignal.domain import ingestion
from customersignal.domain.auth import ApiKeyRecord, Scope, hash_key
from customersignal.domain.authenticate import authenticate
from customersignal.domain.envelope import Envelope
from customersignal.domain.spread import (
    MAX_SPREAD,
    check_spread,
    event_key,
    slot_from_key,
    slot_of,
    slot_partition,
)
from customersignal.domain.tracing import TraceContext
from tests.fakes import FakeKeyLookup, FakeRateLimiter
from tests.unit.domain.support import PRINCIPAL, TRACE_ID, event, plan

pytestmark = pytest.mark.unit

TENANT = uuid.UUID("22222222-2222-4222-8222-222222222222")
IDS = [uuid.UUID(int=n * 7919 + 1) for n in range(600)]


def test_spread_one_keeps_the_bare_tenant_key() -> None:
    # Given the default spread, then When any event is keyed: Then the key is the tenant id, as before
    assert {event_key(TENANT, i, 1) for i in IDS[:50]} == {str(TENANT).encode()}


def test_a_retry_takes_the_slot_and_key_of_its_first_attempt() -> None:
    # Given one event id, When it is keyed twice (a client retry) Then both keys are the same
    for spread in (2, 3, 8, MAX_SPREAD):
        for event_id in IDS[:20]:
            assert event_key(TENANT, event_id, spread) == event_key(TENANT, uuid.UUID(str(event_id)), spread)
            assert 0 <= slot_of(event_id, spread) < spread


def test_slots_share_the_events_evenly() -> None:
    # Given 600 distinct event ids, When spread over 3 slots Then each slot gets a fair share
    counts = Counter(slot_of(i, 3) for i in IDS)
    assert set(counts) == {0, 1, 2}
    assert all(150 <= n <= 250 for n in counts.values()), counts


def test_one_senders_version_1_uuids_still_spread() -> None:
    # Given version-1 UUIDs from one node (their last 48 bits are the same), When slotted
    same_node = [uuid.UUID(fields=(n, 0x1234, 0x1ABC, 0x80, 0x01, 0x0242AC110002)) for n in range(200)]
    # Then they still fill every slot: the slot is a hash of the id, not its low bits
    assert {slot_of(i, 4) for i in same_node} == {0, 1, 2, 3}


@pytest.mark.parametrize("spread", [2, 3, 12, MAX_SPREAD])
def test_the_slot_can_be_read_back_from_the_key(spread: int) -> None:
    for event_id in IDS[:40]:
        assert slot_from_key(event_key(TENANT, event_id, spread)) == slot_of(event_id, spread)


@pytest.mark.parametrize(
    "key",
    [None, b"", str(TENANT).encode(), str(TENANT).encode() + b":x", str(TENANT).encode() + b":64", b"a:999"],
)
def test_a_key_without_a_valid_slot_is_slot_0(key: bytes | None) -> None:
    # slot 0: the bare tenant key, and anything else (never a slot the schema's CHECK would refuse)
    assert slot_from_key(key) == 0


def test_slots_take_distinct_partitions_starting_where_the_tenant_key_hashes() -> None:
    # Given a 12-partition topic, When a tenant spreads over 3 or 12 slots
    start = zlib.crc32(str(TENANT).encode()) % 12
    # Then slot 0 is where librdkafka's consistent_random partitioner puts the bare tenant key
    assert slot_partition(TENANT, 0, 12) == start
    # And the slots take distinct, consecutive partitions (wrapping round)
    assert [slot_partition(TENANT, s, 12) for s in range(3)] == [(start + s) % 12 for s in range(3)]
    assert {slot_partition(TENANT, s, 12) for s in range(12)} == set(range(12))


@pytest.mark.parametrize("bad", [0, -1, MAX_SPREAD + 1])
def test_a_spread_outside_1_to_64_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="from 1 to 64"):
        check_spread(bad)
    assert check_spread(MAX_SPREAD) == MAX_SPREAD


class RecordingPublisher:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def publish(self, envelopes: Sequence[Envelope], *, traceparent: str, spread: int = 1) -> None:
        self.calls.append((len(envelopes), spread))


def test_accepting_a_plan_publishes_with_the_principals_spread() -> None:
    # Given a principal whose tenant spreads over 3 partitions
    principal = replace(PRINCIPAL, kafka_spread=3)
    publisher = RecordingPublisher()
    trace = TraceContext(trace_id=TRACE_ID, span_id="00f067aa0ba902b7", sampled=True)
    # When a planned batch is accepted
    ingestion.accept(
        plan({"events": [event(0), event(1)]}), principal, trace, limiter=FakeRateLimiter(), publisher=publisher
    )
    # Then the publisher is told the spread
    assert publisher.calls == [(2, 3)]


def test_the_principal_and_the_key_cache_carry_the_spread() -> None:
    # Given a key of a tenant spread over 5 partitions
    record = ApiKeyRecord(uuid.uuid4(), TENANT, uuid.uuid4(), frozenset({Scope.INGEST}), kafka_spread=5)
    keys = FakeKeyLookup()
    keys.add(hash_key("cs_" + "k" * 40), record)
    # When a request authenticates with it Then the principal has the spread
    assert authenticate("Bearer cs_" + "k" * 40, Scope.INGEST, keys).kafka_spread == 5
    # And the Redis copy of the record keeps it
    assert decode_record(encode_record(record, 10.0))[0] == record


def test_a_key_cache_entry_from_before_spreads_reads_as_spread_1() -> None:
    # Given an entry written by the previous release (no kafka_spread field)
    body = {
        "key_id": str(uuid.uuid4()),
        "tenant_id": str(TENANT),
        "project_id": str(uuid.uuid4()),
        "scopes": ["ingest"],
        "revoked_at": None,
        "rate_limit_per_s": 5.0,
        "rate_limit_burst": 10,
    }
    old = json.dumps({"v": 1, "exp": 10.0, "record": body})
    # When it is read Then the tenant is at spread 1
    record, _ = decode_record(old)
    assert record is not None
    assert record.kafka_spread == 1
