"""flush_or_discard: one EMF line per invocation when metrics are on, nothing kept when they are off."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from customersignal.observability import flush_or_discard, metrics, publishes_metrics


@pytest.fixture(autouse=True)
def empty_buffer() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def test_enabled_prints_one_emf_line_and_clears(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=3)
    metrics.add_metric(name="BatchSize", unit=MetricUnit.Count, value=4)
    flush_or_discard(metrics)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    emf = json.loads(lines[0])
    assert (emf["EventsAccepted"], emf["BatchSize"]) == ([3.0], [4.0])
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CustomerSignal"
    assert not metrics.metric_set


def test_the_emf_line_is_the_one_powertools_would_print(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the ingest path's metrics: float latencies and counts
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")

    def record() -> None:
        metrics.add_metric(name="ProduceLatency", unit=MetricUnit.Milliseconds, value=0.4629820014088182)
        metrics.add_metric(name="ProduceLatency", unit=MetricUnit.Milliseconds, value=12.5)
        metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=99)
        metrics.add_metric(name="BatchSize", unit=MetricUnit.Count, value=100)

    # When ours flushes, then Powertools' own flush_metrics does the same set
    record()
    flush_or_discard(metrics)
    ours = capsys.readouterr().out
    record()
    metrics.flush_metrics()
    theirs = capsys.readouterr().out
    # Then both printed one line, byte for byte the same but for the timestamp (milliseconds apart)
    timestamp = re.compile(r'"Timestamp":\d+')
    assert ours.count("\n") == 1
    assert timestamp.sub("", ours) == timestamp.sub("", theirs)
    assert json.loads(ours)["ProduceLatency"] == [0.4629820014088182, 12.5]


def test_disabled_discards_so_nothing_piles_up(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    for _ in range(250):  # Powertools' own buffer would print itself at 100 values if never cleared
        metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=1)
        flush_or_discard(metrics)
    assert capsys.readouterr().out == ""
    assert not metrics.metric_set


def test_nothing_recorded_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log_metrics would warn "No application metrics to publish" here
        flush_or_discard(metrics)
    assert capsys.readouterr().out == ""


def test_decorated_handler_flushes_even_when_it_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")

    @publishes_metrics
    def handler(event: dict[str, int], context: object) -> int:
        metrics.add_metric(name="Records", unit=MetricUnit.Count, value=event["n"])
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler({"n": 2}, None)
    assert not metrics.metric_set
