"""What a benchmark case costs the Postgres server (issue 15): the CPU of the backends that served it, the
rows it wrote and the WAL it generated.

- CPU: ``/proc/<pid>/schedstat``, first field (nanoseconds on a CPU), of each backend serving the case's
  connections (``pg_backend_pid()``). Postgres runs on this machine, so the kernel's own accounting of
  exactly those processes is available; it excludes the client, Redis, Kafka and other backends.
  Background work the writes cause later (WAL writer, checkpointer, autovacuum) is not in it; the WAL
  bytes below stand for it.
- Rows written: ``pg_stat_user_tables`` n_tup_ins + n_tup_upd + n_tup_del, summed over every table (the
  events partitions included). A backend reports its counts when it goes idle, at most once a second;
  ``flush_stats`` on each case's connections forces the report before the counters are read.
- WAL: ``pg_current_wal_lsn()`` before and after; cluster-wide, and nothing else writes during a case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pg8000.native

TABLE_WRITES = """
SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE schemaname = 'public'
"""


def backend_pid(connection: pg8000.native.Connection) -> int:
    return int(connection.run("SELECT pg_backend_pid()")[0][0])


def cpu_ns(pid: int) -> int:
    """Nanoseconds process ``pid`` has spent on a CPU (all its threads), from the scheduler's statistics."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def flush_stats(connection: pg8000.native.Connection) -> None:
    """Make the backend report its pending table counters now: the flag set here is acted on when the
    statement ends, before the backend answers, so the counts are visible once this returns."""
    connection.run("SELECT pg_stat_force_next_flush()")


@dataclass(frozen=True)
class Writes:
    inserted: int
    updated: int
    deleted: int
    by_table: dict[str, int] = field(default_factory=dict)  # rows written, per table

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.deleted


def table_writes(monitor: pg8000.native.Connection) -> dict[str, tuple[int, int, int]]:
    monitor.run("SELECT pg_stat_clear_snapshot()")
    return {str(name): (int(i), int(u), int(d)) for name, i, u, d in monitor.run(TABLE_WRITES)}


def writes_between(before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]) -> Writes:
    """The rows written between two ``table_writes`` readings (a table new in ``after`` counts from zero)."""
    deltas = {
        name: tuple(a - b for a, b in zip(now, before.get(name, (0, 0, 0)), strict=True)) for name, now in after.items()
    }
    by_table = {name: sum(d) for name, d in sorted(deltas.items()) if sum(d)}
    return Writes(
        inserted=sum(d[0] for d in deltas.values()),
        updated=sum(d[1] for d in deltas.values()),
        deleted=sum(d[2] for d in deltas.values()),
        by_table=by_table,
    )


def wal_lsn(monitor: pg8000.native.Connection) -> str:
    return str(monitor.run("SELECT pg_current_wal_lsn()::text")[0][0])


def wal_bytes(monitor: pg8000.native.Connection, start: str, end: str) -> int:
    return int(monitor.run("SELECT pg_wal_lsn_diff(CAST(:e AS pg_lsn), CAST(:s AS pg_lsn))", e=end, s=start)[0][0])


@dataclass(frozen=True)
class ServerCost:
    backend_cpu_ns: int
    writes: Writes
    wal_bytes: int


class ServerMeter:
    """Around one case: ``start()`` before it, ``stop()`` after; ``connections`` returns the case's
    connections (opened before ``start``), whose backends are the ones measured."""

    def __init__(
        self, monitor: pg8000.native.Connection, connections: Callable[[], Iterable[pg8000.native.Connection]]
    ) -> None:
        self._monitor, self._connections = monitor, connections
        self._pids: list[int] = []
        self._cpu: dict[int, int] = {}
        self._writes: dict[str, tuple[int, int, int]] = {}
        self._lsn = ""

    def start(self) -> None:
        connections = list(self._connections())
        for connection in connections:
            flush_stats(connection)  # what the connection did before the case is not the case's
        self._pids = [backend_pid(c) for c in connections]
        self._writes = table_writes(self._monitor)
        self._lsn = wal_lsn(self._monitor)
        self._cpu = {pid: cpu_ns(pid) for pid in self._pids}

    def stop(self) -> ServerCost:
        cpu = sum(cpu_ns(pid) - started for pid, started in self._cpu.items())
        for connection in self._connections():
            flush_stats(connection)
        end = wal_lsn(self._monitor)
        writes = writes_between(self._writes, table_writes(self._monitor))
        return ServerCost(cpu, writes, wal_bytes(self._monitor, self._lsn, end))
