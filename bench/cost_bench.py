"""`make bench`, cost part: what a million events cost on AWS, from handler time measured here and list prices.

Lambda bills memory (GB) x duration, plus a price per request. Its CPU share grows with memory (1,769 MB is
one vCPU), so a handler's CPU time measured here on one core lasts about CPU x 1769 / MemorySize on a
smaller function; the time spent waiting (Kafka acknowledgements, Postgres, Redis) does not scale. So:

    billed ms = cpu_ms x max(1, 1769 / MemorySize) + (wall_ms - cpu_ms)

Measured in this run:
- the API handler (the Chalice app from template.yaml, called with REST proxy events as API Gateway calls
  it, against the local Kafka and Redis), one invocation at a time: median CPU and wall time per request,
  for a single event and for 100 events per request, and the bytes it writes to stdout (CloudWatch Logs
  ingestion: the JSON logs and EMF metrics), with metrics on as on AWS;
- its same-run baseline, the framework floor: the same handler answering 401 to a request without a key
  (no work: the event, Chalice, the middleware, the error mapping, the per-request fees), so the ratio
  shows what the work adds to what any request costs;
- the aggregator per 1,000-event batch: bench/aggregator-results' same-stack run (aggregator_bench.py
  writes bench/aggregator-batch.json; run it first, as `make bench` does), beside the same batch stored by
  that run's COPY baseline (its wall time billed as is: its CPU share is not measured).
Results go to bench/cost-results.md and bench/cost-results.json.
Prices: us-east-1, x86, on-demand list prices (checked 2026-11): Lambda $0.20 per million requests and
$0.0000166667 per GB-second; API Gateway REST $3.50 per million requests (first 333 M a month), HTTP API
$1.00 (first 300 M; template parameter ApiType=HTTP, same function and events), each API row priced both ways;
CloudWatch
Logs ingestion $0.50 per GB. Free tiers are left out. Fixed monthly costs (MSK, RDS/Aurora, ElastiCache,
NAT) do not depend on the event count: docs/deploy.md lists them.
"""

from __future__ import annotations

import functools
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_results import Figure, Run
from ingest_load import write_bodies

from customersignal.adapters.kafka_admin import admin_client, ensure_topics
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.auth import Scope
from customersignal.local.runtime import LambdaContext
from customersignal.local.serve import load_app, read_spec, template_environment
from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
VCPU_MB = 1769
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_S = 0.0000166667
API_GATEWAY_REST_PER_REQUEST = 3.50 / 1e6
API_GATEWAY_HTTP_PER_REQUEST = 1.00 / 1e6  # HTTP API, first 300 M a month (requests metered per 512 KB)
GATEWAYS = {"REST": API_GATEWAY_REST_PER_REQUEST, "HTTP": API_GATEWAY_HTTP_PER_REQUEST}  # template ApiType
HTTP_SINGLE_EVENT_GOAL = 1.50  # $ per million single-event requests with ApiType=HTTP (issue 16)
LOGS_PER_GB = 0.50
INVOCATIONS = {1: 2000, 100: 200}  # events per request -> invocations measured
MILLION = 1_000_000


@dataclass(frozen=True)
class HandlerTime:
    name: str
    events: int  # per invocation
    memory_mb: int
    cpu_ms: float
    wall_ms: float
    stdout_bytes: float | None  # None: not measured

    @property
    def billed_ms(self) -> float:
        return self.cpu_ms * max(1.0, VCPU_MB / self.memory_mb) + max(0.0, self.wall_ms - self.cpu_ms)

    def cost_per_million_events(self, gateway_per_request: float) -> dict[str, float]:
        invocations = MILLION / self.events
        return {
            "api_gateway": invocations * gateway_per_request,
            "lambda_requests": invocations * LAMBDA_PER_REQUEST,
            "lambda_compute": invocations * (self.memory_mb / 1024) * (self.billed_ms / 1000) * LAMBDA_PER_GB_S,
            "logs": invocations * (self.stdout_bytes or 0.0) / 1e9 * LOGS_PER_GB,
        }


def proxy_event(body: bytes, key: str | None) -> dict[str, Any]:
    """A REST proxy event; ``key`` None sends no Authorization header (the framework floor)."""
    headers = {"Content-Type": "application/json", "Host": "api.example.com"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return {
        "resource": "/v1/events",
        "path": "/v1/events",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/v1/events",
            "httpMethod": "POST",
            "path": "/v1/events",
            "stage": "bench",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def measure(call: Callable[[], dict[str, Any]], invocations: int, status: int = 200) -> tuple[float, float, float]:
    """Median CPU ms and wall ms per invocation, and stdout bytes per invocation (fd 1 sent to a file)."""
    cpu, wall = [], []
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        try:
            for _ in range(invocations):
                wall_started, cpu_started = time.perf_counter(), time.process_time()
                answer = call()
                cpu.append((time.process_time() - cpu_started) * 1000)
                wall.append((time.perf_counter() - wall_started) * 1000)
                assert answer["statusCode"] == status, answer
            sys.stdout.flush()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        written = sink.seek(0, os.SEEK_END)
    return statistics.median(cpu), statistics.median(wall), written / invocations


FLOOR = "API floor (401, no key, no work)"


def api_handler_times(settings: PlatformSettings) -> list[HandlerTime]:
    """The API handler per request (1 and 100 events), and the framework floor as one request per 1 and
    per 100 events (the same measured times)."""
    spec = read_spec(ROOT / "template.yaml", "ApiFunction")
    os.environ.update(template_environment(spec)[0])
    os.environ.update({"CS_KAFKA_EVENTS_TOPIC": "bench_events", "POWERTOOLS_METRICS_DISABLED": "false"})
    ensure_topics(admin_client(settings.kafka_bootstrap), {"bench_events": 12})
    admin = TenantAdmin(lambda: connect(settings))
    slug = f"cost{uuid.uuid4().hex[:6]}"
    admin.create_tenant("Cost benchmark", slug)
    admin.create_project(slug, "Load", "load", rate_limit_per_s=10_000_000, burst=10_000_000)
    _, key = admin.create_key(slug, "load", [Scope.INGEST], "cost bench")
    app = load_app(spec)
    context = LambdaContext("ApiFunction", timeout_s=spec.timeout_s, memory_mb=spec.memory_mb, log_stream_name="b")
    times = []
    with tempfile.TemporaryDirectory() as scratch:
        for per_request, invocations in INVOCATIONS.items():
            bodies = write_bodies(Path(scratch, f"{per_request}.ndjson"), per_request)
            events = iter([proxy_event(b, key.secret) for b in bodies] * (1 + 2 * invocations // len(bodies)))
            invoke = functools.partial(lambda stream: app(next(stream), context), events)
            measure(invoke, invocations // 4)  # warm: connections, caches
            cpu, wall, out = measure(invoke, invocations)
            name = "API, 1 event per request" if per_request == 1 else f"API, {per_request} events per request"
            times.append(HandlerTime(name, per_request, spec.memory_mb, cpu, wall, out))
        bodies = write_bodies(Path(scratch, "floor.ndjson"), 1)
        floor = iter([proxy_event(b, None) for b in bodies] * (1 + 2 * INVOCATIONS[1] // len(bodies)))
        invoke = functools.partial(lambda stream: app(next(stream), context), floor)
        measure(invoke, INVOCATIONS[1] // 4, status=401)
        cpu, wall, out = measure(invoke, INVOCATIONS[1], status=401)
    for per_request in INVOCATIONS:
        name = f"{FLOOR}, 1 request per {per_request} event{'s' if per_request > 1 else ''}"
        times.append(HandlerTime(name, per_request, spec.memory_mb, cpu, wall, out))
    return times


AGGREGATOR, COPY = "aggregator, per 1,000-event batch", "COPY baseline, per 1,000-event batch"


def aggregator_times() -> list[HandlerTime]:
    """The aggregator, and its COPY baseline if aggregator-batch.json has it (runs before this change did not)."""
    batch = json.loads((ROOT / "bench" / "aggregator-batch.json").read_text())
    memory = read_spec(ROOT / "template.yaml", "AggregatorFunction").memory_mb
    # its logs are not measured here (apply_batch runs without the handler's logger): a few lines per batch
    times = [HandlerTime(AGGREGATOR, batch["batch_events"], memory, batch["cpu_ms"], batch["wall_ms"], None)]
    if "copy_wall_ms" in batch:
        times.append(HandlerTime(COPY, batch["batch_events"], memory, 0.0, batch["copy_wall_ms"], None))
    return times


def aggregator_measured_at() -> str:
    modified = (ROOT / "bench" / "aggregator-batch.json").stat().st_mtime
    return f"{datetime.fromtimestamp(modified, UTC):%Y-%m-%d %H:%M} UTC"


def main() -> int:
    if not (ROOT / "bench" / "aggregator-batch.json").is_file():
        print("error: run bench/aggregator_bench.py first (`make bench` does)", file=sys.stderr)
        return 2
    run = Run("cost")
    settings = PlatformSettings()
    print("measuring: API handler time per invocation (single events, 100-event batches, 401 floor) ...", flush=True)
    handlers = [*api_handler_times(settings), *aggregator_times()]
    write_results(run, handlers)
    return 0


def figures(totals: dict[str, float]) -> list[Figure]:
    """Dollars per million events, each beside its same-run baseline."""
    unit, single, batched = "$/M events", "API, 1 event per request", "API, 100 events per request"
    floor_1, floor_100 = f"{FLOOR}, 1 request per 1 event", f"{FLOOR}, 1 request per 100 events"
    http_single, http_floor = f"{single} (ApiType=HTTP)", f"{floor_1} (ApiType=HTTP)"
    aggregator, copy = totals[AGGREGATOR], totals.get(COPY)
    source = f"from aggregator_bench's run of {aggregator_measured_at()} (bench/aggregator-batch.json)"
    no_copy = "" if copy is not None else "no COPY baseline: aggregator-batch.json predates it"
    aggregator_note = "; ".join(filter(None, (source, no_copy)))

    def total(name: str, value: float, floor: str) -> Figure:
        if copy is None:
            return Figure(name, value, unit, note=no_copy)
        return Figure(name, value, unit, f"{floor} + {COPY}", totals[floor] + copy)

    return [
        Figure(single, totals[single], unit, floor_1, totals[floor_1]),
        Figure(batched, totals[batched], unit, floor_100, totals[floor_100]),
        Figure(http_single, totals[http_single], unit, http_floor, totals[http_floor]),
        Figure(AGGREGATOR, aggregator, unit, COPY if copy is not None else "", copy, note=aggregator_note),
        total("ingest + aggregate, 1 event per request", totals[single] + aggregator, floor_1),
        total("ingest + aggregate, 100 events per request", totals[batched] + aggregator, floor_100),
    ]


def write_results(run: Run, handlers: list[HandlerTime]) -> None:
    rows, totals = [], {}
    for h in handlers:
        # REST first, under the row's own name (what the figures and earlier runs compare); then HTTP API
        for api_type, per_request in GATEWAYS.items() if h.name.startswith("API") else [("", 0.0)]:
            name = f"{h.name} (ApiType=HTTP)" if api_type == "HTTP" else h.name
            parts = h.cost_per_million_events(per_request)
            totals[name] = sum(parts.values())
            logged = "-" if h.stdout_bytes is None else f"{h.stdout_bytes:,.0f}"
            rows.append(
                f"| {name} | {h.memory_mb} | {h.cpu_ms:,.2f} | {h.wall_ms:,.2f} | {h.billed_ms:,.2f} |"
                f" {logged} | ${parts['api_gateway']:,.3f} | ${parts['lambda_requests']:,.3f} |"
                f" ${parts['lambda_compute']:,.3f} | ${parts['logs']:,.3f} | **${totals[name]:,.3f}** |"
            )
    aggregate = totals[AGGREGATOR]
    single, batched = totals["API, 1 event per request"], totals["API, 100 events per request"]
    lines = [
        "## AWS cost per million events (us-east-1 list prices; Lambda billed time modelled from this run)",
        "",
        "| handler | memory MB | CPU ms | wall ms | billed ms | stdout bytes | API Gateway | Lambda requests"
        " | Lambda compute | Logs | per million events |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "API rows are priced twice: behind API Gateway REST (ApiType=REST, the default) and, marked"
        " (ApiType=HTTP), behind an HTTP API; the function's work is the same (payload format 1.0).",
        "",
        f"A single event sent alone with ApiType=HTTP: **${totals['API, 1 event per request (ApiType=HTTP)']:,.2f}**"
        f" per million (goal: at most ${HTTP_SINGLE_EVENT_GOAL:,.2f};"
        f" {'met' if totals['API, 1 event per request (ApiType=HTTP)'] <= HTTP_SINGLE_EVENT_GOAL else 'NOT met'}).",
        "",
        f"Ingest + aggregate, per million events: **${single + aggregate:,.2f}** sent one per request,"
        f" **${batched + aggregate:,.2f}** sent 100 per request (before the fixed monthly costs of MSK, the"
        " database, Redis and NAT; docs/deploy.md). The aggregator's log bytes are not measured (`-`): it"
        " writes a few lines per 1,000-event batch.",
        "",
        "Same-run baselines: the API floor is the same handler answering 401 to a request without a key (no"
        " work), measured here; the API rows' ratio to it is what the work adds to what any request costs."
        " The floor logs its refusal as deployed (its stdout bytes above), so a ratio near or below 1 says the"
        " per-request fees dominate and the work costs about what a refused request's log line does."
        f" The aggregator's rows come from aggregator_bench's run of {aggregator_measured_at()}; its baseline"
        " (when that run recorded it) is the same batch at that run's COPY baseline rate, wall time billed as is"
        " (its CPU share is not measured).",
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    out = ROOT / "bench"
    (out / "cost-results.md").write_text(f"# Cost benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n\n{text}")
    document = [asdict(h) | {"billed_ms": h.billed_ms, "per_million_events": totals[h.name]} for h in handlers]
    run.write(figures(totals), {"handlers": document})


if __name__ == "__main__":
    sys.exit(main())
