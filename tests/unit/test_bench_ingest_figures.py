"""bench/ingest_figures.py: which run a figure reports (the median ratio) and its spread. Pure: no timing is
measured or asserted here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.support.bench_modules import load_bench

if TYPE_CHECKING:
    import ingest_figures
else:
    ingest_figures = load_bench("ingest_figures")

pytestmark = pytest.mark.unit


def a_round(single: float, floor: float, p99: float = 10.0, floor_p99: float = 5.0) -> dict[str, Any]:
    wrk = {"rps": 0.0, "p50_ms": 1.0, "p99_ms": 1.0}
    return {
        "single": wrk | {"rps": single, "p99_ms": p99},
        "batch": wrk | {"rps": 100.0},
        "floor": wrk | {"rps": floor, "p99_ms": floor_p99},
        "trivial": wrk | {"rps": 9000.0},
        "direct_single": 5000.0,
        "direct_batch": 80000.0,
        "validate_single": 90000.0,
        "validate_batch": 40000.0,
    }


def test_the_median_is_the_middle_run_by_ratio_and_the_lower_middle_for_an_even_count() -> None:
    assert ingest_figures.median_index([0.9, 0.2, 0.5]) == 2
    assert ingest_figures.median_index([0.4, 0.1, 0.3, 0.2]) == 3


def test_a_figure_reports_the_run_whose_ratio_is_the_median_with_its_own_baseline() -> None:
    # Given three runs whose values and baselines move together (a busy machine slows both)
    rounds = [a_round(1000, 2000), a_round(1800, 2000), a_round(700, 1000)]
    # When the single-event rate is summarised against the floor
    summary = ingest_figures.summarise(ingest_figures.SPECS[0], rounds)
    # Then it is run 3's (ratios 0.5, 0.9, 0.7: the median 0.7), value and baseline from that same run
    assert summary.run == 3
    assert (summary.figure.value, summary.figure.baseline) == (700, 1000)
    assert summary.figure.ratio == pytest.approx(0.7)
    assert summary.ratios == pytest.approx([0.5, 0.9, 0.7])
    assert ingest_figures.spread(summary.ratios, 2) == "0.50-0.90"
    assert "median of 3 runs (run 3)" in summary.figure.note


def test_every_figure_of_the_issue_is_reported_with_its_goal() -> None:
    rounds = [a_round(1000, 2000), a_round(1500, 2000), a_round(1200, 2000)]
    figures = {(s.figure.name, s.figure.baseline_name): s.figure for s in ingest_figures.figures(rounds)}
    floor = ingest_figures.FLOOR
    assert figures[("single-event requests/s", floor)].goal == ">= 0.75 x baseline"
    assert figures[("single-event p99", f"{floor}, p99")].goal == "<= 3 x"
    assert figures[("batched events/s (100/request)", ingest_figures.VALIDATE)].goal == ">= 0.6 x baseline"
    trivial = figures[(f"{floor} requests/s", ingest_figures.TRIVIAL)]
    assert (trivial.value, trivial.baseline) == (2000, 9000)
    assert figures[("batched p99 (100/request)", "")].baseline is None
