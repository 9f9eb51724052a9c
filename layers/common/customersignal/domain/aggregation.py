"""Pre-aggregation of a batch of envelopes: what the aggregator writes, computed with no I/O.

A batch of events collapses into far fewer counter rows (one per tenant, event type and minute), which
is what makes one set-based upsert per batch cheap (perf-limits.md §2-§3). Unique users are kept as
sets per bucket; the stores decide how to merge them (exact membership rows in Postgres, HyperLogLog in
Redis). Buckets use the corrected event time, so late events land in (and amend) past buckets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from customersignal.domain.envelope import Envelope

JSON_TYPES = ("string", "number", "boolean", "object", "array", "null")


@dataclass(frozen=True, order=True)
class BucketKey:
    tenant_id: str
    event_type: str
    bucket_start: datetime


@dataclass
class BatchAggregate:
    counts: dict[BucketKey, int] = field(default_factory=lambda: defaultdict(int))
    users: dict[BucketKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    # (tenant, event type) -> property name -> JSON types seen in this batch
    properties: dict[tuple[str, str], dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    first_seen: dict[tuple[str, str], datetime] = field(default_factory=dict)
    last_seen: dict[tuple[str, str], datetime] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return sum(self.counts.values())


def minute_bucket(moment: datetime) -> datetime:
    """The UTC minute containing ``moment`` (aware datetimes only: buckets must not depend on a server's zone)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: event times are always timezone-aware")
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def user_key(user_id: str | None, anonymous_id: str | None) -> str | None:
    """The identity unique users count: the user id, else the anonymous id (prefixed so they never collide).

    The same expression as the schema's ``COALESCE(user_id, 'anon-' || anonymous_id)``.
    """
    if user_id is not None:
        return user_id
    return None if anonymous_id is None else f"anon-{anonymous_id}"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "array"


def pre_aggregate(envelopes: Iterable[Envelope]) -> BatchAggregate:
    aggregate = BatchAggregate()
    for envelope in envelopes:
        event = envelope.event
        tenant = str(envelope.tenant_id)
        key = BucketKey(tenant, event.event_type, minute_bucket(envelope.occurred_at))
        aggregate.counts[key] += 1
        who = user_key(event.user_id, event.anonymous_id)
        if who is not None:
            aggregate.users[key].add(who)
        catalog_key = (tenant, event.event_type)
        for name, value in event.properties.items():
            aggregate.properties[catalog_key][name].add(json_type(value))
        seen = envelope.received_at  # the catalog says when *we* saw a type, whatever the event time
        if catalog_key not in aggregate.first_seen or seen < aggregate.first_seen[catalog_key]:
            aggregate.first_seen[catalog_key] = seen
        if catalog_key not in aggregate.last_seen or seen > aggregate.last_seen[catalog_key]:
            aggregate.last_seen[catalog_key] = seen
    return aggregate
