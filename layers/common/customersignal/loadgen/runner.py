"""A bounded, paced load run: requests leave on a fixed schedule (``rate`` events per second) into a small
queue that worker threads drain. When the API slows down the queue fills and the pacer waits, so the
generator never piles up unbounded work; it reports how far behind schedule it fell instead.

Each worker sends its request until it gets a final answer, retrying the same body (the same event ids)
after Retry-After, up to ``give_up_after_s``; then its events are recorded as unacknowledged.
Stopping (Ctrl-C): the pacer stops at once, workers finish the request in hand, and the ledger has every
acknowledgement received. A second stop abandons the retries (their events: unacknowledged).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from customersignal.loadgen.ledger import LedgerWriter
from customersignal.loadgen.plan import EventPlanner, PlannedEvent, request_body
from customersignal.loadgen.verdicts import Answered, Fatal, Retry, judge


class Sender(Protocol):
    def post(self, body: dict[str, Any]) -> tuple[int | None, dict[str, str], Any]: ...


@dataclass(frozen=True, slots=True)
class RunLimits:
    rate: float  # events per second
    events: int | None = None  # stop after this many event submissions
    duration_s: float | None = None
    workers: int = 8
    give_up_after_s: float = 120.0


@dataclass
class Tally:
    """Counters shared by the workers; read by the progress line and the summary."""

    requests: int = 0
    submitted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # accepted / rejected / unacknowledged
    kinds: Counter[str] = field(default_factory=Counter)  # new / resend / invalid
    retries: Counter[str] = field(default_factory=Counter)  # throttled / unavailable / server_error / no_answer
    rejections: Counter[str] = field(default_factory=Counter)  # rejection code -> events
    behind_s: float = 0.0
    fatal: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class LoadRun:
    def __init__(
        self, limits: RunLimits, planner: EventPlanner, sender: Sender, ledger: LedgerWriter, clock: Callable[[], float]
    ) -> None:
        self.limits = limits
        self.tally = Tally()
        self._planner = planner
        self._sender = sender
        self._ledger = ledger
        self._clock = clock
        self._queue: queue.Queue[list[PlannedEvent] | None] = queue.Queue(maxsize=limits.workers * 2)
        self._stop_pacing = threading.Event()
        self._abandon = threading.Event()
        self._plan_lock = threading.Lock()
        self._workers = [threading.Thread(target=self._work, daemon=True) for _ in range(limits.workers)]
        self.started = clock()

    def start(self) -> None:
        for worker in self._workers:
            worker.start()

    def pace(self, tick: Callable[[], None], tick_every_s: float = 1.0) -> None:
        """Send on schedule until the limits are reached or ``stop`` is called; ``tick`` between sends."""
        batch = self._planner.mix.batch
        interval = batch / self.limits.rate
        sent_requests, next_tick = 0, self.started + tick_every_s
        while not self._stop_pacing.is_set() and not self._done(sent_requests * batch):
            due = self.started + sent_requests * interval
            while (now := self._clock()) < due and not self._stop_pacing.is_set():
                if now >= next_tick:
                    tick()
                    next_tick += tick_every_s
                time.sleep(min(due - now, 0.05))
            with self._plan_lock:
                events = self._planner.next_batch()
            self._queue.put(events)
            self.tally.behind_s = max(0.0, self._clock() - due)
            sent_requests += 1
            if self._clock() >= next_tick:
                tick()
                next_tick += tick_every_s

    def stop(self) -> None:
        self._stop_pacing.set()

    def abandon(self) -> None:
        self._stop_pacing.set()
        self._abandon.set()

    def drain(self, tick: Callable[[], None]) -> None:
        """Let the workers finish what is queued and in hand; ``tick`` every second meanwhile."""
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            while worker.is_alive():
                worker.join(timeout=1.0)
                tick()

    def _done(self, submitted: int) -> bool:
        if self.tally.fatal is not None:
            return True
        if self.limits.events is not None and submitted >= self.limits.events:
            return True
        return self.limits.duration_s is not None and self._clock() - self.started >= self.limits.duration_s

    def _work(self) -> None:
        while (events := self._queue.get()) is not None:
            if self._abandon.is_set() or self.tally.fatal is not None:
                self._record(events, [("unacknowledged", None)] * len(events))
                continue
            self._send(events)

    def _send(self, events: list[PlannedEvent]) -> None:
        body = request_body(events)
        deadline = self._clock() + self.limits.give_up_after_s
        attempt = 0
        while True:
            attempt += 1
            verdict = judge(*self._sender.post(body), events=len(events), attempt=attempt)
            with self.tally.lock:
                self.tally.requests += 1
            if isinstance(verdict, Answered):
                self._record(events, verdict.outcomes)
                return
            if isinstance(verdict, Fatal):
                self.tally.fatal = verdict.message
                self._record(events, [("unacknowledged", None)] * len(events))
                return
            assert isinstance(verdict, Retry)
            with self.tally.lock:
                self.tally.retries[verdict.reason] += 1
            if self._clock() + verdict.after_s > deadline or self._abandon.wait(verdict.after_s):
                self._record(events, [("unacknowledged", None)] * len(events))
                return

    def _record(self, events: list[PlannedEvent], outcomes: Sequence[tuple[str, str | None]]) -> None:
        rows = [(e, outcome, code) for e, (outcome, code) in zip(events, outcomes, strict=True)]
        self._ledger.record(rows)
        with self._plan_lock:
            for event, outcome, _ in rows:
                if outcome == "accepted":
                    self._planner.acknowledged(event)
        with self.tally.lock:
            self.tally.submitted += len(rows)
            for event, outcome, code in rows:
                self.tally.outcomes[outcome] += 1
                self.tally.kinds[event.kind] += 1
                if code:
                    self.tally.rejections[code] += 1
