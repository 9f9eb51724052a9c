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
    load.stop()
    load.drain(lambda: None)
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


def test_abandoning_records_the_retried_events_as_unacknowledged(tmp_path: Path) -> None:
    api = ScriptedApi(outages=10**9)  # Kafka never comes back
    ledger = LedgerWriter(tmp_path / "run.ledger")
    load = LoadRun(
        RunLimits(rate=100, events=3, workers=3), EventPlanner(LoadMix(), seed=1), api, ledger, time.monotonic
    )
    load.start()
    load.pace(lambda: None)
    load.abandon()
    load.drain(lambda: None)
    ledger.close()
    assert load.tally.outcomes == Counter({"unacknowledged": 3})
    unacknowledged = read_ledgers([tmp_path / "run.ledger"]).unacknowledged
    assert len(unacknowledged) == 3
    assert {e["event_id"] for body in api.bodies for e in body["events"]} <= unacknowledged
