"""Pre-aggregation of a batch of envelopes: what the aggregator writes, computed with no I/O.

A batch of events collapses into far fewer counter rows (one per tenant, event type and minute), which
is what makes one set-based upsert per batch cheap (perf-limits.md §2-§3). Unique users are kept as
sets per bucket; the stores decide how to merge them (hll sketches in Postgres, HyperLogLog in Redis).
Buckets use the corrected event time, so late events land in (and amend) past buckets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from customersignal.domain.envelope import Envelope

JSON_TYPES = ("string", "number", "boolean", "object", "array", "null")
# the catalog records property names of 1-255 characters (its CHECK); longer ones are counted, not listed
PROPERTY_NAME_MAX_LENGTH = 255


class BucketKey(NamedTuple):
    # a tuple, not a dataclass: hashed and compared in C, once per event on the aggregator's hot path
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
    # (tenant, event type) -> receive time (when *we* saw it) and event time (when it happened) bounds
    first_seen: dict[tuple[str, str], datetime] = field(default_factory=dict)
    last_seen: dict[tuple[str, str], datetime] = field(default_factory=dict)
    first_event: dict[tuple[str, str], datetime] = field(default_factory=dict)
    last_event: dict[tuple[str, str], datetime] = field(default_factory=dict)
    # (tenant, event type) -> the project of its first event in the batch: the catalog's project_id
    project_of: dict[tuple[str, str], str] = field(default_factory=dict)

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
    counts, users, properties = aggregate.counts, aggregate.users, aggregate.properties
    first_seen, last_seen = aggregate.first_seen, aggregate.last_seen
    first_event, last_event = aggregate.first_event, aggregate.last_event
    keys = BucketKeys()
    for envelope in envelopes:
        event = envelope.event
        key = keys.of(envelope)
        counts[key] += 1
        who = user_key(event.user_id, event.anonymous_id)
        if who is not None:
            users[key].add(who)
        catalog_key = (key.tenant_id, key.event_type)
        if catalog_key not in aggregate.project_of:
            aggregate.project_of[catalog_key] = str(envelope.project_id)
        if event.properties:
            observed = properties[catalog_key]
            for name, value in event.properties.items():
                if 0 < len(name) <= PROPERTY_NAME_MAX_LENGTH:
                    observed[name].add(json_type(value))
        _widen(first_seen, last_seen, catalog_key, envelope.received_at)
        _widen(first_event, last_event, catalog_key, envelope.occurred_at)
    return aggregate


def _widen(
    lows: dict[tuple[str, str], datetime], highs: dict[tuple[str, str], datetime], key: tuple[str, str], at: datetime
) -> None:
    if key not in lows or at < lows[key]:
        lows[key] = at
    if key not in highs or at > highs[key]:
        highs[key] = at


class BucketKeys:
    """An envelope's minute bucket key, with the tenant's text form and each minute built once per batch."""

    def __init__(self) -> None:
        self._tenants: dict[Any, str] = {}
        self._minutes: dict[int, datetime] = {}

    def of(self, envelope: Envelope) -> BucketKey:
        tenant = self._tenants.get(envelope.tenant_id)
        if tenant is None:
            tenant = self._tenants[envelope.tenant_id] = str(envelope.tenant_id)
        occurred = envelope.occurred_at
        if occurred.tzinfo is None:
            raise ValueError("naive datetime: event times are always timezone-aware")
        minute = int(occurred.timestamp() // 60)
        bucket = self._minutes.get(minute)
        if bucket is None:
            bucket = self._minutes[minute] = datetime.fromtimestamp(minute * 60, UTC)
        return BucketKey(tenant, envelope.event.event_type, bucket)


GRAINS = ("minute", "hour", "day")


def truncate(bucket_start: datetime, grain: str) -> datetime:
    """The UTC hour or day bucket a minute bucket rolls up into (the schema's date_bin origin is midnight UTC)."""
    if grain == "minute":
        return bucket_start
    if grain == "hour":
        return bucket_start.replace(minute=0)
    if grain == "day":
        return bucket_start.replace(hour=0, minute=0)
    raise ValueError(f"unknown grain {grain!r}; expected one of {GRAINS}")


def rollup(aggregate: BatchAggregate, grain: str) -> tuple[dict[BucketKey, int], dict[BucketKey, set[str]]]:
    """Counts and user sets of the batch at ``grain``. Users are unioned, never summed: distinct counts
    do not add up across buckets."""
    counts: dict[BucketKey, int] = defaultdict(int)
    users: dict[BucketKey, set[str]] = defaultdict(set)
    for key, count in aggregate.counts.items():
        counts[BucketKey(key.tenant_id, key.event_type, truncate(key.bucket_start, grain))] += count
    for key, members in aggregate.users.items():
        users[BucketKey(key.tenant_id, key.event_type, truncate(key.bucket_start, grain))] |= members
    return dict(counts), dict(users)
