"""Ports: the small protocols the domain and the edges depend on. Adapters implement them; tests use
in-memory fakes that pass the same contract tests (tests/contract/)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from customersignal.domain.aggregation import BucketKey
from customersignal.domain.auth import ApiKeyRecord
from customersignal.domain.deadletters import DeadLetter
from customersignal.domain.envelope import Envelope
from customersignal.domain.freshness import SlotMark
from customersignal.domain.hot_window import HotUpdate
from customersignal.domain.property_catalog import PropertySightings
from customersignal.domain.record_decoding import DecodedRecord
from customersignal.domain.tracing import TraceContext


class Clock(Protocol):
    def now(self) -> datetime: ...


class EventPublisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope], *, traceparent: str, spread: int = 1) -> None:
        """Return only once the broker holds every envelope; raise ``Unavailable`` otherwise.

        ``spread``: the tenant's spread factor (domain/spread.py), which picks each envelope's key."""
        ...


class KeyLookup(Protocol):
    def find_by_hash(self, key_hash: bytes) -> ApiKeyRecord | None: ...


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after_s: float
    retry_after_s: float


class RateLimiter(Protocol):
    def acquire(self, project_id: uuid.UUID, cost: int, rate_per_s: float, burst: int) -> RateDecision: ...


# --- aggregation --------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class TopicPartition:
    topic: str
    partition: int


@dataclass(frozen=True)
class TenantStanding:
    status: str  # active, suspended or deleted
    project_ids: frozenset[str]  # canonical text, as event rows carry them


@dataclass(frozen=True)
class StoredEvents:
    counted: list[DecodedRecord]  # records whose (tenant, event id) this batch claimed: now in the counts
    refused: list[tuple[DecodedRecord, str]]  # records Postgres refused to store, with its message


class AggregationTransaction(Protocol):
    """One batch's reads and writes; all of them commit together or none does."""

    def lock_offsets(self, consumer_group: str, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """Lock each partition's fence (in the given order) and return its next unapplied offset (0 if new)."""
        ...

    def tenant_standing(self, tenant_ids: Collection[str]) -> dict[str, TenantStanding]:
        """Only tenants that exist appear in the result (ids in canonical text form)."""
        ...

    def blocked_event_types(self, pairs: Collection[tuple[str, str]]) -> set[tuple[str, str]]: ...

    def count_new_events(self, records: Sequence[DecodedRecord]) -> StoredEvents:
        """Claim each (tenant, event id); store the raw events whose claim is new, and add exactly those to
        the counts and unique users (minute, hour and day), the packed minutes and the catalog.

        ``records`` holds each (tenant, event id) at most once. A record whose values Postgres refuses (a
        data error) is neither claimed nor stored but returned in ``refused``; the others are counted as if
        it had not been there. Any other error raises, and the transaction must not commit.
        """
        ...

    def record_properties(self, sightings: PropertySightings) -> None:
        """Add the property names and JSON types to the catalog (types already recorded stay)."""
        ...

    def record_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Idempotent per source (topic, partition, offset)."""
        ...

    def advance_freshness(self, marks: Mapping[tuple[uuid.UUID, int], SlotMark]) -> dict[uuid.UUID, datetime]:
        """Move each (tenant, slot) mark forward, then each tenant's watermark to the minimum over its slots
        (never back: domain/freshness.py); return the tenant watermarks that resulted."""
        ...

    def advance_offsets(self, consumer_group: str, next_offsets: Mapping[TopicPartition, int]) -> None:
        """Move each fence forward to the given next offset (never back)."""
        ...

    def minute_totals(self, keys: Collection[BucketKey]) -> dict[BucketKey, int]:
        """The current event count of each minute bucket that exists (this transaction's writes included)."""
        ...


class AggregationStore(Protocol):
    def transaction(self) -> AbstractContextManager[AggregationTransaction]:
        """Commit when the block exits normally, roll back when it raises; raise ``Unavailable`` when down."""
        ...


class DeadLetterPublisher(Protocol):
    def publish(self, letters: Sequence[DeadLetter]) -> None:
        """Return only once the broker holds every letter; raise ``Unavailable`` otherwise."""
        ...


class HotStore(Protocol):
    def apply(self, update: HotUpdate) -> None:
        """Merge idempotently (totals by maximum, users by set union); raise ``Unavailable`` when down."""
        ...


# --- tracing ------------------------------------------------------------------------------------

SpanKind = Literal["server", "consumer", "internal"]
AttributeValue = str | bool | int | float


class Span(Protocol):
    @property
    def context(self) -> TraceContext:
        """This span's own W3C ids: its ``traceparent`` names it as the parent of what it causes."""
        ...

    def set_attribute(self, name: str, value: AttributeValue) -> None: ...


class Tracer(Protocol):
    """One span per request or batch (never per event): OpenTelemetry locally, X-Ray on AWS."""

    def span(
        self,
        name: str,
        *,
        kind: SpanKind = "internal",
        parent: TraceContext | None = None,
        links: Sequence[TraceContext] = (),
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> AbstractContextManager[Span]:
        """A span in ``parent``'s trace (its trace id and parent span id continued exactly), or the root of
        a new trace when ``parent`` is None. It ends when the block exits; an exception marks it failed."""
        ...
