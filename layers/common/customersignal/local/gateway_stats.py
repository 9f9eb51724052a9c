"""Request counts of the local API gateway, for ``customersignal status``.

On AWS, API Gateway's own metrics (Count, 4XXError, 5XXError) say how many requests the API serves. The
local gateway keeps the same figures: each worker process counts its responses by status class in memory
(no I/O per request) and, once a second, rewrites ``gateway-<pid>.json`` in the stats folder (write to a
temporary file, then rename, so a reader never sees half a file). The counters only grow; a reader takes
two snapshots and divides the difference by the time between them. A worker removes its file when it
stops; files of dead processes are ignored.

Local runs only: like the gateway, this module is left out of the Lambda layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

WRITE_INTERVAL_S = 1.0
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


class ResponseCounts:
    """Responses by status class in this process; incremented by the gateway, read by ``StatsWriter``."""

    def __init__(self) -> None:
        self.by_class: dict[str, int] = dict.fromkeys(STATUS_CLASSES, 0)

    def count(self, status: int) -> None:
        key = f"{status // 100}xx"
        self.by_class[key] = self.by_class.get(key, 0) + 1


@dataclass(frozen=True)
class WorkerStats:
    pid: int
    written_at: float  # time.time() of the write
    responses: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.responses.values())


class StatsWriter:
    def __init__(self, directory: Path, counts: ResponseCounts, pid: int | None = None) -> None:
        self.path = directory / f"gateway-{pid or os.getpid()}.json"
        self._counts = counts
        self._pid = pid or os.getpid()

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        document = {"pid": self._pid, "written_at": time.time(), "responses": dict(self._counts.by_class)}
        temporary.write_text(json.dumps(document))
        temporary.replace(self.path)

    async def run(self, interval_s: float = WRITE_INTERVAL_S) -> None:
        """Rewrite the file every ``interval_s`` until cancelled (the gateway's lifespan owns the task)."""
        while True:
            # a full or removed folder must not take the API down; the next round retries
            with contextlib.suppress(OSError):
                self.write()
            await asyncio.sleep(interval_s)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def read_stats(directory: Path) -> list[WorkerStats]:
    """The stats of every live gateway worker that wrote into ``directory``, by pid."""
    found = []
    for path in sorted(directory.glob("gateway-*.json")):
        try:
            document = json.loads(path.read_text())
            pid = int(document["pid"])
            worker = WorkerStats(pid, float(document["written_at"]), dict(document["responses"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being replaced, or not ours
        if _alive(pid):
            found.append(worker)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
