"""Ports of the dashboard's reads and edits. Every method takes the tenant: implementations must never
return another tenant's rows (the Postgres ones run under row-level security as well)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from customersignal.domain.dashboard_models import (
    AlertRuleState,
    CatalogDetail,
    CatalogItem,
    CatalogPatch,
    DeadLetterOut,
    EventDetail,
    EventRow,
    KeyOut,
)
from customersignal.domain.explorer import EventFilter, LetterFilter
from customersignal.domain.range_users import GrainSpan
from customersignal.domain.timeseries import DenseRun, Metric, SeriesPlan, SparseSeries
from customersignal.domain.trend_models import RollupRole, TrendRead, TrendRow


class MetricsReader(Protocol):
    def series(
        self, tenant_id: uuid.UUID, event_types: Sequence[str], metric: Metric, plan: SeriesPlan, until_ms: int
    ) -> dict[str, SparseSeries | DenseRun]:
        """The plan's buckets that start before ``until_ms``, from Postgres."""
        ...

    def type_totals(self, tenant_id: uuid.UUID, start: datetime, end: datetime) -> dict[str, int]:
        """Events per type with event time in [start, end), exact to the minute."""
        ...

    def freshness(self, tenant_id: uuid.UUID) -> datetime | None: ...


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


class AlertReader(Protocol):
    def rules(self, tenant_id: uuid.UUID) -> list[AlertRuleState]: ...
