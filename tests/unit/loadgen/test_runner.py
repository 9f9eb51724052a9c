"""The paced run: every planned event ends in the ledger exactly once per submission, retried requests
keep their event ids, and a stop never drops an acknowledgement. The API is a scripted sender."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from customersignal.loadgen.ledger import LedgerWriter, read_ledgers
from customersignal.loadgen.plan import EventPlanner, LoadMix
from customersignal.loadgen.runner import LoadRun, RunLimits
from tests.support.waits import wait_until

pytestmark = pytest.mark.unit


class ScriptedApi:
    """Answers 503 (Retry-After: 0) to the first ``outages`` requests, then accepts every valid event."""

    def __init__(self, outages: int = 0, status: int = 200) -> None:
        self.outages, self.status = outages, status
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def post(self, body: dict[str, Any]) -> tuple[int | None, dict[str, str], Any]:
        with self.lock:
            self.bodies.append(body)
            if self.outages > 0:
                self.outages -= 1
                return 503, {"Retry-After": "0"}, {"error": {"code": "kafka_unavailable"}}
        if self.status != 200:
            return self.status, {}, {"error": {"code": "unknown_key"}}
        results = [
            {"status": "rejected", "code": "invalid_value"}
            if e["timestamp"] == "not a time"
            else {"status": "accepted"}
            for e in body["events"]
        ]
        return 200, {}, {"results": results}


def run_load(tmp_path: Path, api: ScriptedApi, mix: LoadMix, events: int) -> LoadRun:
    ledger = LedgerWriter(tmp_path / "run.ledger")
    load = LoadRun(
        RunLimits(rate=20_000, events=events, workers=4), EventPlanner(mix, seed=2), api, ledger, time.monotonic
    )
    load.start()
    load.pace(lambda: None)
    load.finish(lambda: None)
    ledger.close()
    return load


def test_every_event_is_answered_once_and_the_ledger_agrees(tmp_path: Path) -> None:
    api = ScriptedApi()
    load = run_load(tmp_path, api, LoadMix(batch=5, resend_share=0.1, invalid_share=0.1), events=500)
    ledger = read_ledgers([tmp_path / "run.ledger"])
    assert load.tally.submitted == ledger.submissions == 500
    assert load.tally.outcomes["accepted"] + load.tally.outcomes["rejected"] == 500
    assert len(ledger.accepted) == load.tally.kinds["new"]
    assert len(ledger.rejected) == load.tally.kinds["invalid"] == load.tally.rejections["invalid_value"]


def test_a_request_answered_503_is_retried_with_the_same_event_ids(tmp_path: Path) -> None:
    api = ScriptedApi(outages=3)
    load = run_load(tmp_path, api, LoadMix(batch=2), events=2)
    assert load.tally.retries["unavailable"] == 3
    ids = Counter(tuple(e["event_id"] for e in body["events"]) for body in api.bodies)
    assert list(ids.values()) == [4]  # one request, sent four times
    assert load.tally.outcomes == Counter({"accepted": 2})


def test_a_refused_key_stops_the_run_with_a_message(tmp_path: Path) -> None:
    load = run_load(tmp_path, ScriptedApi(status=401), LoadMix(), events=1_000)
    assert load.tally.fatal is not None
    assert load.tally.outcomes["accepted"] == 0
    assert load.tally.submitted < 1_000


class HungApi:
    """Never answers until released; then accepts everything. Counts the requests it was sent."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.posts = 0
        self.lock = threading.Lock()

    def post(self, body: dict[str, Any]) -> tuple[int | None, dict[str, str], Any]:
        with self.lock:
            self.posts += 1
        self.release.wait()
        return 200, {}, {"results": [{"status": "accepted"}] * len(body["events"])}


def start_hung_run(tmp_path: Path, api: Any, grace_s: float) -> tuple[LoadRun, LedgerWriter]:
    """Two workers, each holding one request the API does not answer, and four requests queued behind them."""
    ledger = LedgerWriter(tmp_path / "run.ledger")
    limits = RunLimits(rate=10_000, events=6, workers=2, stop_grace_s=grace_s)
    load = LoadRun(limits, EventPlanner(LoadMix(), seed=3), api, ledger, time.monotonic)
    load.start()
    load.pace(lambda: None)  # six requests fit in flight plus the queue (twice the workers): pacing returns
    wait_until(lambda: load.in_flight == 2, "the run to reach the expected state")
    return load, ledger


def ledger_lines(tmp_path: Path) -> list[str]:
    return (tmp_path / "run.ledger").read_text().splitlines()


def test_an_interrupt_abandons_requests_the_api_never_answers_after_the_grace(tmp_path: Path) -> None:
    api = HungApi()
    load, ledger = start_hung_run(tmp_path, api, grace_s=0.2)
    load.settle(lambda: None)  # returns although neither request will ever be answered
    ledger.close()
    assert load.tally.outcomes == Counter({"unacknowledged": 2})
    assert load.tally.unsent == 4  # queued, never sent: not in the ledger at all
    assert api.posts == 2
    assert [line.split("\t")[1] for line in ledger_lines(tmp_path)] == ["unacknowledged"] * 2
    api.release.set()  # the answers arrive after the run ended: nothing more is written or counted
    wait_until(lambda: load.tally.requests == 2, "the run to reach the expected state")
    assert load.tally.outcomes == Counter({"unacknowledged": 2})
    assert len(ledger_lines(tmp_path)) == 2


def test_an_interrupt_keeps_the_answers_that_arrive_within_the_grace_and_sends_nothing_more(tmp_path: Path) -> None:
    api = HungApi()
    load, ledger = start_hung_run(tmp_path, api, grace_s=600)
    load.interrupt()
    api.release.set()
    load.settle(lambda: None)  # returns as soon as both workers have their answer, long before the grace
    ledger.close()
    assert load.tally.outcomes == Counter({"accepted": 2})
    assert load.tally.unsent == 4
    assert api.posts == 2
    assert read_ledgers([tmp_path / "run.ledger"]).accepted.keys() == {
        line.split("\t")[0] for line in ledger_lines(tmp_path)
    }


def test_an_interrupt_stops_retries_at_once(tmp_path: Path) -> None:
    api = ScriptedApi(outages=10**9)  # Kafka never comes back; each 503 asks to retry after 0 s
    ledger = LedgerWriter(tmp_path / "run.ledger")
    limits = RunLimits(rate=100, events=3, workers=3, give_up_after_s=3_600, stop_grace_s=600)
    load = LoadRun(limits, EventPlanner(LoadMix(), seed=1), api, ledger, time.monotonic)
    load.start()
    load.pace(lambda: None)
    wait_until(
        lambda: load.tally.retries["unavailable"] >= 3 and load.in_flight == 3, "the run to reach the expected state"
    )
    load.settle(lambda: None)  # the retry loops see the interrupt, not the hour-long give-up deadline
    ledger.close()
    assert load.tally.outcomes == Counter({"unacknowledged": 3})
    unacknowledged = read_ledgers([tmp_path / "run.ledger"]).unacknowledged
    assert len(unacknowledged) == 3
    assert {e["event_id"] for body in api.bodies for e in body["events"]} <= unacknowledged


def test_a_second_interrupt_abandons_the_requests_in_flight_without_waiting(tmp_path: Path) -> None:
    api = HungApi()
    load, ledger = start_hung_run(tmp_path, api, grace_s=3_600)
    load.interrupt()
    load.abandon()  # what the second Ctrl-C does while settle would still be waiting
    ledger.close()
    assert load.tally.outcomes == Counter({"unacknowledged": 2})
    api.release.set()
    wait_until(lambda: load.tally.requests == 2, "the run to reach the expected state")
    assert len(ledger_lines(tmp_path)) == 2
