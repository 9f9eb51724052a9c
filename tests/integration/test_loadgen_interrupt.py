"""`customersignal loadgen run` stops within seconds of Ctrl-C whatever the API is doing, and its ledger keeps
every acknowledgement it received. The real command in its own process, signalled as a terminal would.

The APIs here are real loopback servers: one where nothing listens, and one that acknowledges a few
requests and then holds every connection without answering (an API stuck behind a slow dependency).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from tests.contract import unused_port
from tests.fixtures.http_server import QuietHandler, serving
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration

# The grace the run gives the requests in flight after Ctrl-C is 5 s; the old behaviour retried each of them
# for 120 s. The budget below only has to tell those apart, so it is generous for a busy machine, and it is
# deliberately not scaled with load: scaled, it could pass a run that hangs for the old 120 s.
EXIT_BUDGET_S = 90.0


class Run:
    """The command in its own process; its progress lines (stderr) are collected as they come."""

    def __init__(self, url: str, ledger: Path, *extra: str) -> None:
        command = [sys.executable, "-m", "customersignal.cli", "loadgen", "run", "--url", url, "--key", "cs_test"]
        command += ["--rate", "40", "--workers", "4", "--ledger", str(ledger), *extra]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.err.append(line)

    def retries_without_answer(self) -> int:
        counts = [int(m.group(1)) for line in self.err if (m := NO_ANSWER.search(line))]
        return max(counts, default=0)

    def interrupt(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=EXIT_BUDGET_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"loadgen still running {EXIT_BUDGET_S:.0f}s after SIGINT\n{''.join(self.err)[-2000:]}")
        self._reader.join()
        assert self.process.stdout is not None
        return self.process.returncode, self.process.stdout.read(), "".join(self.err)


NO_ANSWER = re.compile(r"(\d+) no answer")


def ledger_outcomes(ledger: Path) -> list[str]:
    return [line.split("\t")[1] for line in ledger.read_text().splitlines()] if ledger.exists() else []


def test_ctrl_c_ends_a_run_against_an_api_that_is_not_there(tmp_path: Path) -> None:
    ledger = tmp_path / "run.ledger"
    run = Run(f"http://127.0.0.1:{unused_port()}", ledger, "--give-up-after", "3600")
    wait_until(lambda: run.retries_without_answer() >= 8 or run.process.poll() is not None, "unanswered retries")
    code, out, err = run.interrupt()
    assert code == 130, err[-2000:]
    assert "stopping: nothing more is sent" in err
    assert "0 accepted" in out
    assert "ledger:" in out
    assert set(ledger_outcomes(ledger)) == {"unacknowledged"}


class Stalling:
    """Acknowledges the first ``answers`` requests, then holds every later connection open, unanswered."""

    def __init__(self, answers: int) -> None:
        self.answers = answers
        self.answered_ids: list[str] = []
        self.held = 0
        self.lock = threading.Lock()
        self.release = threading.Event()


@contextmanager
def stalling_api(state: Stalling) -> Iterator[str]:
    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                answer = len(state.answered_ids) < state.answers
                if answer:
                    state.answered_ids += [e["event_id"] for e in body["events"]]
                else:
                    state.held += 1
            if not answer:
                state.release.wait(600)
                return
            payload = orjson.dumps({"results": [{"status": "accepted"}] * len(body["events"])})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    with serving(Handler) as url:
        try:
            yield url
        finally:
            state.release.set()


def test_ctrl_c_ends_a_run_whose_api_stopped_answering_and_keeps_every_acknowledgement(tmp_path: Path) -> None:
    ledger = tmp_path / "run.ledger"
    state = Stalling(answers=10)
    with stalling_api(state) as url:
        run = Run(url, ledger, "--timeout", "600", "--give-up-after", "3600")
        wait_until(lambda: state.held >= 4 or run.process.poll() is not None, "every worker to hold a stalled request")
        code, out, err = run.interrupt()
    assert code == 130, err[-2000:]
    lines = ledger.read_text().splitlines()
    accepted = {line.split("\t")[0] for line in lines if line.split("\t")[1] == "accepted"}
    assert accepted == set(state.answered_ids)  # every acknowledgement the API gave, and only those
    assert len(accepted) == 10
    assert ledger_outcomes(ledger).count("unacknowledged") == 4  # the four stalled requests, abandoned
    assert "10 accepted" in out
