"""ingest_bench's figures from its rounds (pure: no measuring here).

Each round measures the API and every baseline. A figure reports the round whose ratio to its baseline is
the median (the lower middle for an even count), so its value and baseline come from one run, and the
spread of the ratio and of the value over every round. A figure with no baseline reports its median value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_results import Figure, Run
from ingest_load import CONNECTIONS, THREADS, WORKERS

ROOT = Path(__file__).resolve().parents[1]
Round = Mapping[str, Any]
FLOOR = "framework floor (401, no work)"
DIRECT = "direct produce+ack"
VALIDATE = "parse+validate only"
TRIVIAL = "uvicorn trivial 200 (no work)"


def _wrk(part: str, key: str) -> Callable[[Round], float]:
    return lambda r: float(r[part][key])


def _plain(key: str) -> Callable[[Round], float]:
    return lambda r: float(r[key])


def _events(part: str) -> Callable[[Round], float]:
    return lambda r: float(r[part]["rps"]) * 100


@dataclass(frozen=True)
class Spec:
    name: str
    unit: str
    value: Callable[[Round], float]
    baseline_name: str = ""
    baseline: Callable[[Round], float] | None = None
    goal: str = ""


SINGLE, BATCHED = "single-event requests/s", "batched events/s (100/request)"
SPECS = (
    Spec(SINGLE, "req/s", _wrk("single", "rps"), FLOOR, _wrk("floor", "rps"), ">= 0.75 x baseline"),
    Spec("single-event p50", "ms", _wrk("single", "p50_ms"), f"{FLOOR}, p50", _wrk("floor", "p50_ms")),
    Spec("single-event p99", "ms", _wrk("single", "p99_ms"), f"{FLOOR}, p99", _wrk("floor", "p99_ms"), "<= 3 x"),
    Spec(SINGLE, "req/s", _wrk("single", "rps"), DIRECT, _plain("direct_single"), ">= 3,000 req/s"),
    Spec(SINGLE, "req/s", _wrk("single", "rps"), VALIDATE, _plain("validate_single")),
    Spec(BATCHED, "events/s", _events("batch"), VALIDATE, _plain("validate_batch"), ">= 0.6 x baseline"),
    Spec(BATCHED, "events/s", _events("batch"), DIRECT, _plain("direct_batch"), ">= 50,000 events/s"),
    Spec("batched p99 (100/request)", "ms", _wrk("batch", "p99_ms")),
    Spec(f"{FLOOR} requests/s", "req/s", _wrk("floor", "rps"), TRIVIAL, _wrk("trivial", "rps")),
    Spec(SINGLE, "req/s", _wrk("single", "rps"), TRIVIAL, _wrk("trivial", "rps")),
)


@dataclass(frozen=True)
class Summary:
    figure: Figure
    run: int  # 1-based: the round reported
    ratios: list[float]  # per round, in round order (empty without a baseline)
    values: list[float]


def median_index(keys: Sequence[float]) -> int:
    """The position of the median key (the lower of the two middle ones for an even count)."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    return order[(len(order) - 1) // 2]


def summarise(spec: Spec, rounds: Sequence[Round]) -> Summary:
    values = [spec.value(r) for r in rounds]
    if spec.baseline is None:
        i = median_index(values)
        figure = Figure(spec.name, values[i], spec.unit, goal=spec.goal, note=_note(i, [], values))
        return Summary(figure, i + 1, [], values)
    baselines = [spec.baseline(r) for r in rounds]
    ratios = [v / b if b else 0.0 for v, b in zip(values, baselines, strict=True)]
    i = median_index(ratios)
    note = _note(i, ratios, values)
    figure = Figure(spec.name, values[i], spec.unit, spec.baseline_name, baselines[i], spec.goal, note)
    return Summary(figure, i + 1, ratios, values)


def _note(i: int, ratios: list[float], values: list[float]) -> str:
    per_run = f"ratio per run {', '.join(f'{r:.2f}' for r in ratios)}; " if ratios else ""
    per_value = ", ".join(f"{v:,.1f}" for v in values)
    return f"median of {len(values)} runs (run {i + 1}); {per_run}value per run {per_value}"


def figures(rounds: Sequence[Round]) -> list[Summary]:
    return [summarise(spec, rounds) for spec in SPECS]


def spread(numbers: Sequence[float], digits: int) -> str:
    return f"{min(numbers):,.{digits}f}-{max(numbers):,.{digits}f}" if numbers else ""


def markdown(summaries: Sequence[Summary], rounds: int) -> str:
    lines = [
        f"## Ingestion (local gateway: {WORKERS} uvicorn workers x {THREADS} threads; wrk, {CONNECTIONS} connections;"
        f" {os.cpu_count()} cores shared by all; median of {rounds} runs)",
        "",
        "Each row is the run whose ratio is the median; the spreads are the lowest and highest over all runs.",
        "",
        "| figure | value | baseline (same run) | baseline value | ratio | ratio spread | value spread | goal |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for s in summaries:
        f = s.figure
        base = f"{f.baseline:,.1f}" if f.baseline else ""
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
        lines.append(
            f"| {f.name} | {f.value or 0:,.1f} {f.unit} | {f.baseline_name} | {base} | {ratio} |"
            f" {spread(s.ratios, 2)} | {spread(s.values, 1)} | {f.goal} |"
        )
    return "\n".join(lines) + "\n"


def write_results(run: Run, summaries: list[Summary], rounds: list[dict[str, Any]]) -> None:
    text = markdown(summaries, len(rounds))
    print("\n" + text)
    path = ROOT / "bench" / "ingest-results.md"
    # the profiles' section (written by hand, below the marker) outlives each run's table
    kept = path.read_text().partition(PROFILES_MARKER)[2] if path.is_file() else ""
    tail = f"\n{PROFILES_MARKER}{kept}" if kept else ""
    path.write_text(f"# Ingestion benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n\n{text}{tail}")
    details = {"rounds": rounds, "workers": WORKERS, "threads": THREADS, "connections": CONNECTIONS}
    run.write([s.figure for s in summaries], details)


PROFILES_MARKER = "<!-- profiles: kept across runs -->"
