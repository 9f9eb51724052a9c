"""``HotCounts`` over the Redis hot store, for the dashboard: fail-open reads (a Redis problem makes the
series come from Postgres, never fails the request)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import redis

from customersignal.adapters.hot_store import HotKeys, hours_covering
from customersignal.domain.errors import Unavailable

log = logging.getLogger(__name__)


class RedisHotReader:
    def __init__(self, client: redis.Redis, keys: HotKeys | None = None) -> None:
        self._redis = client
        self._keys = keys or HotKeys()

    def covered_from(self) -> datetime | None:
        try:
            raw = self._redis.get(self._keys.coverage)
        except redis.RedisError as error:
            log.warning("hot store unreadable; serving from Postgres", extra={"error": str(error)})
            return None
        return None if raw is None else datetime.fromtimestamp(int(raw) / 1000, UTC)

    def minute_counts(
        self, tenant_id: uuid.UUID, event_types: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, dict[datetime, int]]:
        hours = hours_covering(start, end)
        pipe = self._redis.pipeline(transaction=False)
        for event_type in event_types:
            for hour in hours:
                pipe.hgetall(self._keys.counts(str(tenant_id), event_type, hour))
        try:
            replies = pipe.execute()
        except redis.RedisError as error:
            raise Unavailable(code="redis_unavailable", message=str(error)) from error
        start_s, end_s = start.timestamp(), end.timestamp()
        found: dict[str, dict[datetime, int]] = {}
        for index, event_type in enumerate(event_types):
            minutes = found.setdefault(event_type, {})
            for fields in replies[index * len(hours) : (index + 1) * len(hours)]:
                for minute, total in fields.items():
                    at = int(minute)
                    if start_s <= at < end_s:
                        minutes[datetime.fromtimestamp(at, UTC)] = int(total)
        return found

    def freshness(self, tenant_id: uuid.UUID) -> datetime | None:
        try:
            ms = self._redis.hget(self._keys.freshness, str(tenant_id))
        except redis.RedisError:
            return None
        return None if ms is None else datetime.fromtimestamp(int(ms) / 1000, UTC)
