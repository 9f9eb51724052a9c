"""Buckets: the minute, hour and day an event is counted in. Pure.

Postgres pre-aggregates each batch itself, set-based from the staged rows (adapters/pg_aggregation_sql);
these are the same rules for what Python still computes: the hot window's keys and users in Redis
(HyperLogLog there, hll sketches in Postgres).
Buckets use the corrected event time (``occurred_at``), so late events land in (and amend) past buckets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from customersignal.domain.event_row import EventRow

# the catalog records property names of 1-255 characters (its CHECK); longer ones are counted, not listed
PROPERTY_NAME_MAX_LENGTH = 255


class BucketKey(NamedTuple):
    # a tuple, not a dataclass: hashed and compared in C, once per event on the aggregator's hot path
    tenant_id: str
    event_type: str
    bucket_start: datetime


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


class BucketKeys:
    """A row's minute bucket key, with each minute built once per batch."""

    def __init__(self) -> None:
        self._minutes: dict[int, datetime] = {}

    def of(self, row: EventRow) -> BucketKey:
        occurred = row.occurred_at
        if occurred.tzinfo is None:
            raise ValueError("naive datetime: event times are always timezone-aware")
        minute = int(occurred.timestamp() // 60)
        bucket = self._minutes.get(minute)
        if bucket is None:
            bucket = self._minutes[minute] = datetime.fromtimestamp(minute * 60, UTC)
        return BucketKey(row.tenant_id, row.event_type, bucket)


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
