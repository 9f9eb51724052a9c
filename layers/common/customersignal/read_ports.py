"""Ports of the dashboard's reads and edits. Every method takes the tenant: implementations must never
return another tenant's rows (the Postgres ones run under row-level security as well)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from customersignal.domain.dashboard_models import (
    CatalogDetail,
    CatalogItem,
    CatalogPatch,
    DeadLetterOut,
    EventDetail,
    EventRow,
    KeyOut,
)
from customersignal.domain.explorer import EventFilter, LetterFilter
from customersignal.domain.people_models import Identity, LiveRow, TypeStats
from customersignal.domain.range_users import GrainSpan
from customersignal.domain.timeseries import DenseRun, Metric, SeriesPlan, SparseSeries
from customersignal.domain.trend_models import RollupRole, TrendRead, TrendRow


class FreshnessReader(Protocol):
    def freshness(self, tenant_id: uuid.UUID) -> datetime | None:
        """The tenant's watermark in Postgres: every event received before it is counted; None before any."""
        ...


class MetricsReader(FreshnessReader, Protocol):
    def series(
        self, tenant_id: uuid.UUID, event_types: Sequence[str], metric: Metric, plan: SeriesPlan, until_ms: int
    ) -> dict[str, SparseSeries | DenseRun]:
        """The plan's buckets that start before ``until_ms``, from Postgres."""
        ...

    def type_totals(self, tenant_id: uuid.UUID, start: datetime, end: datetime) -> dict[str, int]:
        """Events per type with event time in [start, end), exact to the minute."""
        ...


class RollupCatalog(Protocol):
    def usable_rollups(self, tenant_id: uuid.UUID, event_type: str) -> frozenset[tuple[str, RollupRole]]:
        """(property, role) of the type's rollups that readers may use: backfilled and not capped."""
        ...


class TrendReader(Protocol):
    def trend(self, tenant_id: uuid.UUID, read: TrendRead) -> list[TrendRow]:
        """The read's values per series and bucket, and over the range; the top ``limit`` series by total
        are ranked, the rest come back as one "other" series. Raises ``TrendTooSlow`` past its timeout."""
        ...


class RangeUsers(Protocol):
    def unique_users(self, tenant_id: uuid.UUID, cover: Sequence[GrainSpan]) -> int:
        """Distinct users of any event type in the spans' stored buckets: the union of their sketches."""
        ...


class HotCounts(Protocol):
    def covered_from(self) -> datetime | None:
        """From when the hot store is complete; None when it is not (or cannot be reached)."""
        ...

    def minute_counts(
        self, tenant_id: uuid.UUID, event_types: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, dict[datetime, int]]:
        """Raises ``Unavailable`` when the hot store cannot answer."""
        ...

    def freshness(self, tenant_id: uuid.UUID) -> datetime | None: ...


class EventReader(Protocol):
    def page(self, tenant_id: uuid.UUID, where: EventFilter, limit: int) -> list[EventRow]: ...

    def detail(self, tenant_id: uuid.UUID, event_id: uuid.UUID, occurred_at: datetime) -> EventDetail | None: ...


class CatalogStore(Protocol):
    def list(self, tenant_id: uuid.UUID, status: str | None, name_contains: str | None) -> list[CatalogItem]: ...

    def detail(self, tenant_id: uuid.UUID, name: str) -> CatalogDetail | None: ...

    def update(self, tenant_id: uuid.UUID, name: str, patch: CatalogPatch) -> bool:
        """False when the type does not exist."""
        ...


class DeadLetterStore(Protocol):
    def page(self, tenant_id: uuid.UUID, where: LetterFilter, limit: int) -> list[DeadLetterOut]: ...

    def counts_by_reason(self, tenant_id: uuid.UUID, status: str | None) -> dict[str, int]: ...

    def replay(self, tenant_id: uuid.UUID, ids: Sequence[int]) -> list[int]:
        """Produce the letters back to events_raw, wait for Kafka, then mark them; the ids replayed.
        Raises ``Conflict`` naming the ids that are not this tenant's new letters (and replays none)."""
        ...


class KeyAdmin(Protocol):
    def list(self, tenant_id: uuid.UUID) -> list[KeyOut]: ...

    def create(
        self, tenant_id: uuid.UUID, project: str | uuid.UUID, name: str, scopes: Sequence[str]
    ) -> tuple[KeyOut, str]: ...

    def revoke(self, tenant_id: uuid.UUID, key_id: uuid.UUID) -> KeyOut | None: ...


class PeopleReader(Protocol):
    def user_of(self, tenant_id: uuid.UUID, anonymous_id: str) -> str | None:
        """The user this anonymous id is linked to, if any."""
        ...

    def anonymous_ids_of(self, tenant_id: uuid.UUID, user_id: str) -> list[str]:
        """Every anonymous id linked to this user, sorted."""
        ...

    def stats(self, tenant_id: uuid.UUID, who: Identity) -> list[TypeStats]:
        """Per event type: the person's event count and first and last event time."""
        ...

    def events(
        self, tenant_id: uuid.UUID, who: Identity, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[EventRow]:
        """The person's events newest first (occurred_at, event_id), after the keyset position."""
        ...


class LiveReader(Protocol):
    def positions(self, tenant_id: uuid.UUID, since: datetime) -> dict[int, int]:
        """Per Kafka partition, the highest offset among the tenant's events with event time >= since."""
        ...

    def arrived(
        self, tenant_id: uuid.UUID, where: EventFilter, floor: datetime, after: Mapping[int, int], limit: int
    ) -> list[LiveRow]:
        """Events matching ``where`` (its types, user and property; not its range) with event time >= floor
        and, per partition, an offset above ``after`` (every offset of a partition it lacks). Each
        partition's rows are a prefix of its offset order, whatever ``limit`` cuts."""
        ...
