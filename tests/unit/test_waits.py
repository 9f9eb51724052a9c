"""The shared bounded wait (tests/support/waits.py): its scale, its polling, and what it says on timeout.

No test here measures time: a timeout is provoked with a budget of a millisecond (CS_TEST_TIME_SCALE), and
the load average is replaced, not waited for."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.support import waits
from tests.support.waits import Deadline, WaitTimedOut, scaled, time_scale, wait_for, wait_until

pytestmark = pytest.mark.unit


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No override from the caller's environment; set the load with ``load(...)``."""
    monkeypatch.delenv(waits.SCALE_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    return monkeypatch


def load(monkeypatch: pytest.MonkeyPatch, one_minute: float) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (one_minute, 0.0, 0.0))


@pytest.mark.parametrize(
    ("one_minute", "scale"),
    [(0.0, 1.0), (1.5, 1.0), (2.0, 1.0), (7.0, 3.5), (19.0, 9.5), (400.0, waits.MAX_LOAD_SCALE)],
)
def test_the_scale_is_the_load_per_core_clamped(machine: pytest.MonkeyPatch, one_minute: float, scale: float) -> None:
    # Given a 2-core machine with this 1-minute load average; Then budgets grow with the load per core
    load(machine, one_minute)
    assert time_scale() == scale
    assert scaled(30) == 30 * scale


def test_no_load_average_means_an_idle_machine(machine: pytest.MonkeyPatch) -> None:
    def unavailable() -> tuple[float, float, float]:
        raise OSError("no load average here")

    machine.setattr(os, "getloadavg", unavailable)
    assert time_scale() == 1.0


@pytest.mark.parametrize("value", ["0.5", "4", "25"])
def test_the_environment_overrides_the_load(machine: pytest.MonkeyPatch, value: str) -> None:
    # Given a busy machine but an explicit scale, unclamped; Then the explicit scale wins
    load(machine, 30.0)
    machine.setenv(waits.SCALE_ENV, value)
    assert time_scale() == float(value)


@pytest.mark.parametrize("value", ["0", "-2", "fast", "nan"])
def test_a_nonsense_override_is_refused_naming_the_variable(machine: pytest.MonkeyPatch, value: str) -> None:
    machine.setenv(waits.SCALE_ENV, value)
    with pytest.raises(ValueError, match=waits.SCALE_ENV):
        time_scale()


def test_a_deadline_keeps_the_largest_scale_it_saw(machine: pytest.MonkeyPatch) -> None:
    # Given a deadline started on an idle machine
    load(machine, 1.0)
    deadline = Deadline(10)
    assert deadline.budget_s == 10
    # When a neighbour's build raises the load, the budget grows; when it ends, the budget stays grown
    load(machine, 8.0)
    assert deadline.budget_s == 40
    load(machine, 1.0)
    assert deadline.budget_s == 40


def test_wait_for_returns_the_first_value_that_is_done(machine: pytest.MonkeyPatch) -> None:
    counter = itertools.count()
    assert wait_for(lambda: next(counter), lambda n: n >= 3, "the counter to reach 3", first_interval_s=0.001) == 3


def test_listed_exceptions_mean_not_yet_and_others_propagate(machine: pytest.MonkeyPatch) -> None:
    answers: list[str | Exception] = [ConnectionRefusedError("not listening"), ConnectionRefusedError("not yet"), "up"]

    def probe() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert wait_for(probe, lambda s: s == "up", "the server", ignore=(OSError,), first_interval_s=0.001) == "up"

    def broken() -> str:
        raise KeyError("the awaited process died")

    with pytest.raises(KeyError):
        wait_for(broken, bool, "anything", ignore=(OSError,))


def test_a_timeout_names_what_was_awaited_and_the_last_value(machine: pytest.MonkeyPatch) -> None:
    # Given a budget of a millisecond (1 s x scale 0.001)
    machine.setenv(waits.SCALE_ENV, "0.001")
    # When the awaited value never comes
    with pytest.raises(WaitTimedOut) as raised:
        wait_for(lambda: {"committed": 3}, lambda s: s["committed"] == 5, "the commit of offset 5", base_s=1)
    # Then the failure says what, how long it tried, and what it saw last
    message = str(raised.value)
    assert "timed out waiting for the commit of offset 5" in message
    assert "budget 1 s x load scale 0.001" in message
    assert "last observed: {'committed': 3}" in message
    assert isinstance(raised.value, AssertionError)  # pytest reports it as a test failure


def test_a_timeout_after_only_errors_shows_the_last_error_and_long_values_are_cut(
    machine: pytest.MonkeyPatch,
) -> None:
    machine.setenv(waits.SCALE_ENV, "0.001")

    def refused() -> int:
        raise ConnectionRefusedError("nothing on port 9")

    with pytest.raises(WaitTimedOut, match=r"last observed: ConnectionRefusedError: nothing on port 9"):
        wait_for(refused, bool, "the server", base_s=1, ignore=(OSError,))
    with pytest.raises(WaitTimedOut, match=r"\.\.\. \(\d+ more characters\)") as raised:
        wait_for(lambda: "x" * 10_000, lambda s: s == "", "a short string", base_s=1)
    assert len(str(raised.value)) < 2_500


def test_wait_until_reports_the_condition_it_waited_for(machine: pytest.MonkeyPatch) -> None:
    machine.setenv(waits.SCALE_ENV, "0.001")
    with pytest.raises(WaitTimedOut, match=r"timed out waiting for the lock file after .*; last observed: False"):
        wait_until(lambda: False, "the lock file", base_s=1)
