"""The benchmarks' common output: ``bench/<part>-results.json``, which bench/report.py gathers into
bench/results.md and bench/results.json.

    {"part": "ingest", "started_at": ..., "measured_at": ..., "environment": {...},
     "figures": [{"name", "value", "unit", "baseline_name", "baseline", "ratio", "goal", "note"}, ...],
     "details": {...}}

A figure is one measured value beside its same-run baseline (``baseline_name``, ``baseline``; both empty
when it has none) and ``ratio`` = value / baseline. ``goal`` is text in the form report.py understands
(``< 25 ms``, ``>= 3,000 req/s``, ``>= 0.7 x baseline``); ``value`` is null when the measurement could not
be taken (``note`` says why). Figures are reported, never asserted. ``details`` is the part's own raw
material (samples, breakdowns), free-form.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench"
PARTS = ("ingest", "aggregator", "freshness", "dashboard", "alerts", "cost")


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    goal: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": self.ratio}


def load_average() -> str:
    """1, 5 and 15 minute load averages: other work on the machine shows in the figures."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def code_version() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    dirty = " with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return f"commit {git('rev-parse', '--short', 'HEAD') or 'unknown'}{dirty}"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return 0.0


def environment(load_at_start: str | None = None) -> dict[str, Any]:
    """Where and on what the part ran. Every bench runs its load generator (the client) and the servers
    (API, Kafka, Postgres, Redis) on these same cores."""
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cores_shared_by": "client (load generator) and servers",
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "code": code_version(),
        "load_average_start": load_at_start,
        "load_average_end": load_average(),
    }


class Run:
    """One part's run: note the start (time and load) when it begins, write its JSON when it ends."""

    def __init__(self, part: str) -> None:
        if part not in PARTS:
            raise ValueError(f"unknown bench part {part!r}; known: {', '.join(PARTS)}")
        self.part = part
        self.started_at = datetime.now(UTC)
        self.load_at_start = load_average()

    def write(self, figures: list[Figure], details: dict[str, Any] | None = None) -> Path:
        document = {
            "part": self.part,
            "started_at": self.started_at.isoformat(),
            "measured_at": datetime.now(UTC).isoformat(),
            "environment": environment(self.load_at_start),
            "figures": [figure.as_json() for figure in figures],
            "details": details or {},
        }
        path = OUT / f"{self.part}-results.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        return path
