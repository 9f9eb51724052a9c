"""A paced background load for bench/freshness_bench.py: batches of events POSTed to the local API at a
fixed rate, through the same path the probes take (API -> Kafka -> event-source mapping -> aggregator).

Each sender thread keeps its own schedule (``rate / threads``); when the API answers late the thread sends
its next request at once instead of piling requests up, so the load never exceeds the rate asked and the
rate achieved (events the API accepted per second) is what is reported beside it.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

# most common first (their Zipf rank), as in bench_data's realistic set
LOAD_TYPES = ("page_viewed", "item_viewed", "search_performed", "item_added", "cart_viewed", "checkout_completed")
USERS_PER_TENANT = 500


def load_body(rng: random.Random, events: int, type_weights: Sequence[float]) -> bytes:
    """One request's batch: users from a fixed pool, types by Zipf weight, a few properties."""
    batch = [
        {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_type": rng.choices(LOAD_TYPES, type_weights)[0],
            "user_id": f"load_{rng.randrange(USERS_PER_TENANT):05d}",
            "properties": {"amount": round(rng.uniform(1, 500), 2), "currency": "EUR", "coupon_used": False},
        }
        for _ in range(events)
    ]
    return json.dumps({"events": batch}).encode()


def intervals(rate: float, batch: int, threads: int) -> float:
    """Seconds between one thread's requests so that ``threads`` of them send ``rate`` events/s."""
    if rate <= 0 or batch <= 0 or threads <= 0:
        raise ValueError("rate, batch and threads must be positive")
    return threads * batch / rate


@dataclass
class LoadTally:
    accepted: int = 0
    requests: int = 0
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, accepted: int, failed: bool) -> None:
        with self.lock:
            self.accepted += accepted
            self.requests += 1
            self.failures += int(failed)


class BackgroundLoad:
    """``start()``, then ``accepted()`` at two moments gives the rate achieved between them; ``stop()``."""

    def __init__(
        self, port: int, keys: Sequence[str], rate: float, *, batch: int = 50, threads: int = 4, seed: int = 15
    ) -> None:
        self.port, self.keys, self.rate, self.batch = port, list(keys), rate, batch
        self.interval = intervals(rate, batch, threads)
        self.tally = LoadTally()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(seed + n,), daemon=True) for n in range(threads)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def accepted(self) -> tuple[float, int]:
        with self.tally.lock:
            return time.monotonic(), self.tally.accepted

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _send(self, seed: int) -> None:
        rng = random.Random(seed)
        tenant_weights = [1 / rank**1.1 for rank in range(1, len(self.keys) + 1)]
        type_weights = [1 / rank**1.1 for rank in range(1, len(LOAD_TYPES) + 1)]
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        next_at = time.monotonic() + rng.uniform(0, self.interval)  # threads spread over the first interval
        try:
            while not self._stop.is_set():
                wait = next_at - time.monotonic()
                if wait > 0 and self._stop.wait(wait):
                    break
                next_at = max(next_at + self.interval, time.monotonic())
                key = rng.choices(self.keys, tenant_weights)[0]
                body = load_body(rng, self.batch, type_weights)
                self.tally.add(*self._post(connection, key, body))
        finally:
            connection.close()

    def _post(self, connection: http.client.HTTPConnection, key: str, body: bytes) -> tuple[int, bool]:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        try:
            connection.request("POST", "/v1/events", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()  # reconnects on the next request
            return 0, True
        if response.status != 200:
            return 0, True
        return int(json.loads(answer).get("accepted", 0)), False
