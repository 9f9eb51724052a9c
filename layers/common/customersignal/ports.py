"""Ports: the small protocols the domain and the edges depend on. Adapters implement them; tests use
in-memory fakes that pass the same contract tests (tests/contract/)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from customersignal.domain.auth import ApiKeyRecord
from customersignal.domain.envelope import Envelope


class Clock(Protocol):
    def now(self) -> datetime: ...


class EventPublisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope], *, traceparent: str) -> None:
        """Return only once the broker holds every envelope; raise ``Unavailable`` otherwise."""
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
