"""The ingest benchmark's load tools: request bodies, wrk, and the servers it drives (the API through the local
gateway, and a trivial ASGI app on bare uvicorn). Shared by ingest_bench, ingest_profile and cost_bench."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.auth import Principal, Scope
from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
DURATION_S = int(os.environ.get("BENCH_DURATION_S", "10"))
CONNECTIONS = 16
# the same process/thread layout `make up` uses (infra/local/lib.sh)
WORKERS = int(os.environ.get("CS_API_WORKERS", "3"))
THREADS = int(os.environ.get("CS_API_CONCURRENCY", "2"))
BODIES = 2000
WARMUP_S = 3
# a server on a busy machine may take a while to import; each try is one curl
START_TRIES = 300


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
        bodies.append(orjson.dumps(payload))
    path.write_bytes(b"\n".join(bodies) + b"\n")
    return bodies


def bench_key(settings: PlatformSettings) -> tuple[Principal, str]:
    """A fresh tenant, project (no practical rate limit) and ingest key: its principal and its secret."""
    admin = TenantAdmin(lambda: connect(settings))
    slug = f"bench{uuid.uuid4().hex[:6]}"
    tenant = admin.create_tenant("Benchmark", slug)
    project = admin.create_project(slug, "Load", "load", rate_limit_per_s=10_000_000, burst=10_000_000)
    info, new_key = admin.create_key(slug, "load", [Scope.INGEST], "bench")
    principal = Principal(info.key_id, tenant.tenant_id, project.project_id, frozenset({Scope.INGEST}), 1e7, 10**7)
    return principal, new_key.secret


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


def _started(process: subprocess.Popen[bytes], probe: str, what: str) -> subprocess.Popen[bytes]:
    for _ in range(START_TRIES):
        if process.poll() is not None:
            break
        if subprocess.run(["curl", "-fsS", "-o", "/dev/null", probe], capture_output=True).returncode == 0:
            return process
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{what} did not start")


def start_api(
    topic: str, port: int, *, workers: int = WORKERS, threads: int = THREADS, **extra_env: str
) -> subprocess.Popen[bytes]:
    """The API as `make up` serves it (template.yaml's ApiFunction behind the local gateway)."""
    env = {**os.environ, "CS_KAFKA_EVENTS_TOPIC": topic, "POWERTOOLS_METRICS_DISABLED": "true", **extra_env}
    command = [sys.executable, "-m", "customersignal.local.serve", "--template", "template.yaml"]
    command += ["--function", "ApiFunction", "--port", str(port), "--workers", str(workers)]
    command += ["--concurrency", str(threads)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _started(process, f"http://127.0.0.1:{port}/v1/openapi.json", "the API (see `make up`, .state/logs/api.log)")


def start_trivial(port: int, *, workers: int = WORKERS) -> subprocess.Popen[bytes]:
    """bench/trivial_asgi.py on uvicorn with the gateway's server options (uvloop, httptools, no access log)."""
    command = [sys.executable, "-m", "uvicorn", "trivial_asgi:app", "--app-dir", str(ROOT / "bench")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--loop", "uvloop"]
    command += ["--http", "httptools", "--no-access-log", "--no-server-header", "--lifespan", "off"]
    command += ["--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _started(process, f"http://127.0.0.1:{port}/", "uvicorn with bench/trivial_asgi.py")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
