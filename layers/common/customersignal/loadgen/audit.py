"""Ledger against stores: did every acknowledged event get stored and counted exactly once?

Figures (all in events):
- ``lost``: acknowledged but not stored, plus stored events the counts miss (a type's stored events
  beyond its count);
- ``double_counted``: extra raw rows for one event id, plus counts beyond a type's stored events;
- ``wrongly_stored``: events the API rejected, or that no request of the run sent, found in the store;
- the roll-ups (minute, packed minute series, hour, day) and the Redis hot window must each equal the
  per-type counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from customersignal.loadgen.ledger import Ledger


@dataclass(frozen=True, slots=True)
class StoreSnapshot:
    rows_per_event: dict[str, tuple[str, int]]  # event id -> (event type, raw rows with that id)
    counted: dict[str, dict[str, int]]  # grain (minute, series, hour, day, hot) -> event type -> count


@dataclass(frozen=True, slots=True)
class Audit:
    submissions: int
    resends: int
    acknowledged: int
    rejected: int
    unacknowledged: int
    stored: int
    counted: int
    lost: int
    double_counted: int
    wrongly_stored: int
    grains_checked: list[str] = field(default_factory=list)
    grain_mismatches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        nothing_wrong = not (self.lost or self.double_counted or self.wrongly_stored or self.grain_mismatches)
        return nothing_wrong and self.acknowledged > 0  # an empty run proves nothing


def audit(ledger: Ledger, store: StoreSnapshot) -> Audit:
    stored_by_type = Counter(event_type for event_type, _ in store.rows_per_event.values())
    extra_rows = sum(rows - 1 for _, rows in store.rows_per_event.values())
    minute = store.counted.get("minute", {})
    types = set(stored_by_type) | set(minute)
    over = sum(max(0, minute.get(t, 0) - stored_by_type.get(t, 0)) for t in types)
    under = sum(max(0, stored_by_type.get(t, 0) - minute.get(t, 0)) for t in types)
    missing = sum(1 for event_id in ledger.accepted if event_id not in store.rows_per_event)
    known = ledger.accepted.keys() | ledger.unacknowledged
    strays = sum(1 for event_id in store.rows_per_event if event_id not in known)
    return Audit(
        submissions=ledger.submissions,
        resends=ledger.resends,
        acknowledged=len(ledger.accepted),
        rejected=len(ledger.rejected),
        unacknowledged=len(ledger.unacknowledged),
        stored=len(store.rows_per_event),
        counted=sum(minute.values()),
        lost=missing + under,
        double_counted=extra_rows + over,
        wrongly_stored=strays,
        grains_checked=sorted(store.counted),
        grain_mismatches=[
            f"{grain}: {dict(sorted(counts.items()))} != minute {dict(sorted(minute.items()))}"
            for grain, counts in store.counted.items()
            if grain != "minute" and _nonzero(counts) != _nonzero(minute)
        ],
    )


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}
