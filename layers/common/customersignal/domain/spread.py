"""Spreading one tenant's events over several partitions of ``events_raw`` (pure).

A tenant's *spread* (1..64, ``tenants.kafka_spread``, set with ``customersignal tenant spread``) splits
its events into that many *slots*. An event's slot is a hash of its event id, so a client's retry of one
event (same id) always takes the same slot, and so the same partition, as its first attempt. Dedup would
count it once anyway: it is global on (tenant, event id) in Postgres, whatever partition a copy came on;
the stable slot also keeps both copies in one ordered stream, so the first one is applied first.

* Spread 1 (the default) is the original layout: key = tenant id, the producer's partitioner places it,
  and all of the tenant's events are totally ordered on one partition.
* Spread n > 1: key = ``<tenant>:<slot>``, and the producer names the partition itself,
  ``(crc32(tenant) + slot) mod partitions``, so n slots land on min(n, partitions) *distinct*
  partitions (hashing n keys would often put two of them on one partition).

Each slot is one ordered stream (one key, one partition), which is what the freshness watermark needs:
the tenant's watermark is the minimum over the slots of its current spread (``freshness_slots``).
"""

from __future__ import annotations

import hashlib
import uuid
import zlib

MIN_SPREAD = 1
MAX_SPREAD = 64  # also the CHECK on tenants.kafka_spread (migration 0010)
_SEPARATOR = b":"


def check_spread(spread: int) -> int:
    if not MIN_SPREAD <= spread <= MAX_SPREAD:
        raise ValueError(f"a spread is a whole number from {MIN_SPREAD} to {MAX_SPREAD}, not {spread}")
    return spread


def slot_of(event_id: uuid.UUID, spread: int) -> int:
    """The event's slot in 0..spread-1: a function of the event id alone, so retries agree.

    Hashed rather than ``event_id.int % spread``: a version-1 UUID ends in the sender's node id, and a
    version-7 one starts with a clock, so raw bits would put one client's events in one slot.
    """
    if spread == 1:
        return 0
    digest = hashlib.blake2b(event_id.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big") % spread


def event_key(tenant_id: uuid.UUID, event_id: uuid.UUID, spread: int) -> bytes:
    """The Kafka key: the bare tenant id at spread 1, ``<tenant>:<slot>`` above it."""
    tenant = str(tenant_id).encode()
    if spread == 1:
        return tenant
    return tenant + _SEPARATOR + str(slot_of(event_id, spread)).encode()


def slot_partition(tenant_id: uuid.UUID, slot: int, partitions: int) -> int:
    """Where a slot's records go: consecutive partitions from the tenant's own starting point.

    Slot 0 starts where librdkafka's default partitioner (``consistent_random``: CRC-32 of the key) puts
    the bare tenant id, so raising a spread from 1 leaves slot 0 on the partition the tenant used.
    """
    return (zlib.crc32(str(tenant_id).encode()) + slot) % partitions


def slot_from_key(key: bytes | None) -> int:
    """The slot a record's key names (0 for the bare tenant id, and for a key this code did not write)."""
    if not key:
        return 0
    _, separator, tail = key.rpartition(_SEPARATOR)
    if not separator or not tail.isdigit() or len(tail) > 2:
        return 0
    slot = int(tail)
    return slot if slot < MAX_SPREAD else 0
