"""Which events a load run sends: the mix is seeded (two runs with one seed send the same types, users and
kinds in the same order); event ids are always fresh.

A run is a sequence of requests of ``batch`` events. Each event is new (a fresh UUID), except:
- a ``resend_share`` of them repeat an event that was already acknowledged, with its event id and body:
  what a client does when it retries after a lost acknowledgement. They must not be counted twice;
- an ``invalid_share`` of them are wrong on purpose (an unknown field type): the API must reject each
  with its field and reason, and nothing of them may be stored.

Every event has a ``plan`` (free, pro or team); a ``purchase`` also has an ``amount``, a whole number so
that sums of it are exact in any order (the chaos run checks the property rollups' sums against the raw
events to the unit).
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Kind = Literal["new", "resend", "invalid"]
EVENT_TYPES = ("page_view", "signup", "purchase", "search", "add_to_cart")
RECENT_ACKS = 5_000  # resends pick from this many most recent acknowledgements
MAX_AMOUNT = 500


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    event_id: str
    event_type: str
    kind: Kind
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LoadMix:
    batch: int = 1
    resend_share: float = 0.0
    invalid_share: float = 0.0
    users: int = 1_000
    event_types: tuple[str, ...] = EVENT_TYPES

    def __post_init__(self) -> None:
        if self.batch < 1:
            raise ValueError("batch must be at least 1")
        if not 0 <= self.resend_share + self.invalid_share <= 1:
            raise ValueError("resend_share + invalid_share must be between 0 and 1")


@dataclass
class EventPlanner:
    """Builds request bodies; remembers acknowledged events so it can resend them."""

    mix: LoadMix
    seed: int = 0
    _rng: random.Random = field(init=False)
    _acked: deque[PlannedEvent] = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311 - a reproducible load mix, not a secret
        self._acked = deque(maxlen=RECENT_ACKS)

    def acknowledged(self, event: PlannedEvent) -> None:
        if event.kind == "new":
            self._acked.append(event)

    def next_batch(self, now: datetime | None = None) -> list[PlannedEvent]:
        at = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
        return [self._next_event(at) for _ in range(self.mix.batch)]

    def _next_event(self, at: str) -> PlannedEvent:
        roll = self._rng.random()
        if roll < self.mix.resend_share and self._acked:
            earlier = self._rng.choice(self._acked)
            return PlannedEvent(earlier.event_id, earlier.event_type, "resend", earlier.body)
        invalid = self.mix.resend_share <= roll < self.mix.resend_share + self.mix.invalid_share
        event_id = str(uuid.uuid4())  # never seeded: a second run against the same tenant must not collide
        event_type = self._rng.choice(self.mix.event_types)
        properties: dict[str, Any] = {"plan": self._rng.choice(("free", "pro", "team")), "load_test": True}
        if event_type == "purchase":
            properties["amount"] = self._rng.randint(1, MAX_AMOUNT)
        body: dict[str, Any] = {
            "event_id": event_id,
            "event_type": event_type,
            "user_id": f"user-{self._rng.randrange(self.mix.users)}",
            # an invalid one is rejected per event, with its field: events[i].timestamp
            "timestamp": "not a time" if invalid else at,
            "properties": properties,
        }
        return PlannedEvent(event_id, event_type, "invalid" if invalid else "new", body)


def request_body(events: list[PlannedEvent]) -> dict[str, Any]:
    return {"events": [e.body for e in events]}
