"""`make bench`, ingestion part: the API through the local gateway, against same-run baselines.

Figures (each beside its baseline and the ratio, per issue 3):
- single-event requests/s with p50/p99 (wrk, 16 connections) vs producing the same pre-built envelopes
  with confluent-kafka directly, one acknowledged produce per request, at the same concurrency;
- events/s with 100-event batches vs the same direct produce, 100 per acknowledgement;
- both vs parse+validate alone (plan_ingest on the same bodies, no I/O), scaled to the 2 worker processes;
- single events (requests/s, p50 and p99) vs the framework floor: the same gateway, Chalice app and
  middleware answering 401 to a request without a key (log level WARNING, so it writes no line): what a
  request costs before any work.
Everything shares the machine's 2 cores with the load generator, as the goals assume. Results go to
bench/ingest-results.md and bench/ingest-results.json (bench/report.py gathers every part's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path

from bench_results import Figure, Run
from confluent_kafka import Producer

from customersignal.adapters.kafka_admin import admin_client, ensure_topics
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.auth import Principal, Scope
from customersignal.domain.ingest import plan_ingest
from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
DURATION_S = int(os.environ.get("BENCH_DURATION_S", "10"))
CONNECTIONS = 16
# the same process/thread layout `make up` uses (infra/local/lib.sh)
WORKERS = int(os.environ.get("CS_API_WORKERS", "3"))
THREADS = int(os.environ.get("CS_API_CONCURRENCY", "2"))
BODIES = 2000
WARMUP_S = 3


def event(n: int) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": ("signup", "checkout_completed", "page_view", "invite_sent")[n % 4],
        "user_id": f"usr_{n % 5000:06d}",
        "timestamp": datetime.now(UTC).isoformat(),
        "properties": {"plan": "pro", "amount": 42.5, "items": n % 7, "coupon": n % 2 == 0, "country": "DE"},
    }


def write_bodies(path: Path, per_request: int) -> list[bytes]:
    bodies = []
    for i in range(BODIES):
        if per_request == 1:
            payload: object = event(i)
        else:
            payload = {"events": [event(i * per_request + j) for j in range(per_request)]}
        bodies.append(json.dumps(payload, separators=(",", ":")).encode())
    path.write_bytes(b"\n".join(bodies) + b"\n")
    return bodies


def run_wrk(url: str, key: str, bodies: Path, *, refused: bool = False, seconds: int = DURATION_S) -> dict[str, float]:
    env = {**os.environ, "BENCH_BODIES": str(bodies), "BENCH_KEY": key}
    script = ROOT / "bench" / "wrk_post.lua"
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    command += ["-s", str(script), url]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(r"BENCH p50_us=(\d+) p99_us=(\d+) requests=(\d+) non2xx=(\d+) errors=(\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match or not rps:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    p50, p99, requests, non2xx, errors = (int(g) for g in match.groups())
    if errors or (non2xx and not refused) or (refused and non2xx != requests):
        raise RuntimeError(f"{non2xx} non-2xx responses and {errors} socket errors: the figures would lie\n{out}")
    return {"rps": float(rps.group(1)), "p50_ms": p50 / 1000, "p99_ms": p99 / 1000, "requests": requests}


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


def start_api(topic: str, port: int, **extra_env: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CS_KAFKA_EVENTS_TOPIC": topic, "POWERTOOLS_METRICS_DISABLED": "true", **extra_env}
    command = [sys.executable, "-m", "customersignal.local.serve", "--template", "template.yaml"]
    command += ["--function", "ApiFunction", "--port", str(port), "--workers", str(WORKERS)]
    command += ["--concurrency", str(THREADS)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            subprocess.run(
                ["curl", "-fsS", f"http://127.0.0.1:{port}/v1/openapi.json"], capture_output=True, check=True
            )
            return process
        except subprocess.CalledProcessError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the API did not start; see `make up` and .state/logs/api.log")


def measure_floor(topic: str, port: int, bodies: Path) -> dict[str, float]:
    """The same server answering 401 to keyless requests, with logging at WARNING: the cost of a request
    that does no work (uvicorn, the API Gateway event, Chalice, the middleware, the error mapping)."""
    api = start_api(topic, port, POWERTOOLS_LOG_LEVEL="WARNING")
    try:
        run_wrk(f"http://127.0.0.1:{port}/v1/events", "", bodies, refused=True, seconds=WARMUP_S)
        return run_wrk(f"http://127.0.0.1:{port}/v1/events", "", bodies, refused=True)
    finally:
        api.terminate()
        api.wait(timeout=15)


def main() -> int:
    if shutil.which("wrk") is None:
        print("error: wrk is not installed; `make bench` installs it (apt-get install wrk)", file=sys.stderr)
        return 2
    run = Run("ingest")
    settings = PlatformSettings()
    topic = "bench_events"
    ensure_topics(admin_client(settings.kafka_bootstrap), {topic: 12})
    admin = TenantAdmin(lambda: connect(settings))
    slug = f"bench{uuid.uuid4().hex[:6]}"
    tenant = admin.create_tenant("Benchmark", slug)
    project = admin.create_project(slug, "Load", "load", rate_limit_per_s=10_000_000, burst=10_000_000)
    info, new_key = admin.create_key(slug, "load", [Scope.INGEST], "bench")
    principal = Principal(info.key_id, tenant.tenant_id, project.project_id, frozenset({Scope.INGEST}), 1e7, 10**7)
    port = 18_000 + os.getpid() % 1000
    with tempfile.TemporaryDirectory() as scratch:
        single_path, batch_path = Path(scratch, "single.ndjson"), Path(scratch, "batch.ndjson")
        single_bodies, batch_bodies = write_bodies(single_path, 1), write_bodies(batch_path, 100)
        url = f"http://127.0.0.1:{port}/v1/events"
        api = start_api(topic, port)
        try:
            # every worker builds its clients (Kafka, boto3, Postgres for the first key lookup) on its first
            # requests: not what a steady load sees, so a short run warms them before anything is measured
            run_wrk(url, new_key.secret, single_path, seconds=WARMUP_S)
            print("measuring: single-event requests through the gateway ...", flush=True)
            single = run_wrk(url, new_key.secret, single_path)
            print("measuring: 100-event batches through the gateway ...", flush=True)
            batch = run_wrk(url, new_key.secret, batch_path)
        finally:
            api.terminate()
            api.wait(timeout=15)
        print("measuring: baselines (direct produce, parse+validate, framework floor) ...", flush=True)
        direct_single = direct_produce_rps(settings.kafka_bootstrap, topic, 1)
        direct_batch = direct_produce_rps(settings.kafka_bootstrap, topic, 100) * 100
        validate_single = validate_events_per_s(single_bodies, principal)
        validate_batch = validate_events_per_s(batch_bodies, principal)
        floor = measure_floor(topic, port, single_path)
    floor_name = "framework floor (401, no work)"
    direct = "direct produce+ack"
    figures = [
        Figure("single-event requests/s", single["rps"], "req/s", direct, direct_single, ">= 3,000 req/s"),
        Figure("single-event requests/s", single["rps"], "req/s", "parse+validate only", validate_single),
        Figure("single-event requests/s", single["rps"], "req/s", floor_name, floor["rps"]),
        Figure("single-event p50", single["p50_ms"], "ms", f"{floor_name}, p50", floor["p50_ms"]),
        Figure("single-event p99", single["p99_ms"], "ms", f"{floor_name}, p99", floor["p99_ms"], "< 25 ms"),
        Figure(
            "batched events/s (100/request)",
            batch["rps"] * 100,
            "events/s",
            direct,
            direct_batch,
            ">= 50,000 events/s",
        ),
        Figure("batched events/s (100/request)", batch["rps"] * 100, "events/s", "parse+validate only", validate_batch),
        Figure("batched p99 (100/request)", batch["p99_ms"], "ms", note="no same-run baseline"),
    ]
    write_results(run, figures, {"single": single, "batch": batch, "floor": floor})
    return 0


def write_results(run: Run, figures: list[Figure], wrk: dict[str, dict[str, float]]) -> None:
    lines = [
        f"## Ingestion (local gateway: {WORKERS} uvicorn workers x {THREADS} threads; wrk, {CONNECTIONS} connections;"
        f" {os.cpu_count()} cores shared by all)",
        "",
        "| figure | value | baseline (same run) | baseline value | ratio | goal |",
        "|---|---:|---|---:|---:|---|",
    ]
    for f in figures:
        base = f"{f.baseline:,.1f}" if f.baseline else ""
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
        lines.append(f"| {f.name} | {f.value or 0:,.1f} {f.unit} | {f.baseline_name} | {base} | {ratio} | {f.goal} |")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    (ROOT / "bench" / "ingest-results.md").write_text(
        f"# Ingestion benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n\n{text}"
    )
    run.write(figures, {"wrk": wrk, "workers": WORKERS, "threads": THREADS, "connections": CONNECTIONS})


if __name__ == "__main__":
    sys.exit(main())
