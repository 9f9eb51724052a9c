"""`make bench`, last step: every part's ``bench/<part>-results.json`` gathered into one summary,
bench/results.md (a table per part) and bench/results.json (every part's figures).

    .venv/bin/python bench/report.py

Each figure sits beside its same-run baseline and the ratio, with its goal and whether the figure meets
it; nothing is asserted (the exit status is 0 whatever the figures). A part whose JSON is missing, not in
the common format (bench/bench_results.py), or measured more than a day before the newest part is flagged
"not measured in this run"; an old part's figures are still shown, under that flag, with their date.
"""

from __future__ import annotations

import json
import operator
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent
PARTS = ("ingest", "aggregator", "freshness", "dashboard", "alerts", "cost")
STALE_AFTER = timedelta(days=1)
TITLES = {
    "ingest": "Ingestion",
    "aggregator": "Aggregation",
    "freshness": "Freshness",
    "dashboard": "Dashboard reads",
    "alerts": "Alerts",
    "cost": "AWS cost per million events",
}
NOT_MEASURED = "not measured in this run"

_GOAL = re.compile(r"^(<=|>=|<|>)\s*(\d[\d,]*(?:\.\d+)?|\.\d+)\s*(.*)$")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_SECONDS = {"ms": 1e-3, "s": 1.0}
_ON_RATIO = ("x baseline", "x")


@dataclass(frozen=True)
class Goal:
    """``op threshold unit``: on the figure's value (``unit`` empty, the figure's, or ms/s converted), or on
    its ratio to the baseline (``unit`` "x baseline")."""

    op: str
    threshold: float
    unit: str
    on_ratio: bool


def parse_goal(text: str) -> Goal | None:
    """``"< 25 ms"``, ``">= 3,000 req/s"``, ``">= 0.7 x baseline"``; None for no goal or one not understood."""
    match = _GOAL.match(text.strip())
    if match is None:
        return None
    op, number, unit = match.group(1), float(match.group(2).replace(",", "")), match.group(3).strip()
    return Goal(op, number, unit, unit in _ON_RATIO)


def goal_met(figure: Mapping[str, Any]) -> bool | None:
    """Does the figure meet its goal? None: no goal, a goal not understood, or no value to judge."""
    goal = parse_goal(str(figure.get("goal") or ""))
    if goal is None:
        return None
    measured = figure.get("ratio") if goal.on_ratio else figure.get("value")
    if not isinstance(measured, int | float):
        return None
    unit = str(figure.get("unit") or "")
    if goal.on_ratio or goal.unit in ("", unit):
        return _COMPARE[goal.op](float(measured), goal.threshold)
    if goal.unit in _SECONDS and unit in _SECONDS:
        return _COMPARE[goal.op](float(measured) * _SECONDS[unit], goal.threshold * _SECONDS[goal.unit])
    return None


@dataclass(frozen=True)
class Part:
    name: str
    document: Mapping[str, Any] | None  # None: no usable results file
    problem: str = ""  # why there is no usable document

    @property
    def measured_at(self) -> datetime | None:
        return None if self.document is None else _timestamp(self.document["measured_at"])

    @property
    def figures(self) -> list[Mapping[str, Any]]:
        return [] if self.document is None else list(self.document["figures"])

    @property
    def environment(self) -> Mapping[str, Any]:
        return {} if self.document is None else self.document["environment"]


def _timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_problem(document: object) -> str:
    """Empty if ``document`` is in the common format, else what is wrong with it."""
    if not isinstance(document, dict):
        return "not in the common format (an old results file?)"
    missing = [key for key in ("part", "measured_at", "environment", "figures") if key not in document]
    if missing:
        return f"not in the common format (no {', '.join(missing)}; an old results file?)"
    try:
        _timestamp(str(document["measured_at"]))
    except ValueError:
        return f"measured_at {document['measured_at']!r} is not an ISO timestamp"
    figures = document["figures"]
    if not isinstance(figures, list) or not all(isinstance(f, dict) and "name" in f for f in figures):
        return "figures is not a list of figures"
    if not isinstance(document["environment"], dict):
        return "environment is not an object"
    return ""


def read_part(directory: Path, name: str) -> Part:
    path = directory / f"{name}-results.json"
    if not path.is_file():
        return Part(name, None, f"no bench/{path.name}")
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return Part(name, None, f"bench/{path.name} unreadable ({error})")
    problem = format_problem(document)
    return Part(name, None, f"bench/{path.name} {problem}") if problem else Part(name, document)


def staleness(parts: Sequence[Part]) -> dict[str, str]:
    """Why each part was not measured in this run (the run of the newest part); parts measured in it are
    absent."""
    dated = [p.measured_at for p in parts if p.measured_at is not None]
    newest = max(dated) if dated else None
    flags = {}
    for part in parts:
        if part.measured_at is None:
            flags[part.name] = part.problem
        elif newest is not None and newest - part.measured_at > STALE_AFTER:
            flags[part.name] = f"measured {_age(newest - part.measured_at)} before the newest part"
    return flags


def _age(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:.1f} days"


def number(value: float, unit: str = "") -> str:
    if unit.startswith("$"):
        return f"${value:,.3f}{unit[1:]}"
    magnitude = abs(value)
    if magnitude >= 100:
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1 or value == 0:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def ratio_text(ratio: object) -> str:
    if not isinstance(ratio, int | float):
        return ""
    return f"{ratio:.2f}" if abs(ratio) >= 0.1 else f"{ratio:.3f}"


def met_text(met: bool | None, goal: str) -> str:
    if not goal:
        return ""
    return {True: "yes", False: "**no**", None: "?"}[met]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def figure_row(figure: Mapping[str, Any]) -> str:
    unit = str(figure.get("unit") or "")
    value, baseline = figure.get("value"), figure.get("baseline")
    goal = str(figure.get("goal") or "")
    cells = [
        figure["name"],
        number(value, unit) if isinstance(value, int | float) else "not measured",
        figure.get("baseline_name") or "",
        number(baseline, unit) if isinstance(baseline, int | float) and figure.get("baseline_name") else "",
        ratio_text(figure.get("ratio")),
        goal,
        met_text(goal_met(figure), goal),
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def machine_text(parts: Sequence[Part]) -> str:
    """The machine, from the parts' own environment records."""
    environments = [p.environment for p in parts if p.document is not None]
    if not environments:
        return "Machine: unknown (no part has results in the common format)."
    cores = sorted({str(e.get("cores", "?")) for e in environments})
    cpus = sorted({str(e.get("cpu", "?")) for e in environments})
    memory = sorted({str(e.get("memory_gib", "?")) for e in environments})
    cores_text = " or ".join(cores) + (" (the parts ran on different machines)" if len(cores) > 1 else "")
    return (
        f"Machine: **{cores_text} cores, shared by the client (load generator) and the servers** (the API,"
        " Kafka, Postgres, Redis, the local event-source mapping all run on them), as recorded by each part;"
        f" {', '.join(cpus)}, {', '.join(memory)} GiB RAM."
    )


def render(parts: Sequence[Part], generated_at: datetime, has_details: Callable[[str], bool]) -> str:
    """bench/results.md. ``has_details(part)``: is there a bench/<part>-results.md to link to?"""
    flags = staleness(parts)
    lines = [
        "# Benchmark results",
        "",
        f"Generated {_when(generated_at)} by `bench/report.py` from `bench/<part>-results.json`; `make bench`"
        " measures every part, then writes this file.",
        "",
        machine_text(parts),
        "",
        "Every figure is reported beside a **baseline measured in the same run** on the same machine, and"
        " their ratio (value / baseline). Figures are reported, never asserted: other work on the machine"
        ' moves the absolute numbers (see the load averages), the ratios much less. "met?" only reads a'
        " figure against its goal. Each part's notes and caveats are in its own results file.",
        "",
        "## When each part was measured",
        "",
        "| part | measured | status | load average, start -> end (1, 5, 15 min) | code | details |",
        "|---|---|---|---|---|---|",
    ]
    for part in parts:
        env = part.environment
        status = f"**{NOT_MEASURED}**: {flags[part.name]}" if part.name in flags else "measured in this run"
        load = f"{env.get('load_average_start') or '?'} -> {env.get('load_average_end') or '?'}" if env else ""
        link = _link(part.name, has_details)
        lines.append(f"| {part.name} | {_when(part.measured_at)} | {_cell(status)} | {load} |"
                     f" {_cell(env.get('code', ''))} | {link} |")  # fmt: skip
    for part in parts:
        lines += ["", f"## {TITLES.get(part.name, part.name)}", ""]
        if part.name in flags:
            lines += [f"**{NOT_MEASURED}**: {flags[part.name]}.", ""]
        if part.document is None:
            lines.append(f"No figures. Details (if any): {_link(part.name, has_details)}.")
            continue
        lines += [
            f"Measured {_when(part.measured_at)}; details and caveats: {_link(part.name, has_details)}.",
            "",
            "| figure | value | baseline (same run) | baseline value | ratio | goal | met? |",
            "|---|---:|---|---:|---:|---|---|",
            *(figure_row(f) for f in part.figures),
        ]
        notes = [f"- {f['name']}: {f['note']}" for f in part.figures if f.get("note")]
        if notes:
            lines += ["", "Notes:", "", *dict.fromkeys(notes)]
    return "\n".join(lines) + "\n"


def _link(name: str, has_details: Callable[[str], bool]) -> str:
    file = f"{name}-results.md"
    return f"[{file}]({file})" if has_details(name) else f"no {file}"


def combined(parts: Sequence[Part], generated_at: datetime) -> dict[str, Any]:
    """bench/results.json: every part's figures (with ``met``), environment and status."""
    flags = staleness(parts)
    return {
        "generated_at": generated_at.isoformat(),
        "parts": [
            {
                "part": part.name,
                "measured_in_this_run": part.name not in flags,
                "flag": flags.get(part.name, ""),
                "measured_at": None if part.document is None else part.document["measured_at"],
                "environment": dict(part.environment),
                "figures": [dict(f) | {"met": goal_met(f)} for f in part.figures],
                "source": f"{part.name}-results.json",
                "details": f"{part.name}-results.md",
            }
            for part in parts
        ],
    }


def main(directory: Path = OUT) -> int:
    parts = [read_part(directory, name) for name in PARTS]
    now = datetime.now(UTC)
    text = render(parts, now, lambda name: (directory / f"{name}-results.md").is_file())
    (directory / "results.md").write_text(text)
    (directory / "results.json").write_text(json.dumps(combined(parts, now), indent=2) + "\n")
    print(text)
    flagged = staleness(parts)
    if flagged:
        print(f"{NOT_MEASURED}: {', '.join(flagged)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
