"""Response bodies of the dashboard API: the code answers with these and the OpenAPI document is generated
from them (``dashboard/API.md`` explains them for people). Times serialise as ISO 8601 UTC."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Freshness(BaseModel):
    complete_up_to: datetime | None = Field(description="Every event received before this is counted.")
    lag_seconds: float | None = Field(description="now - complete_up_to, when known.")


class Named(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class SessionKey(BaseModel):
    id: uuid.UUID
    display_prefix: str
    scopes: list[str]


class SessionResponse(BaseModel):
    tenant: Named
    project: Named
    key: SessionKey


class SeriesOut(BaseModel):
    event_type: str
    v: list[int] = Field(description="One value per bucket, in the order of buckets_ms (0 where none).")


class SeriesSources(BaseModel):
    hot_from: datetime | None = Field(description="From here on the values came from the Redis hot store.")


class SeriesResponse(BaseModel):
    metric: Literal["count", "unique_users"]
    interval: Literal["1m", "5m", "1h", "1d"]
    tz: str
    from_: datetime = Field(alias="from")
    to: datetime
    buckets_ms: list[int] = Field(description="Every bucket start, epoch ms, oldest first.")
    series: list[SeriesOut]
    freshness: Freshness
    sources: SeriesSources

    model_config = {"populate_by_name": True}


class TypeChange(BaseModel):
    event_type: str
    count: int
    previous_count: int
    change_pct: float | None


class SummaryResponse(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime
    previous_from: datetime
    previous_to: datetime
    total: int
    previous_total: int
    change_pct: float | None
    event_types_seen: int
    unique_users_in_range: int = Field(
        description="Distinct users of any event type in [from, to): the union of the stored HyperLogLog sketches "
        "(exact up to 320 users, about 1.6 % standard error above). Read from Postgres, seconds behind live."
    )
    top_types: list[TypeChange]
    freshness: Freshness

    model_config = {"populate_by_name": True}


class EventRow(BaseModel):
    event_id: uuid.UUID
    event_type: str
    user_id: str | None
    anonymous_id: str | None
    occurred_at: datetime
    received_at: datetime
    is_late: bool
    properties_preview: str


class EventPage(BaseModel):
    events: list[EventRow]
    next_cursor: str | None


class KafkaPosition(BaseModel):
    partition: int
    offset: int


class EventDetail(BaseModel):
    event_id: uuid.UUID
    event_type: str
    project_id: uuid.UUID
    user_id: str | None
    anonymous_id: str | None
    occurred_at: datetime
    client_timestamp: datetime | None
    sent_at: datetime | None
    received_at: datetime
    is_late: bool
    properties: dict[str, Any]
    context: dict[str, Any]
    trace_id: str | None
    kafka: KafkaPosition | None


CatalogStatus = Literal["planned", "unplanned", "blocked"]


class CatalogItem(BaseModel):
    name: str
    status: CatalogStatus
    description: str
    owner: str | None
    first_seen_at: datetime | None = Field(description="When the platform first received this type (receive time).")
    last_seen_at: datetime | None = Field(description="When the platform last received this type (receive time).")
    first_event_at: datetime | None = Field(
        description="The earliest event time (corrected occurred_at) of this type; null if never recorded."
    )
    last_event_at: datetime | None = Field(description="The latest event time (corrected occurred_at) of this type.")
    volume_total: int
    property_count: int


class CatalogList(BaseModel):
    event_types: list[CatalogItem]


class RollupState(BaseModel):
    active_from: datetime = Field(description="Events received from this time on are added as they arrive.")
    backfilled_at: datetime | None = Field(description="When the events received before were added; null: pending.")
    capped_at: datetime | None = Field(description="When the dimension passed its value cap and stopped being kept.")


class PropertyRollup(BaseModel):
    """A property's pre-aggregation (docs/insights.md): null roles are not rolled up."""

    dimension: RollupState | None = None
    measure: RollupState | None = None


class PropertyOut(BaseModel):
    name: str
    types: list[str]
    first_seen_at: datetime = Field(description="Receive time of the batch that first carried this property.")
    last_seen_at: datetime = Field(description="Receive time of the latest batch that carried it.")
    rollup: PropertyRollup = Field(default_factory=PropertyRollup)


class CatalogDetail(CatalogItem):
    created_at: datetime
    updated_at: datetime
    properties: list[PropertyOut]


class CatalogPatch(BaseModel):
    """PATCH /v1/catalog/{name}: only the fields sent change."""

    model_config = {"extra": "forbid"}

    description: str | None = Field(default=None, max_length=2000)
    owner: str | None = Field(default=None, max_length=200)
    status: CatalogStatus | None = None


class SourcePosition(BaseModel):
    topic: str
    partition: int
    offset: int


class DeadLetterOut(BaseModel):
    id: int
    reason_code: str
    error_text: str
    source: SourcePosition
    received_at: datetime
    status: Literal["new", "replayed", "discarded"]
    replayed_at: datetime | None
    value_preview: str
    headers: list[tuple[str, str]]


class DeadLetterPage(BaseModel):
    dead_letters: list[DeadLetterOut]
    counts_by_reason: dict[str, int]
    next_cursor: str | None


class ReplayRequest(BaseModel):
    model_config = {"extra": "forbid"}

    ids: list[int] = Field(min_length=1, max_length=500)


class ReplayResponse(BaseModel):
    replayed: int
    ids: list[int]


class KeyProject(BaseModel):
    id: uuid.UUID
    slug: str


class KeyOut(BaseModel):
    id: uuid.UUID
    name: str
    display_prefix: str
    scopes: list[str]
    project: KeyProject
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: Literal["active", "revoked"]


class KeyList(BaseModel):
    keys: list[KeyOut]


class KeyCreate(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=200)
    scopes: list[Literal["ingest", "read", "admin"]] = Field(min_length=1, max_length=3)
    project: str | None = Field(default=None, description="Project slug; default the caller's project.")


class KeyCreated(BaseModel):
    key: KeyOut
    secret: str = Field(description="The whole key. Shown once: it is stored only as a hash.")
