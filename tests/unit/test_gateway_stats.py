"""The local gateway's request counters and the rates `customersignal status` derives from them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from customersignal.cli_status import Snapshot, request_rates
from customersignal.local.gateway_stats import ResponseCounts, StatsWriter, WorkerStats, read_stats

pytestmark = pytest.mark.unit
DEAD_PID = 2**22 + 1  # above Linux's pid_max default of 4194304


def snapshot(taken: float, *workers: WorkerStats) -> Snapshot:
    return Snapshot(taken, list(workers), [], [], 0, 0)


def test_counts_by_status_class() -> None:
    counts = ResponseCounts()
    for status in (200, 201, 204, 301, 403, 429, 502):
        counts.count(status)
    assert counts.by_class == {"2xx": 3, "3xx": 1, "4xx": 2, "5xx": 1}


def test_written_counts_are_read_back_and_dead_workers_ignored(tmp_path: Path) -> None:
    counts = ResponseCounts()
    counts.count(200)
    StatsWriter(tmp_path, counts).write()
    (tmp_path / f"gateway-{DEAD_PID}.json").write_text(
        json.dumps({"pid": DEAD_PID, "written_at": 1.0, "responses": {"2xx": 9}})
    )
    (tmp_path / "gateway-garbage.json").write_text("{half a file")
    [worker] = read_stats(tmp_path)
    assert (worker.pid, worker.responses["2xx"], worker.total) == (os.getpid(), 1, 1)


def test_removed_file_means_no_worker(tmp_path: Path) -> None:
    writer = StatsWriter(tmp_path, ResponseCounts())
    writer.write()
    writer.remove()
    assert read_stats(tmp_path) == []


def test_rates_are_differences_over_time_per_status_class() -> None:
    before = snapshot(10.0, WorkerStats(1, 0, {"2xx": 100, "4xx": 5}), WorkerStats(2, 0, {"2xx": 50}))
    after = snapshot(12.0, WorkerStats(1, 0, {"2xx": 300, "4xx": 9}), WorkerStats(2, 0, {"2xx": 150, "5xx": 2}))
    assert request_rates(before, after) == {"2xx": 150.0, "3xx": 0.0, "4xx": 2.0, "5xx": 1.0}


def test_a_restarted_worker_is_left_out_until_it_has_two_reports() -> None:
    before = snapshot(0.0, WorkerStats(1, 0, {"2xx": 1000}))
    after = snapshot(1.0, WorkerStats(7, 0, {"2xx": 3}))  # pid 1 died, pid 7 started from zero
    assert request_rates(before, after) == {"2xx": 0.0, "3xx": 0.0, "4xx": 0.0, "5xx": 0.0}


def test_no_gateway_means_no_rate() -> None:
    assert request_rates(snapshot(0.0), snapshot(1.0)) is None
