"""`make bench`, ingestion part: the API through the local gateway, against same-run baselines.

Figures (each beside its baseline and the ratio, per issue 3):
- single-event requests/s with p50/p99 (wrk, 16 connections) vs producing the same pre-built envelopes
  with confluent-kafka directly, one acknowledged produce per request, at the same concurrency;
- events/s with 100-event batches vs the same direct produce, 100 per acknowledgement;
- both vs parse+validate alone (plan_ingest on the same bodies, no I/O), scaled to the machine's cores;
- single events (requests/s, p50 and p99) vs the framework floor: the same gateway, Chalice app and
  middleware answering 401 to a request without a key (log level WARNING, so it writes no line): what a
  request costs before any work;
- the floor vs uvicorn's trivial-response rate: bench/trivial_asgi.py (read the body, answer 200) on the same
  uvicorn options and workers, driven by the same wrk: what any Python ASGI server costs per request.
The whole set is measured ROUNDS times (default 3; BENCH_ROUNDS), every round with its own baselines. Each
figure reports the round whose ratio to its baseline is the median, so value and baseline stay from one
run, and the spread (lowest and highest) of the ratio and of the value over all rounds.
Everything shares the machine's 2 cores with the load generator, as the goals assume. Results go to
bench/ingest-results.md and bench/ingest-results.json (bench/report.py gathers every part's).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from bench_results import Run
from confluent_kafka import Producer
from ingest_figures import figures, write_results
from ingest_load import (
    CONNECTIONS,
    DURATION_S,
    WARMUP_S,
    WORKERS,
    bench_key,
    event,
    run_wrk,
    start_api,
    start_trivial,
    stop,
    write_bodies,
)

from customersignal.adapters.kafka_admin import admin_client, ensure_topics
from customersignal.domain.auth import Principal
from customersignal.domain.ingest import plan_ingest
from customersignal.settings import PlatformSettings

# freshness_bench and alerts_bench import start_api from here
__all__ = ["main", "start_api"]
ROOT = Path(__file__).resolve().parents[1]
ROUNDS = max(3, int(os.environ.get("BENCH_ROUNDS", "3")))
TOPIC = "bench_events"


def _produce_worker(args: tuple[str, str, int, float]) -> int:
    """One process: CONNECTIONS/WORKERS threads, each producing a request's envelopes and waiting for the ack."""
    bootstrap, topic, per_request, seconds = args
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 1})
    envelope = json.dumps({"v": 1, "event": event(0), "tenant_id": str(uuid.uuid4())}).encode()
    deadline = time.monotonic() + seconds

    def loop() -> int:
        sent = 0
        while time.monotonic() < deadline:
            for _ in range(per_request):
                producer.produce(topic, key=b"bench", value=envelope)
            producer.flush(10)
            sent += 1
        return sent

    with ThreadPoolExecutor(CONNECTIONS // WORKERS) as pool:
        return sum(pool.map(lambda _: loop(), range(CONNECTIONS // WORKERS)))


def direct_produce_rps(bootstrap: str, topic: str, per_request: int) -> float:
    with Pool(WORKERS) as pool:
        requests = sum(pool.map(_produce_worker, [(bootstrap, topic, per_request, DURATION_S)] * WORKERS))
    return requests / DURATION_S


def validate_events_per_s(bodies: list[bytes], principal: Principal) -> float:
    """plan_ingest alone on one core, times the cores (what the CPU could do with no I/O and no framework)."""
    received_at = datetime.now(UTC)
    started, events = time.perf_counter(), 0
    while time.perf_counter() - started < 3.0:
        for body in bodies[:500]:
            events += len(plan_ingest(body, principal=principal, received_at=received_at, trace_id="0" * 32).results)
    return (os.cpu_count() or 1) * events / (time.perf_counter() - started)


def measure_api(port: int, key: str, single: Path, batch: Path) -> tuple[dict[str, float], dict[str, float]]:
    api = start_api(TOPIC, port)
    url = f"http://127.0.0.1:{port}/v1/events"
    try:
        # every worker builds its clients (Kafka, boto3, Postgres for the first key lookup) on its first
        # requests: not what a steady load sees, so a short run warms them before anything is measured
        run_wrk(url, key, single, seconds=WARMUP_S)
        return run_wrk(url, key, single), run_wrk(url, key, batch)
    finally:
        stop(api)


def measure_floor(port: int, bodies: Path) -> dict[str, float]:
    """The same server answering 401 to keyless requests, with logging at WARNING: the cost of a request
    that does no work (uvicorn, the API Gateway event, Chalice, the middleware, the error mapping)."""
    api = start_api(TOPIC, port, POWERTOOLS_LOG_LEVEL="WARNING")
    try:
        run_wrk(f"http://127.0.0.1:{port}/v1/events", "", bodies, refused=True, seconds=WARMUP_S)
        return run_wrk(f"http://127.0.0.1:{port}/v1/events", "", bodies, refused=True)
    finally:
        stop(api)


def measure_trivial(port: int, bodies: Path) -> dict[str, float]:
    """uvicorn answering 200 with no work, with the same workers and the same wrk: the floor's floor."""
    server = start_trivial(port)
    try:
        run_wrk(f"http://127.0.0.1:{port}/v1/events", "", bodies, seconds=WARMUP_S)
        return run_wrk(f"http://127.0.0.1:{port}/v1/events", "", bodies)
    finally:
        stop(server)


def one_round(n: int, settings: PlatformSettings, principal: Principal, key: str, scratch: Path) -> dict[str, Any]:
    single_path, batch_path = scratch / "single.ndjson", scratch / "batch.ndjson"
    single_bodies, batch_bodies = write_bodies(single_path, 1), write_bodies(batch_path, 100)
    port = 18_000 + os.getpid() % 1000
    print(f"round {n}: single events and 100-event batches through the gateway ...", flush=True)
    single, batch = measure_api(port, key, single_path, batch_path)
    print(f"round {n}: baselines (framework floor, uvicorn, direct produce, parse+validate) ...", flush=True)
    floor = measure_floor(port, single_path)
    trivial = measure_trivial(port, single_path)
    return {
        "single": single,
        "batch": batch,
        "floor": floor,
        "trivial": trivial,
        "direct_single": direct_produce_rps(settings.kafka_bootstrap, TOPIC, 1),
        "direct_batch": direct_produce_rps(settings.kafka_bootstrap, TOPIC, 100) * 100,
        "validate_single": validate_events_per_s(single_bodies, principal),
        "validate_batch": validate_events_per_s(batch_bodies, principal),
    }


def main() -> int:
    if shutil.which("wrk") is None:
        print("error: wrk is not installed; `make bench` installs it (apt-get install wrk)", file=sys.stderr)
        return 2
    run = Run("ingest")
    settings = PlatformSettings()
    ensure_topics(admin_client(settings.kafka_bootstrap), {TOPIC: 12})
    principal, key = bench_key(settings)
    rounds = []
    with tempfile.TemporaryDirectory() as scratch:
        for n in range(1, ROUNDS + 1):
            rounds.append(one_round(n, settings, principal, key, Path(scratch)))
    write_results(run, figures(rounds), rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
