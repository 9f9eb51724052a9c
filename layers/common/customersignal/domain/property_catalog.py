"""What a batch teaches the catalog about properties: names and JSON types per event type. Pure.

A busy event type repeats the same few properties in every event, so sending each batch's sightings to
Postgres would rewrite the same catalog rows a thousand times over (it cost a quarter of the batch
statement's database time). ``KnownProperties`` remembers what this container's committed batches
recorded, and a batch sends only what is new, plus, once a minute per event type, every property seen,
so ``last_seen_at`` stays within about a minute of the truth. The minute is the container's own clock
(monotonic), not the batch's event time: it bounds a write rate, and a backlog replayed at speed must
not refresh on every batch.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from customersignal.domain.event_row import EventRow

# the catalog records property names of 1-255 characters (its CHECK); longer ones are counted, not listed
PROPERTY_NAME_MAX_LENGTH = 255
REFRESH_AFTER_S = 60.0
TypeKey = tuple[str, str]  # (tenant, event type)


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


@dataclass
class PropertySightings:
    """Per (tenant, event type): property name -> JSON types, and the latest receive time among them."""

    kinds: dict[TypeKey, dict[str, set[str]]] = field(default_factory=dict)
    seen_at: dict[TypeKey, datetime] = field(default_factory=dict)
    refreshed: set[TypeKey] = field(default_factory=set)  # types sent in full (every property seen)
    taken_at: float = 0.0  # the container clock when they were taken


class KnownProperties:
    """Bounded: past ``max_types`` event types it forgets everything, which costs only a fuller batch."""

    def __init__(self, max_types: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._kinds: dict[TypeKey, dict[str, set[str]]] = {}
        self._refreshed_at: dict[TypeKey, float] = {}
        self._max_types = max_types
        self._clock = clock

    def sightings(self, rows: Iterable[EventRow]) -> PropertySightings:
        """What of ``rows`` the catalog may not have yet: all of it for a type due for a refresh."""
        found: dict[TypeKey, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        seen_at: dict[TypeKey, datetime] = {}
        known_of: dict[TypeKey, dict[str, set[str]] | None] = {}
        now = self._clock()
        # events of one type mostly repeat one shape (names and value types): look at each shape once
        shapes: set[tuple[TypeKey, tuple[str, ...], tuple[type, ...]]] = set()
        for row in rows:
            key = (row.tenant_id, row.event_type)
            if key not in seen_at or row.received_at > seen_at[key]:
                seen_at[key] = row.received_at
            properties = row.properties
            shape = (key, tuple(properties), tuple(map(type, properties.values())))
            if shape in shapes:
                continue
            shapes.add(shape)
            if key not in known_of:
                refreshed_at = self._refreshed_at.get(key)
                due = refreshed_at is None or now - refreshed_at >= REFRESH_AFTER_S
                known_of[key] = None if due else self._kinds.get(key, {})
            known = known_of[key]
            for name, value in properties.items():
                kind = json_type(value)
                if known is None or kind not in known.get(name, ()):
                    found[key][name].add(kind)
        kinds = {
            key: {name: kinds for name, kinds in names.items() if 0 < len(name) <= PROPERTY_NAME_MAX_LENGTH}
            for key, names in found.items()
        }
        kinds = {key: names for key, names in kinds.items() if names}
        refreshed = {key for key, known in known_of.items() if known is None and key in kinds}
        return PropertySightings(kinds, {key: seen_at[key] for key in kinds}, refreshed, now)

    def remember(self, sightings: PropertySightings) -> None:
        """Call once the transaction that recorded ``sightings`` has committed."""
        if len(self._kinds) + len(sightings.kinds) > self._max_types:
            self._kinds.clear()
            self._refreshed_at.clear()
        for key, names in sightings.kinds.items():
            known = self._kinds.setdefault(key, {})
            for name, kinds in names.items():
                known.setdefault(name, set()).update(kinds)
        for key in sightings.refreshed:
            self._refreshed_at[key] = sightings.taken_at
