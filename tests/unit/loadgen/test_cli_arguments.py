"""`customersignal loadgen`: wrong arguments are refused before any work, naming the argument and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from customersignal.cli import main

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("argument", "reason"),
    [
        (["--batch", "0"], "at least 1"),
        (["--batch", "501"], "at most 500 events per request"),
        (["--workers", "many"], "at least 1"),
        (["--rate", "fast"], "more than 0"),
        (["--duration", "-5"], "more than 0"),
        (["--resend-share", "1.5"], "between 0 and 1"),
    ],
)
def test_impossible_run_arguments_are_usage_errors(
    argument: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["loadgen", "run", *argument]) == 2
    err = capsys.readouterr().err
    assert f"argument {argument[0]}" in err
    assert reason in err


def test_a_run_without_a_key_says_where_to_put_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CS_LOADGEN_KEY", raising=False)
    assert main(["loadgen", "run", "--events", "1", "--ledger", str(tmp_path / "l")]) == 1
    assert "CS_LOADGEN_KEY" in capsys.readouterr().err
    assert not (tmp_path / "l").exists()


def test_verify_without_its_ledger_says_how_to_make_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["loadgen", "verify", "--tenant", "acme", "--ledger", str(tmp_path / "none.ledger")]) == 1
    err = capsys.readouterr().err
    assert "no ledger at" in err
    assert "loadgen run --ledger" in err
