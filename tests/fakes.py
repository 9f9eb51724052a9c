"""In-memory twins of the ports. Each one passes the same contract suite as the real adapter
(tests/contract/), so a unit test that uses a fake tests against behaviour the real system has."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from customersignal.adapters.rate_limit import check_request, decide
from customersignal.domain.auth import ApiKeyRecord
from customersignal.domain.errors import Unavailable
from customersignal.ports import RateDecision


class FakeClock:
    """A ``Clock`` that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2025, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class FakeKeyLookup:
    """``KeyLookup`` over a dict, with the key store's extras: revocation, last-used, an outage switch."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self._clock = clock or FakeClock()
        self._records: dict[bytes, ApiKeyRecord] = {}
        self.last_used: dict[uuid.UUID, datetime] = {}
        self.unavailable = False
        self.lookups = 0

    def add(self, key_hash: bytes, record: ApiKeyRecord) -> None:
        self._records[key_hash] = record

    def revoke(self, key_hash: bytes) -> None:
        record = self._records[key_hash]
        if record.revoked_at is None:
            self._records[key_hash] = replace(record, revoked_at=self._clock.now())

    def find_by_hash(self, key_hash: bytes) -> ApiKeyRecord | None:
        self.lookups += 1
        self._check_available()
        return self._records.get(key_hash)

    def touch_last_used(self, key_id: uuid.UUID) -> None:
        self._check_available()
        self.last_used[key_id] = self._clock.now()

    def _check_available(self) -> None:
        if self.unavailable:
            raise Unavailable(code="key_store_unavailable", message="the fake key store is down", retry_after_s=5)


@dataclass
class _Bucket:
    tokens: float
    updated: datetime


@dataclass
class FakeRateLimiter:
    """``RateLimiter``: the same token bucket as the Redis script, over an injected clock."""

    clock: FakeClock = field(default_factory=FakeClock)
    buckets: dict[uuid.UUID, _Bucket] = field(default_factory=dict)

    def acquire(self, project_id: uuid.UUID, cost: int, rate_per_s: float, burst: int) -> RateDecision:
        check_request(cost, rate_per_s, burst)
        now = self.clock.now()
        bucket = self.buckets.setdefault(project_id, _Bucket(tokens=float(burst), updated=now))
        if now > bucket.updated:
            bucket.tokens += (now - bucket.updated).total_seconds() * rate_per_s
            bucket.updated = now
        bucket.tokens = min(float(burst), bucket.tokens)
        allowed = bucket.tokens >= cost
        if allowed:
            bucket.tokens -= cost
        return decide(allowed=allowed, tokens=bucket.tokens, cost=cost, rate_per_s=rate_per_s, burst=burst)
