"""What each poller has done, for the periodic log summary and the status file ``esm.sh status`` reads.

The status file is JSON, replaced atomically every second by the running emulator, so a reader never
sees half of it and its ``updated_at`` tells whether the process is alive and answering.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from customersignal.local.esm.events import RecordData


@dataclass
class PollerStats:
    name: str
    topics: tuple[str, ...]
    group: str
    batches: int = 0  # invocations
    records: int = 0  # records sent in those invocations (a retried record counts again)
    errors: int = 0  # invocations that failed (exception, timeout, malformed response, ...)
    partial: int = 0  # invocations that reported some records failed
    to_destination: int = 0  # records handed to the on-failure destination
    skipped: int = 0  # records given up with no destination
    assigned: dict[str, int] = field(default_factory=dict)  # "<topic>-<partition>" -> starting offset
    committed: dict[str, int] = field(default_factory=dict)  # "<topic>-<partition>" -> next offset
    lag: dict[str, int] = field(default_factory=dict)  # "<topic>-<partition>" -> end - committed
    last_error: str | None = None

    def copy(self) -> PollerStats:
        return PollerStats(**{**asdict(self), "topics": tuple(self.topics)})


def describe(records: tuple[RecordData, ...]) -> str:
    """``topic-0@5..9, topic-1@3..3``: what a batch holds, for the log."""
    spans: dict[str, list[int]] = {}
    for r in records:
        spans.setdefault(f"{r.topic}-{r.partition}", []).append(r.offset)
    return ", ".join(f"{key}@{min(o)}..{max(o)}" for key, o in sorted(spans.items()))


def partition_keys(offsets: dict[tuple[str, int], int]) -> dict[str, int]:
    return {f"{t}-{p}": o for (t, p), o in sorted(offsets.items())}


def summary_line(stats: PollerStats) -> str:
    lag = " ".join(f"{p}={n}" for p, n in sorted(stats.lag.items())) or "n/a"
    return (
        f"{stats.name} ({','.join(stats.topics)} as {stats.group}): {stats.batches} batches, {stats.records} records, "
        f"{stats.errors} errors, {stats.partial} partial, {stats.to_destination} to on-failure, "
        f"{stats.skipped} skipped; lag {lag}"
    )


def write_status(path: Path, pollers: list[PollerStats], *, state: str) -> None:
    document: dict[str, Any] = {
        "pid": os.getpid(),
        "state": state,
        "updated_at": time.time(),
        "pollers": [asdict(stats) for stats in pollers],
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(document, indent=1), encoding="utf-8")
    temporary.replace(path)


def read_status(path: Path) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded


def health(path: Path, max_age_s: float) -> tuple[bool, str]:
    """(healthy, one line): for ``esm.sh health``. Healthy = a fresh file from a running emulator."""
    status = read_status(path)
    if status is None:
        return False, f"no status file at {path}"
    age = time.time() - float(status.get("updated_at", 0))
    if age > max_age_s:
        return False, f"status not updated for {age:.0f}s (the emulator is stuck or gone)"
    if status.get("state") != "running":
        return False, f"state {status.get('state')}"
    parts = []
    for poller in status.get("pollers", []):
        lag = sum(poller.get("lag", {}).values())
        parts.append(f"{poller['name']} on {','.join(poller['topics'])} as {poller['group']} (lag {lag})")
    return True, "; ".join(parts) or "no pollers"


def main(argv: list[str] | None = None) -> int:
    """``python -m customersignal.local.esm.status FILE [MAX_AGE_S]``: one line, exit 0 when healthy."""
    args = sys.argv[1:] if argv is None else argv
    healthy, line = health(Path(args[0]), float(args[1]) if len(args) > 1 else 15.0)
    print(line)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
