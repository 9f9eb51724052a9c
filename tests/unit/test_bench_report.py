"""bench/report.py's pure parts: goals read from their text, parts found missing, old or stale, and the
summary it writes. No timing is measured or asserted here."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.bench_modules import load_bench

if TYPE_CHECKING:
    import report
else:
    report = load_bench("report", "bench_report")

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def figure(value: float | None, unit: str, goal: str, ratio: float | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": "f", "value": value, "unit": unit, "baseline_name": "", "baseline": None, "ratio": ratio,
            "goal": goal, "note": ""} | extra  # fmt: skip


def document(part: str, measured_at: datetime, figures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "part": part,
        "measured_at": measured_at.isoformat(),
        "environment": {"cores": 2, "cpu": "Test CPU", "memory_gib": 8.0, "load_average_start": "0.5 0.4 0.3"},
        "figures": figures or [],
    }


def write(directory: Path, part: str, content: object) -> None:
    (directory / f"{part}-results.json").write_text(json.dumps(content))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("< 25 ms", report.Goal("<", 25.0, "ms", on_ratio=False)),
        (">= 3,000 req/s", report.Goal(">=", 3000.0, "req/s", on_ratio=False)),
        (">= 0.7 x baseline", report.Goal(">=", 0.7, "x baseline", on_ratio=True)),
        ("<=.5 s", report.Goal("<=", 0.5, "s", on_ratio=False)),
        ("> 10", report.Goal(">", 10.0, "", on_ratio=False)),
        ("", None),  # no goal
        ("p99 < 5 s", None),  # the quantile belongs in the figure's name, not its goal
        ("fast", None),
    ],
)
def test_goal_text_is_parsed(text: str, expected: report.Goal | None) -> None:
    assert report.parse_goal(text) == expected


@pytest.mark.parametrize(
    ("fig", "expected"),
    [
        (figure(42.8, "ms", "< 25 ms"), False),
        (figure(11.4, "ms", "< 25 ms"), True),
        (figure(610.0, "ms", "< 5 s"), True),  # ms against a goal in seconds
        (figure(6.2, "s", "< 5000 ms"), False),
        (figure(1330.0, "req/s", ">= 3,000 req/s"), False),
        (figure(3000.0, "req/s", ">= 3,000"), True),  # no unit: the figure's
        (figure(3697.0, "events/s", ">= 0.7 x baseline", ratio=0.2), False),
        (figure(3697.0, "events/s", ">= 0.7 x baseline", ratio=0.75), True),
        (figure(3697.0, "events/s", ">= 0.7 x baseline", ratio=None), None),  # no baseline to judge by
        (figure(None, "ms", "< 100 ms"), None),  # not measured (e.g. the API refused the query)
        (figure(5.0, "events/s", "< 5 ms"), None),  # units that do not compare
        (figure(5.0, "ms", ""), None),  # no goal
    ],
)
def test_goal_is_judged_on_value_or_ratio(fig: dict[str, Any], expected: bool | None) -> None:
    assert report.goal_met(fig) is expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (19429.0, "events/s", "19,429 events/s"),
        (42.75, "ms", "42.8 ms"),
        (3.56, "ms", "3.56 ms"),
        (0.00645, "", "0.00645"),
        (3.9106, "$/M events", "$3.911/M events"),
        (0.0, "ms", "0.00 ms"),
    ],
)
def test_numbers_are_formatted_by_size(value: float, unit: str, expected: str) -> None:
    assert report.number(value, unit) == expected


def test_missing_old_and_malformed_files_are_not_measured(tmp_path: Path) -> None:
    write(tmp_path, "ingest", document("ingest", NOW))
    write(tmp_path, "aggregator", {"medians": {}, "samples": {}})  # the format before the common one
    write(tmp_path, "cost", [{"name": "API"}])
    (tmp_path / "alerts-results.json").write_text("{half a file")
    write(tmp_path, "dashboard", document("dashboard", NOW) | {"measured_at": "yesterday"})
    parts = {name: report.read_part(tmp_path, name) for name in report.PARTS}
    assert parts["ingest"].problem == ""
    assert parts["ingest"].measured_at == NOW
    assert "no bench/freshness-results.json" in parts["freshness"].problem
    assert "not in the common format" in parts["aggregator"].problem
    assert "not in the common format" in parts["cost"].problem
    assert "unreadable" in parts["alerts"].problem
    assert "not an ISO timestamp" in parts["dashboard"].problem
    flags = report.staleness(list(parts.values()))
    assert set(flags) == {"aggregator", "freshness", "dashboard", "alerts", "cost"}


def test_a_part_older_than_the_newest_by_more_than_a_day_is_flagged() -> None:
    parts = [
        report.Part("ingest", document("ingest", NOW)),
        report.Part("aggregator", document("aggregator", NOW - timedelta(hours=23))),
        report.Part("dashboard", document("dashboard", NOW - timedelta(days=3))),
    ]
    assert report.staleness(parts) == {"dashboard": "measured 3.0 days before the newest part"}


def test_summary_states_the_machine_when_each_part_was_measured_and_flags_the_rest() -> None:
    measured = document(
        "ingest",
        NOW,
        [
            figure(1330.0, "req/s", ">= 3,000 req/s", ratio=0.37, name="single-event requests/s",
                   baseline_name="framework floor", baseline=3598.0),
            figure(190.0, "ms", "", name="batched p99", note="no same-run baseline"),
        ],
    )  # fmt: skip
    old = document("dashboard", NOW - timedelta(days=2), [figure(97.4, "ms", "< 100 ms", name="series p95")])
    parts = [
        report.Part("ingest", measured),
        report.Part("dashboard", old),
        report.Part("alerts", None, "no bench/alerts-results.json"),
    ]
    text = report.render(parts, NOW, has_details=lambda name: name != "alerts")
    assert "**2 cores, shared by the client (load generator) and the servers**" in text
    assert "baseline measured in the same run" in text
    assert "never asserted" in text
    assert "| ingest | 2026-11-27 12:00 UTC | measured in this run |" in text
    assert "**not measured in this run**: measured 2.0 days before the newest part" in text
    assert "**not measured in this run**: no bench/alerts-results.json" in text
    row = "| single-event requests/s | 1,330 req/s | framework floor | 3,598 req/s | 0.37 | >= 3,000 req/s | **no** |"
    assert row in text
    assert "| series p95 | 97.4 ms |  |  |  | < 100 ms | yes |" in text  # shown, under its flag
    assert "- batched p99: no same-run baseline" in text
    assert "[ingest-results.md](ingest-results.md)" in text
    assert "no alerts-results.md" in text


def test_combined_json_has_every_part_with_its_status_and_verdicts() -> None:
    parts = [
        report.Part("ingest", document("ingest", NOW, [figure(11.4, "ms", "< 25 ms")])),
        report.Part("cost", None, "no bench/cost-results.json"),
    ]
    combined = report.combined(parts, NOW)
    ingest, cost = combined["parts"]
    assert (ingest["measured_in_this_run"], ingest["figures"][0]["met"]) == (True, True)
    assert (cost["measured_in_this_run"], cost["flag"], cost["figures"]) == (False, "no bench/cost-results.json", [])


def test_main_writes_both_summaries(tmp_path: Path) -> None:
    write(tmp_path, "freshness", document("freshness", NOW, [figure(26.7, "ms", "< 1 s")]))
    (tmp_path / "freshness-results.md").write_text("# Freshness\n")
    assert report.main(tmp_path) == 0
    assert "[freshness-results.md](freshness-results.md)" in (tmp_path / "results.md").read_text()
    parts = json.loads((tmp_path / "results.json").read_text())["parts"]
    assert [p["part"] for p in parts] == list(report.PARTS)
