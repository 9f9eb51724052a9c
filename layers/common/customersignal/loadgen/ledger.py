"""The ledger of a load run: one line per event submission, ``event_id<TAB>outcome<TAB>event_type<TAB>kind``.

Written by the worker that got the answer, flushed after every request, so a run stopped by Ctrl-C (or
killed) still lists every acknowledgement it received. Outcomes: accepted, rejected (by the API, with its
code in the fifth column), unacknowledged (no final answer before the deadline: it may or may not have
been accepted; dedup makes either safe).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from customersignal.loadgen.plan import PlannedEvent


class LedgerWriter:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def record(self, rows: Iterable[tuple[PlannedEvent, str, str | None]]) -> None:
        text = "".join(
            f"{e.event_id}\t{outcome}\t{e.event_type}\t{e.kind}\t{code or ''}\n" for e, outcome, code in rows
        )
        with self._lock:
            self._file.write(text)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


@dataclass
class Ledger:
    """What a ledger says, by event id. An id acknowledged once is accepted, whatever its resends got."""

    accepted: dict[str, str] = field(default_factory=dict)  # event id -> event type
    rejected: set[str] = field(default_factory=set)
    unacknowledged: set[str] = field(default_factory=set)
    submissions: int = 0
    resends: int = 0

    def add(self, event_id: str, outcome: str, event_type: str, kind: str) -> None:
        self.submissions += 1
        self.resends += kind == "resend"
        if outcome == "accepted":
            self.accepted[event_id] = event_type
            self.unacknowledged.discard(event_id)
        elif outcome == "rejected":
            self.rejected.add(event_id)
        elif outcome == "unacknowledged" and event_id not in self.accepted:
            self.unacknowledged.add(event_id)


def read_ledgers(paths: Iterable[Path]) -> Ledger:
    """One Ledger over several runs' files (several generators against one tenant)."""
    ledger = Ledger()
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 4:  # a line cut short by a kill is skipped: its request was not acknowledged
                    ledger.add(parts[0], parts[1], parts[2], parts[3])
    return ledger
