"""A bounded, paced load run: requests leave on a fixed schedule (``rate`` events per second) into a small
queue that worker threads drain. When the API slows down the queue fills and the pacer waits, so the
generator never piles up unbounded work; it reports how far behind schedule it fell instead.

Each worker sends its request until it gets a final answer, retrying the same body (the same event ids)
after Retry-After, up to ``give_up_after_s``; then its events are recorded as unacknowledged.

A run that reaches its limits ``finish``es: every queued request gets its final answer. An interrupted run
(Ctrl-C) must end within seconds whatever the API is doing, so ``interrupt`` stops the pacer, drops the
queued requests that were never sent, and stops every retry; ``settle`` then gives the attempts in flight a
short grace to be answered and ``abandon``s the rest. An abandoned request may still have been accepted by
the API: its events are recorded as unacknowledged, which the audit allows either way (dedup by event id).
Every acknowledgement received is in the ledger before ``settle`` or ``abandon`` returns, and nothing is
written after.
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
    stop_grace_s: float = 5.0  # after an interrupt: how long the attempts in flight may take to be answered


@dataclass
class Tally:
    """Counters shared by the workers; read by the progress line and the summary."""

    requests: int = 0
    submitted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # accepted / rejected / unacknowledged
    kinds: Counter[str] = field(default_factory=Counter)  # new / resend / invalid
    retries: Counter[str] = field(default_factory=Counter)  # throttled / unavailable / server_error / no_answer
    rejections: Counter[str] = field(default_factory=Counter)  # rejection code -> events
    unsent: int = 0  # events planned and queued but never sent: the run was interrupted first
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
        self._interrupted = threading.Event()
        self._plan_lock = threading.Lock()
        # The requests being sent, by worker. Whoever takes a request out of here (the worker with its answer,
        # or ``abandon``) is the only one who records it, under the lock; once sealed, nothing is recorded.
        self._in_flight: dict[int, list[PlannedEvent]] = {}
        self._flight_lock = threading.Lock()
        self._sealed = False
        self._workers = [threading.Thread(target=self._work, args=(n,), daemon=True) for n in range(limits.workers)]
        self.started = clock()

    def start(self) -> None:
        for worker in self._workers:
            worker.start()

    def pace(self, tick: Callable[[], None], tick_every_s: float = 1.0) -> None:
        """Send on schedule until the limits are reached or the run is interrupted; ``tick`` every second."""
        batch = self._planner.mix.batch
        interval = batch / self.limits.rate
        sent_requests, next_tick = 0, self.started + tick_every_s
        while not self._stop_pacing.is_set() and not self._done(sent_requests * batch):
            due = self.started + sent_requests * interval
            while (now := self._clock()) < due and not self._stop_pacing.is_set():
                next_tick = self._tick_if_due(tick, next_tick, tick_every_s)
                time.sleep(min(due - now, 0.05))
            with self._plan_lock:
                events = self._planner.next_batch()
            # The queue is full while the API is slow or away: keep the progress line going meanwhile.
            while not self._stop_pacing.is_set():
                try:
                    self._queue.put(events, timeout=0.2)
                    break
                except queue.Full:
                    self.tally.behind_s = max(0.0, self._clock() - due)
                    next_tick = self._tick_if_due(tick, next_tick, tick_every_s)
            else:
                self._count_unsent(events)
                return
            self.tally.behind_s = max(0.0, self._clock() - due)
            sent_requests += 1
            next_tick = self._tick_if_due(tick, next_tick, tick_every_s)

    def _tick_if_due(self, tick: Callable[[], None], next_tick: float, every_s: float) -> float:
        if self._clock() < next_tick:
            return next_tick
        tick()
        return next_tick + every_s

    def finish(self, tick: Callable[[], None]) -> None:
        """After ``pace``: let the workers send what is queued and in hand, each to its final answer."""
        self._stop_pacing.set()
        for _ in self._workers:
            self._queue.put(None)
        self._join_workers(tick, deadline=None)
        self._seal()

    def interrupt(self) -> None:
        """Stop sending: no new request leaves, no request is retried, the queued ones are dropped unsent."""
        self._stop_pacing.set()
        self._interrupted.set()
        while True:
            try:
                events = self._queue.get_nowait()
            except queue.Empty:
                break
            if events is not None:
                self._count_unsent(events)

    def settle(self, tick: Callable[[], None]) -> None:
        """After ``interrupt``: wait up to the grace for the attempts in flight, then abandon what is left."""
        self.interrupt()
        for _ in self._workers:
            try:
                self._queue.put_nowait(None)
            except queue.Full:  # a worker is about to take a request and drop it: it exits with the rest
                break
        self._join_workers(tick, deadline=self._clock() + self.limits.stop_grace_s)
        self.abandon()

    def abandon(self) -> None:
        """Record every request still in flight as unacknowledged, now, and write nothing after."""
        self.interrupt()
        with self._flight_lock:
            for events in self._in_flight.values():
                self._record(events, [("unacknowledged", None)] * len(events))
            self._in_flight.clear()
            self._sealed = True

    @property
    def in_flight(self) -> int:
        with self._flight_lock:
            return len(self._in_flight)

    def _join_workers(self, tick: Callable[[], None], deadline: float | None) -> None:
        for worker in self._workers:
            while worker.is_alive() and (deadline is None or self._clock() < deadline):
                worker.join(timeout=0.2 if deadline is not None else 1.0)
                tick()

    def _seal(self) -> None:
        with self._flight_lock:
            self._sealed = True

    def _done(self, submitted: int) -> bool:
        if self.tally.fatal is not None:
            return True
        if self.limits.events is not None and submitted >= self.limits.events:
            return True
        return self.limits.duration_s is not None and self._clock() - self.started >= self.limits.duration_s

    def _work(self, slot: int) -> None:
        while (events := self._queue.get()) is not None:
            if self._interrupted.is_set():
                self._count_unsent(events)
                continue
            with self._flight_lock:
                if self._sealed:
                    return
                self._in_flight[slot] = events
            if self.tally.fatal is not None:
                self._settle(slot, [("unacknowledged", None)] * len(events))
                continue
            self._send(slot, events)

    def _send(self, slot: int, events: list[PlannedEvent]) -> None:
        body = request_body(events)
        deadline = self._clock() + self.limits.give_up_after_s
        attempt = 0
        while True:
            attempt += 1
            verdict = judge(*self._sender.post(body), events=len(events), attempt=attempt)
            with self.tally.lock:
                self.tally.requests += 1
            if isinstance(verdict, Answered):
                self._settle(slot, verdict.outcomes)
                return
            if isinstance(verdict, Fatal):
                self.tally.fatal = verdict.message
                self._settle(slot, [("unacknowledged", None)] * len(events))
                return
            assert isinstance(verdict, Retry)
            with self.tally.lock:
                self.tally.retries[verdict.reason] += 1
            if self._clock() + verdict.after_s > deadline or self._interrupted.wait(verdict.after_s):
                self._settle(slot, [("unacknowledged", None)] * len(events))
                return

    def _settle(self, slot: int, outcomes: Sequence[tuple[str, str | None]]) -> None:
        with self._flight_lock:
            events = self._in_flight.pop(slot, None)
            if events is not None and not self._sealed:
                self._record(events, outcomes)

    def _count_unsent(self, events: list[PlannedEvent]) -> None:
        with self.tally.lock:
            self.tally.unsent += len(events)

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
