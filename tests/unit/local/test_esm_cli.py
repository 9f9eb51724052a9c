"""``python -m customersignal.local.esm``: actionable errors before anything polls, and the status it reports.

(The broker-unreachable error needs a real socket; it is in tests/integration/test_esm_emulator.py.)
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from customersignal.local.esm import status
from customersignal.local.esm.cli import main
from customersignal.local.esm.status import PollerStats, summary_line, write_status

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def no_signal_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    # main() installs SIGTERM/SIGINT handlers; pytest's own must stay
    monkeypatch.setattr(signal, "signal", lambda *_args: None)


def write(tmp_path: Path, resources: dict[str, Any]) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump({"Parameters": {"Stage": {"Type": "String"}}, "Resources": resources}), "utf-8")
    return path


def kafka_function(topic: str) -> dict[str, Any]:
    event = {"Type": "SelfManagedKafka", "Properties": {"Topics": [topic], "StartingPosition": "LATEST"}}
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {"CodeUri": ".", "Handler": "h.f", "Events": {"E": event}},
    }


API_ONLY = {"Api": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": ".", "Handler": "app.app"}}}


@pytest.mark.parametrize(
    ("resources", "args", "message"),
    [
        (API_ONLY, [], "no Kafka event source (Type: MSK or SelfManagedKafka)"),
        (API_ONLY, ["--function", "Nope"], "no function 'Nope' in the template (its functions: ['Api'])"),
        ({"A": kafka_function("a"), "B": kafka_function("b")}, ["--topic", "x"], "choose it with --function"),
        ({"A": kafka_function("a")}, ["--param", "Stag=x"], "declares no such parameter"),
        ({"A": kafka_function("a")}, ["--param", "Stage"], "not of the form Name=Value"),
    ],
)
def test_configuration_errors_exit_2_and_say_what_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], resources: dict[str, Any], args: list[str], message: str
) -> None:
    code = main(["--template", str(write(tmp_path, resources)), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_missing_template_says_where_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--template", str(tmp_path / "nope.yaml")]) == 2
    assert "run from the repository root or pass --template" in capsys.readouterr().err


def stats() -> PollerStats:
    return PollerStats(
        "Fn.E", ("events_raw",), "g", batches=3, records=40, errors=1, lag={"events_raw-0": 2, "events_raw-1": 5}
    )


def test_the_summary_line_has_batches_records_errors_and_lag_per_partition() -> None:
    line = summary_line(stats())
    assert "3 batches, 40 records, 1 errors" in line
    assert "lag events_raw-0=2 events_raw-1=5" in line


def test_health_is_a_fresh_running_status_file(tmp_path: Path) -> None:
    path = tmp_path / "esm.json"
    assert status.health(path, 10) == (False, f"no status file at {path}")
    write_status(path, [stats()], state="running")
    assert status.health(path, 10) == (True, "Fn.E on events_raw as g (lag 7)")
    write_status(path, [stats()], state="stopped")
    assert status.health(path, 10) == (False, "state stopped")
    document = json.loads(path.read_text())
    document.update(state="running", updated_at=time.time() - 60)
    path.write_text(json.dumps(document))
    healthy, line = status.health(path, 10)
    assert not healthy
    assert "not updated for 60s" in line
