"""Apply one event-source-mapping batch: every accepted event counted exactly once, no record stalls.

The order is what makes the promise hold:
1. Decode every record. A record that cannot be decoded, or names an unknown or blocked tenant,
   project or event type, becomes a dead letter; the rest of the batch proceeds.
2. In ONE store transaction: lock each partition's offset fence and skip records below it (a replayed
   or overlapping batch changes nothing); claim (tenant, event id) dedup keys and store the raw events
   whose claim is new (a client retry is counted once); add the pre-aggregated counts, unique users and
   catalog entries of exactly those events; record the dead letters; advance freshness (per slot, then
   the tenant's minimum over its slots: domain/freshness) and the fences.
   A record whose values Postgres refuses to store (the decoder catches every shape we know of) is
   set aside within the transaction and becomes a dead letter; the rest of the batch is stored.
3. Still inside the transaction, publish the new dead letters to the DLQ topic and wait for the broker.
   If the commit then fails, the retry publishes them again (at least once; the table keeps one row per
   source offset). Publishing after the commit could lose them: the retry would find them fenced.
4. After the commit, merge the batch's buckets into the hot store (see hot_window: idempotent). A hot
   store outage does not fail the batch: Postgres is the record, and ``rebuild-hot`` restores Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from customersignal.domain.aggregation import pre_aggregate
from customersignal.domain.deadletters import DeadLetter, DeadLetterReason
from customersignal.domain.errors import Unavailable
from customersignal.domain.freshness import slot_marks
from customersignal.domain.hot_window import bucket_keys, hot_update
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.record_decoding import DecodedRecord, decode_record
from customersignal.ports import (
    AggregationStore,
    AggregationTransaction,
    DeadLetterPublisher,
    HotStore,
    TenantStanding,
    TopicPartition,
)

ACTIVE = "active"


@dataclass(frozen=True)
class BatchOutcome:
    records: int
    counted: int  # new events, now in the counts
    duplicates: int  # valid events whose (tenant, event id) was already counted
    fenced: int  # records below the offset fence: already applied by an earlier delivery
    dead_lettered: int  # new dead letters (fenced ones are not counted again)
    hot_store_updated: bool
    max_received_at_lag_s: float | None  # now - received_at of the oldest counted event: end-to-end latency
    counted_types: frozenset[tuple[uuid.UUID, str]] = frozenset()  # (tenant, event type) whose counts grew


@dataclass(frozen=True)
class AggregatorPorts:
    store: AggregationStore
    dead_letters: DeadLetterPublisher
    hot_store: HotStore
    consumer_group: str


def apply_batch(records: Sequence[KafkaRecord], ports: AggregatorPorts, now: datetime) -> BatchOutcome:
    """``now`` bounds the hot window and measures the end-to-end latency."""
    decoded: list[DecodedRecord] = []
    letters: list[DeadLetter] = []
    for item in map(decode_record, records):
        if isinstance(item, DecodedRecord):
            decoded.append(item)
        else:
            letters.append(item)
    partitions = sorted({TopicPartition(r.topic, r.partition) for r in records})

    with ports.store.transaction() as tx:
        fences = tx.lock_offsets(ports.consumer_group, partitions)

        def is_new(record: KafkaRecord) -> bool:
            return record.offset >= fences.get(TopicPartition(record.topic, record.partition), 0)

        countable, refused = _vet(decoded, tx)
        letters += refused
        candidates = _first_of_each_event([d for d in countable if is_new(d.record)])
        stored = tx.store_new_events(candidates)
        if stored.refused:
            letters += [_store_refusal(item, error) for item, error in stored.refused]
            refused_records = {item.record for item, _ in stored.refused}
            countable = [d for d in countable if d.record not in refused_records]
        new_letters = [letter for letter in letters if is_new(letter.record)]
        counted = [d for d in candidates if (d.envelope.tenant_id, d.envelope.event.event_id) in stored.claimed]
        aggregate = pre_aggregate(d.envelope for d in counted)
        tx.add_metrics(aggregate)
        tx.update_catalog(aggregate)
        tx.record_dead_letters(new_letters)
        envelopes = [d.envelope for d in countable]
        freshness = tx.advance_freshness(slot_marks(countable))
        tx.advance_offsets(ports.consumer_group, _next_offsets(records))
        totals = tx.minute_totals(bucket_keys(envelopes, now))
        if new_letters:
            ports.dead_letters.publish(new_letters)

    hot_ok = True
    update = hot_update(envelopes, totals, freshness, now)
    if not update.is_empty():
        try:
            ports.hot_store.apply(update)
        except Unavailable:
            hot_ok = False
    oldest = min((d.envelope.received_at for d in counted), default=None)
    return BatchOutcome(
        records=len(records),
        counted=len(counted),
        duplicates=len(candidates) - len(counted) - len(stored.refused),
        fenced=sum(1 for r in records if not is_new(r)),
        dead_lettered=len(new_letters),
        hot_store_updated=hot_ok,
        max_received_at_lag_s=None if oldest is None else (now - oldest).total_seconds(),
        counted_types=frozenset((d.envelope.tenant_id, d.envelope.event.event_type) for d in counted),
    )


def _vet(decoded: Sequence[DecodedRecord], tx: AggregationTransaction) -> tuple[list[DecodedRecord], list[DeadLetter]]:
    """Split decoded records into countable ones and dead letters (unknown or blocked owners and types)."""
    standing = tx.tenant_standing({d.envelope.tenant_id for d in decoded})
    countable: list[DecodedRecord] = []
    refused: list[DeadLetter] = []
    for item in decoded:
        letter = _owner_problem(item, standing.get(item.envelope.tenant_id))
        if letter is None:
            countable.append(item)
        else:
            refused.append(letter)
    blocked = tx.blocked_event_types({(d.envelope.tenant_id, d.envelope.event.event_type) for d in countable})
    if not blocked:
        return countable, refused
    kept: list[DecodedRecord] = []
    for item in countable:
        envelope = item.envelope
        if (envelope.tenant_id, envelope.event.event_type) in blocked:
            refused.append(
                DeadLetter.of(
                    item.record,
                    DeadLetterReason.BLOCKED_EVENT_TYPE,
                    f"event type {envelope.event.event_type!r} is blocked in the catalog",
                    envelope.tenant_id,
                )
            )
        else:
            kept.append(item)
    return kept, refused


def _store_refusal(item: DecodedRecord, error: str) -> DeadLetter:
    return DeadLetter.of(item.record, DeadLetterReason.STORE_REFUSED, error, item.envelope.tenant_id)


def _owner_problem(item: DecodedRecord, standing: TenantStanding | None) -> DeadLetter | None:
    envelope = item.envelope
    if standing is None:
        return DeadLetter.of(item.record, DeadLetterReason.UNKNOWN_TENANT, f"no tenant {envelope.tenant_id}")
    if standing.status != ACTIVE:
        return DeadLetter.of(
            item.record, DeadLetterReason.BLOCKED_TENANT, f"tenant is {standing.status}", envelope.tenant_id
        )
    if envelope.project_id not in standing.project_ids:
        return DeadLetter.of(
            item.record,
            DeadLetterReason.UNKNOWN_PROJECT,
            f"tenant has no project {envelope.project_id}",
            envelope.tenant_id,
        )
    return None


def _first_of_each_event(records: Iterable[DecodedRecord]) -> list[DecodedRecord]:
    seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
    unique: list[DecodedRecord] = []
    for item in records:
        key = (item.envelope.tenant_id, item.envelope.event.event_id)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _next_offsets(records: Iterable[KafkaRecord]) -> dict[TopicPartition, int]:
    next_offsets: dict[TopicPartition, int] = {}
    for record in records:
        key = TopicPartition(record.topic, record.partition)
        next_offsets[key] = max(next_offsets.get(key, 0), record.offset + 1)
    return next_offsets
