"""`make bench`, dashboard part: the read API's time series and explorer pages over a large data set,
each against the same SQL run directly in the same run, so the API's overhead is visible (issue text:
"10 M raw events, 30 days of minute buckets for 50 event types, 3 tenants: the time-series query for
30 days x 1 min x 10 types at p95 under 100 ms, and an explorer page at p95 under 150 ms"), and issue 18's
funnel of 3 steps over 30 days with a 7-day window (p95 under 2 s; bench/dashboard_funnel.py).

The data set is ``dashboard_data``'s (generated once, minutes; reused afterwards). The API is the local
gateway (``customersignal.local.serve``, one worker, as ``make up`` runs it) on a free port, pointed at the
bench database and at Redis database ``REDIS_DB``, which is flushed first: the hot store is empty, so
every series comes from Postgres (the worst case; a live dashboard reads its last hours from Redis).

For each figure: WARMUP requests, then SAMPLES timed ones, sequential, one client on one keep-alive
connection; client-side latency from sending the request to the last body byte. The API call and its
baselines are interleaved (API, adapter, SQL, API, ...), so drift hits them alike. Baselines:

* SQL: the very statement the adapter runs (captured from it, so it follows the adapter's changes), run
  with pg8000 inside the same tenant transaction (BEGIN; SET LOCAL ROLE cs_tenant; ...; COMMIT) the
  adapter opens, rows left as the driver returns them;
* adapter: ``PostgresMetricsReader.series`` / ``explore_events`` over ``PostgresEventReader`` in this
  process (the SQL plus parsing into the domain's types), with the parameters parsed as the route does.

The 30-day series is also broken down stage by stage in-process (SQL, the adapter's parsing on replayed
rows, the domain, pydantic dump, orjson, the gateway's work) to show where the API's time goes. Timings
are reported, never asserted. Results go to bench/dashboard-results.md and, each figure's API p95 beside
its SQL baseline's, to bench/dashboard-results.json.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
import redis
from bench_results import Figure, Run, code_version, load_average
from dashboard_data import DATABASE, DAYS, TENANTS, TYPES, Dataset, create_dashboard_key, ensure_dataset
from dashboard_funnel import funnel_case
from dashboard_people import person_case
from dashboard_trend import ensure_rollups, trend_cases

from customersignal.adapters.hot_reader import RedisHotReader
from customersignal.adapters.pg_explorer import PostgresEventReader
from customersignal.adapters.pg_metrics_read import PostgresMetricsReader
from customersignal.adapters.pg_people import prepared
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.postgres import connect
from customersignal.domain import dashboard, metrics_read
from customersignal.domain.explorer import parse_event_filter
from customersignal.domain.query_params import QueryParams
from customersignal.domain.timeseries import SeriesPlan, SeriesQuery, parse_series_query, plan_series
from customersignal.local.runtime import LAMBDA_PAYLOAD_LIMIT
from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "dashboard-results.md"
SAMPLES = int(os.environ.get("DASHBOARD_BENCH_SAMPLES", "50"))  # fewer for a quick look
WARMUP = 5
SERIES_TYPES = 10
PAGE_LIMIT = 50
DEEP_PAGE = 20  # next_cursor followed this many times; the page it leads to is timed
# 12-15 belong to integration-test modules (test_pipeline_e2e, dashboard fixture, test_aggregator_kill,
# test_pipeline_cli), which flush them; the bench must not collide with a test run.
REDIS_DB = 11
SERIES_GOAL_MS, EXPLORER_GOAL_MS = 100.0, 150.0
BREAKDOWN_ROUNDS = 11


@dataclass
class Timings:
    samples: list[float] = field(default_factory=list)  # seconds

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.samples, n=20, method="inclusive")[-1] * 1000


@dataclass
class Case:
    """One figure: the API request and its same-run baselines, measured interleaved."""

    name: str
    goal_ms: float | None
    api: Callable[[], object]
    baselines: dict[str, Callable[[], object]]
    status: int = 200  # of the API's first answer
    results: dict[str, Timings] = field(default_factory=dict)

    def run(self) -> None:
        calls = {"API": self.api, **self.baselines}
        self.results = {name: Timings() for name in calls}
        for _ in range(WARMUP):
            for call in calls.values():
                call()
        for _ in range(SAMPLES):
            for name, call in calls.items():
                started = time.perf_counter()
                call()
                self.results[name].samples.append(time.perf_counter() - started)
        api = self.results["API"]
        print(f"  {self.name}: API p50 {api.p50_ms:.1f} ms, p95 {api.p95_ms:.1f} ms", flush=True)


class Client:
    """One keep-alive HTTP/1.1 connection, as a browser tab keeps one to the API."""

    def __init__(self, port: int, secret: str) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self._headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}

    def get(self, path: str, params: dict[str, str] | list[tuple[str, str]]) -> tuple[int, bytes]:
        target = f"{path}?{urllib.parse.urlencode(params)}"
        try:
            return self._get(target)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # the server closes a keep-alive connection idle for 5 s (uvicorn's default): reconnect once
            self._connection.close()
            return self._get(target)

    def _get(self, target: str) -> tuple[int, bytes]:
        self._connection.request("GET", target, headers=self._headers)
        response = self._connection.getresponse()
        return response.status, response.read()

    def get_ok(self, path: str, params: dict[str, str]) -> bytes:
        status, body = self.get(path, params)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        return body

    def close(self) -> None:
        self._connection.close()


# --- the API process ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_api(dataset: Dataset, port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """As tests/fixtures/api.py starts it: the local gateway, one worker, on the bench database."""
    env = {
        **os.environ,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "CS_PG_DATABASE": DATABASE,
        "CS_REDIS_URL": redis_url(dataset.settings),
    }
    command = [sys.executable, "-m", "customersignal.local.serve", "--template", "template.yaml"]
    command += ["--function", "ApiFunction", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_serving(port: int, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/v1/openapi.json")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the API did not answer on port {port}")


def redis_url(settings: PlatformSettings) -> str:
    return settings.redis_url.get_secret_value().rsplit("/", 1)[0] + f"/{REDIS_DB}"


# --- the cases ------------------------------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    params: dict[str, Any]
    rows: Any
    prepared: bool = False  # run as a prepared statement (pg_people's timeline), so the baseline does too


class _Recording:
    """A connection that remembers what it ran (and got back)."""

    def __init__(self, connection: Any, log: list[Statement]) -> None:
        self._connection, self._log = connection, log

    def run(self, sql: str, **params: Any) -> Any:
        rows = self._connection.run(sql, **params)
        self._log.append(Statement(sql, params, rows))
        return rows

    def prepare(self, sql: str) -> Any:
        recording = self

        class Prepared:
            def run(self, **params: Any) -> Any:
                rows = recording._connection.run(sql, **params)
                recording._log.append(Statement(sql, params, rows, prepared=True))
                return rows

        return Prepared()


class _Replaying:
    """A connection that answers the recorded rows again, in order, without Postgres."""

    def __init__(self, statements: list[Statement]) -> None:
        self._next = iter(statements)

    def run(self, sql: str, **params: Any) -> Any:
        return next(self._next).rows

    def prepare(self, sql: str) -> Any:
        replaying = self

        class Prepared:
            def run(self, **params: Any) -> Any:
                return replaying.run(sql, **params)

        return Prepared()


class CapturingDatabase(TenantDatabase):
    """The adapters' ``TenantDatabase``, recording each statement they run, so the SQL baseline is exactly
    their SQL (whatever the adapter builds today), or replaying the recorded rows (``replay``), so the
    adapter's own Python work can be timed without Postgres."""

    def __init__(self, connect: Callable[[], Any], replay: list[Statement] | None = None) -> None:
        super().__init__(connect)
        self.statements: list[Statement] = []
        self._replay = replay

    @contextlib.contextmanager
    def transaction(self, tenant_id: uuid.UUID) -> Iterator[Any]:
        if self._replay is not None:
            yield _Replaying(self._replay)
            return
        with super().transaction(tenant_id) as connection:
            yield _Recording(connection, self.statements)


@dataclass(frozen=True)
class Fixtures:
    dataset: Dataset
    client: Client
    tenant_db: TenantDatabase
    hot: RedisHotReader

    @property
    def tenant(self) -> uuid.UUID:
        return self.dataset.tenants[0]

    def capture(self, call: Callable[[TenantDatabase], object]) -> list[Statement]:
        """The statements ``call`` runs on a database (one it is given)."""
        db = CapturingDatabase(lambda: connect(self.dataset.settings))
        try:
            call(db)
        finally:
            db.close()
        return db.statements

    def raw_sql(self, statement: Statement) -> Callable[[], object]:
        """The baseline: the adapter's statement, in the tenant transaction it opens, rows as pg8000 gives them."""

        def run() -> object:
            with self.tenant_db.transaction(self.tenant) as db:
                if statement.prepared:
                    return prepared(db, statement.sql).run(**statement.params)
                return db.run(statement.sql, **statement.params)

        return run


def one_statement(statements: list[Statement], what: str) -> Statement:
    if len(statements) != 1:
        raise RuntimeError(f"{what} ran {len(statements)} statements; the bench expects one")
    return statements[0]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SeriesShape:
    name: str
    status: int
    body_bytes: int
    points: int
    buckets: int


@dataclass(frozen=True)
class SeriesSpec:
    name: str
    interval: str
    span: timedelta
    goal_ms: float | None


SERIES = (
    SeriesSpec(f"series 30 d x 1 min x {SERIES_TYPES} types", "1m", timedelta(days=30), SERIES_GOAL_MS),
    SeriesSpec(f"series 24 h x 1 min x {SERIES_TYPES} types", "1m", timedelta(hours=24), None),
    SeriesSpec(f"series 30 d x 1 h x {SERIES_TYPES} types", "1h", timedelta(days=30), None),
)


def series_params(fx: Fixtures, spec: SeriesSpec) -> dict[str, str]:
    types = fx.dataset.types[:SERIES_TYPES]  # the most used: every minute has a count
    end = fx.dataset.anchor
    return {"types": ",".join(types), "interval": spec.interval, "from": iso(end - spec.span), "to": iso(end)}


@dataclass(frozen=True)
class SeriesCall:
    """The adapter call the handler makes for these parameters (parsed as the route parses them)."""

    query: SeriesQuery
    plan: SeriesPlan

    @classmethod
    def of(cls, params: dict[str, str]) -> SeriesCall:
        query = parse_series_query(QueryParams(params))
        return cls(query, plan_series(query))

    def __call__(self, tenant: uuid.UUID, db: TenantDatabase) -> object:
        until = self.plan.boundaries_ms[-1]  # the hot store is empty: Postgres answers every bucket
        return PostgresMetricsReader(db).series(tenant, self.query.event_types, "count", self.plan, until)


def series_case(fx: Fixtures, spec: SeriesSpec) -> tuple[Case, SeriesShape]:
    params = series_params(fx, spec)
    call = SeriesCall.of(params)
    statement = one_statement(fx.capture(lambda db: call(fx.tenant, db)), "the series adapter")

    def api() -> tuple[int, bytes]:
        return fx.client.get("/v1/metrics/series", params)

    status, body = api()
    if status == 200:
        answer = orjson.loads(body)
        points, buckets = sum(len(s["v"]) for s in answer["series"]), len(answer["buckets_ms"])
    else:
        print(f"  {spec.name}: the API answers {status} ({body[:200]!r})", flush=True)
        points, buckets = 0, len(call.plan.starts_ms)
    baselines: dict[str, Callable[[], object]] = {
        "adapter": lambda: call(fx.tenant, fx.tenant_db),
        "SQL": fx.raw_sql(statement),
    }
    shape = SeriesShape(spec.name, status, len(body), points, buckets)
    return Case(spec.name, spec.goal_ms, api, baselines, status), shape


class StubMetrics:
    """A ``MetricsReader`` answering from memory, to time the domain's own work without Postgres."""

    def __init__(self, series: Any, freshness: datetime | None) -> None:
        self._series, self._freshness = series, freshness

    def series(self, *_: object, **__: object) -> Any:
        return self._series

    def type_totals(self, *_: object, **__: object) -> dict[str, int]:
        return {}

    def freshness(self, *_: object, **__: object) -> datetime | None:
        return self._freshness


def series_breakdown(fx: Fixtures, spec: SeriesSpec) -> tuple[dict[str, Timings], SeriesShape]:
    """The handler's work for ``spec`` stage by stage, each timed alone in this process on the previous
    stage's output, and the body it makes."""
    call = SeriesCall.of(series_params(fx, spec))
    statements = fx.capture(lambda db: call(fx.tenant, db))
    replay = CapturingDatabase(lambda: connect(fx.dataset.settings), replay=statements)
    reader = PostgresMetricsReader(fx.tenant_db)
    stub = StubMetrics(call(fx.tenant, replay), reader.freshness(fx.tenant))
    now = datetime.now(UTC)
    response = metrics_read.metrics_series(fx.tenant, call.query, store=stub, hot=fx.hot, now=now)
    dumped = response.model_dump_json(by_alias=True).encode()
    text = orjson.dumps(orjson.Fragment(dumped)).decode()
    proxy = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": text}
    stages: dict[str, Callable[[], object]] = {
        "Postgres: the adapter's statement in the tenant transaction, pg8000 (= baseline SQL)": fx.raw_sql(
            one_statement(statements, "the series adapter")
        ),
        "adapter: parsing the rows (replayed, no Postgres)": lambda: call(fx.tenant, replay),
        "adapter: freshness query": lambda: reader.freshness(fx.tenant),
        "domain: plan, hot-store check (Redis GET), series and pydantic models": lambda: metrics_read.metrics_series(
            fx.tenant, call.query, store=stub, hot=fx.hot, now=now
        ),
        "route: pydantic `model_dump_json(by_alias=True).encode()`": lambda: response.model_dump_json(
            by_alias=True
        ).encode(),
        "route: `orjson.dumps(Fragment(body)).decode()`": lambda: orjson.dumps(orjson.Fragment(dumped)).decode(),
        "gateway: `body.encode()`": lambda: text.encode(),
    }
    if len(text) > LAMBDA_PAYLOAD_LIMIT // 2:  # the local gateway measures large answers as Lambda would
        stages["gateway: `json.dumps(proxy result)` (Lambda payload size check)"] = lambda: json.dumps(
            proxy, default=str
        )
    timings = {name: Timings() for name in stages}
    for _ in range(BREAKDOWN_ROUNDS):
        for name, stage in stages.items():
            started = time.perf_counter()
            stage()
            timings[name].samples.append(time.perf_counter() - started)
    points = sum(len(series.v) for series in response.series)
    return timings, SeriesShape(spec.name, 200, len(text.encode()), points, len(response.buckets_ms))


def explorer_cases(fx: Fixtures) -> list[Case]:
    end = fx.dataset.anchor
    start = end - timedelta(hours=24)
    window = {"from": iso(start), "to": iso(end), "limit": str(PAGE_LIMIT)}
    pair = ",".join((fx.dataset.types[2], fx.dataset.types[25]))
    variants = [
        ("explorer first page (24 h)", {}),
        (f"explorer, types={pair}", {"types": pair}),
        ("explorer, user_id (busiest user)", {"user_id": busiest_user(fx, start, end)}),
        (f"explorer, page {DEEP_PAGE + 1} (cursor)", {"cursor": follow_cursor(fx.client, window, DEEP_PAGE)}),
    ]
    return [explorer_case(fx, name, {**window, **extra}) for name, extra in variants]


def explorer_case(fx: Fixtures, name: str, params: dict[str, str]) -> Case:
    where, limit = parse_event_filter(QueryParams(params), datetime.now(UTC))  # as the route parses them

    def adapter(db: TenantDatabase) -> object:
        return dashboard.explore_events(fx.tenant, where, limit, PostgresEventReader(db))

    statement = one_statement(fx.capture(adapter), "the explorer adapter")
    fx.client.get_ok("/v1/events", params)
    return Case(
        name,
        EXPLORER_GOAL_MS,
        lambda: fx.client.get("/v1/events", params),
        {"adapter": lambda: adapter(fx.tenant_db), "SQL": fx.raw_sql(statement)},
    )


def busiest_user(fx: Fixtures, start: datetime, end: datetime) -> str:
    db = connect(fx.dataset.settings)
    try:
        rows = db.run(
            "SELECT user_id FROM events WHERE tenant_id = :t AND occurred_at >= :s AND occurred_at < :e"
            " AND user_id IS NOT NULL GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1",
            t=fx.tenant,
            s=start,
            e=end,
        )
    finally:
        db.close()
    user: str = rows[0][0]
    return user


def follow_cursor(client: Client, params: dict[str, str], pages: int) -> str:
    cursor: str | None = None
    for _ in range(pages):
        page = orjson.loads(client.get_ok("/v1/events", {**params, **({"cursor": cursor} if cursor else {})}))
        cursor = page["next_cursor"]
        if cursor is None:
            raise RuntimeError("the explorer ran out of pages before the deep page")
    assert cursor is not None
    return cursor


# --- the report -----------------------------------------------------------------------------------------


def machine() -> str:
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    cpus = len(os.sched_getaffinity(0))
    return f"nproc {cpus}, {mem_kb / 1024**2:.1f} GiB RAM (MemTotal), {platform.platform()}"


def postgres_info(dataset: Dataset) -> str:
    db = connect(dataset.settings)
    try:
        version = db.run("SHOW server_version")[0][0]
        shared, jit = db.run("SHOW shared_buffers")[0][0], db.run("SHOW jit")[0][0]
    finally:
        db.close()
    return f"PostgreSQL {version} (shared_buffers {shared}, jit {jit}), local, loopback TCP"


def goal_text(goal_ms: float | None) -> str:
    return "" if goal_ms is None else f"p95 < {goal_ms:.0f} ms"


def verdict(case: Case) -> str:
    if case.status != 200:
        return f"**missed** (HTTP {case.status})"
    if case.goal_ms is None:
        return ""
    return "met" if case.results["API"].p95_ms < case.goal_ms else "**missed**"


def figure_rows(case: Case) -> list[str]:
    api = case.results["API"]
    rows = [
        f"| {case.name}: API | {api.p50_ms:.1f} | {api.p95_ms:.1f} | {goal_text(case.goal_ms)} |"
        f" {verdict(case)} | 1.00 |"
    ]
    for name, timings in case.results.items():
        if name != "API":
            rows.append(
                f"| &nbsp;&nbsp;baseline: {name} | {timings.p50_ms:.1f} | {timings.p95_ms:.1f} | | |"
                f" {api.p50_ms / timings.p50_ms:.2f} / {api.p95_ms / timings.p95_ms:.2f} |"
            )
    return rows


def report(
    dataset: Dataset,
    cases: list[Case],
    shapes: list[SeriesShape],
    breakdown: dict[str, Timings],
    in_process: SeriesShape,
    loads: tuple[str, str],
) -> str:
    counts = dataset.counts
    lines = [
        f"Machine: {machine()}; {postgres_info(dataset)}. Load average (1, 5, 15 min) at the start"
        f" {loads[0]}, at the end {loads[1]}: other work on the machine shows in the figures. Code: {code_version()}.",
        "",
        f"Data set (`{DATABASE}`, `bench/dashboard_data.py`): {TENANTS} tenants x {TYPES} event types;"
        f" {counts['events']:,} raw events over {DAYS} days in daily partitions (tenant 1, the one measured,"
        f" holds half); {counts['metrics_minute']:,} minute buckets (every tenant, type and minute; rows in"
        f" time order, as the aggregator writes them), {counts['metrics_hour']:,} hour and"
        f" {counts['metrics_day']:,} day roll-ups; {counts['database_bytes'] / 1024**3:.1f} GiB on disk."
        f" Window: the data set's {DAYS} days, up to {dataset.anchor:%Y-%m-%d %H:%M} UTC, given as explicit"
        " `from`/`to` (the explorer's 24 h are the data set's last day, the API's default range).",
        "",
        f"Redis: database {REDIS_DB}, flushed before the run, so the hot store is empty and every series is"
        " read from Postgres (`sources.hot_from` null): the cold path, the worst case.",
        "",
        f"Latency, client side, {SAMPLES} sequential requests after {WARMUP} warm-ups, one keep-alive"
        " connection, API and baselines interleaved in the same run. SQL = the adapter's statement run with"
        " pg8000 in the same tenant transaction; adapter = the adapter method in-process (SQL + parsing)."
        " Ratio = API / baseline, at p50 / p95. Series types: the 10 most used (every minute non-zero).",
        "",
        "| figure | p50 ms | p95 ms | goal | | ratio API / baseline |",
        "|---|---:|---:|---|---|---:|",
    ]
    for case in cases:
        lines += figure_rows(case)
    lines += [
        "",
        "Series responses:",
        "",
        "| series | HTTP | body bytes | points | buckets |",
        "|---|---:|---:|---:|---:|",
    ]
    for shape in shapes:
        if shape.status == 200 or shape.name != in_process.name:
            lines.append(
                f"| {shape.name} | {shape.status} | {shape.body_bytes:,} | {shape.points:,} | {shape.buckets:,} |"
            )
        else:  # what the handler made, before the gateway refused it
            lines.append(
                f"| {shape.name} | {shape.status}: the body the handler makes is {in_process.body_bytes:,} bytes,"
                f" over Lambda's {LAMBDA_PAYLOAD_LIMIT:,}-byte response limit | {shape.body_bytes:,} |"
                f" {in_process.points:,} | {in_process.buckets:,} |"
            )
    lines += ["", *breakdown_table(cases[0], shapes[0], breakdown)]
    return "\n".join(lines) + "\n"


def breakdown_table(case: Case, shape: SeriesShape, breakdown: dict[str, Timings]) -> list[str]:
    """Where the first series' API time goes: the stages timed alone; the rest is Chalice, gateway, HTTP."""
    api = case.results["API"].p50_ms
    sql = case.results["SQL"]
    rest = api - sum(t.p50_ms for t in breakdown.values())
    note = "; the gateway then discards the body and answers 502" if shape.status == 502 else ""
    return [
        f"Where the time goes, {case.name} (p50 of {BREAKDOWN_ROUNDS} timings of each stage alone, in-process{note}):",
        "",
        "| stage | ms | share of API p50 |",
        "|---|---:|---:|",
        *(f"| {name} | {t.p50_ms:.1f} | {t.p50_ms / api:.0%} |" for name, t in breakdown.items()),
        f"| rest: Chalice, local gateway, uvicorn, HTTP (API p50 - the above) | {rest:.1f} | {rest / api:.0%} |",
        f"| API, client side (from the table above) | {api:.1f} | 100% |",
        "",
        f"The rest is a difference of medians: the SQL alone ranged {min(sql.samples) * 1000:.0f} to"
        f" {max(sql.samples) * 1000:.0f} ms over its {len(sql.samples)} runs in the interleaved measurement.",
    ]


def figures(cases: list[Case]) -> list[Figure]:
    """Each case's API p95 beside the same run's SQL baseline p95 (a refused answer has no value)."""
    result = []
    for case in cases:
        api, sql = case.results["API"], case.results["SQL"]
        goal = "" if case.goal_ms is None else f"< {case.goal_ms:.0f} ms"
        value, note = (api.p95_ms, "") if case.status == 200 else (None, f"the API answered HTTP {case.status}")
        baseline = "the adapter's SQL in the tenant transaction (pg8000), p95"  # the person: its 2 statements
        result.append(Figure(f"{case.name}, API p95", value, "ms", baseline, sql.p95_ms, goal, note))
    return result


def details(cases: list[Case], shapes: list[SeriesShape]) -> dict[str, object]:
    return {
        "samples": SAMPLES,
        "warmup": WARMUP,
        "cases": {
            case.name: {name: {"p50_ms": t.p50_ms, "p95_ms": t.p95_ms} for name, t in case.results.items()}
            | {"status": case.status}
            for case in cases
        },
        "series_shapes": [{"name": s.name, "status": s.status, "body_bytes": s.body_bytes} for s in shapes],
    }


def main() -> int:
    run = Run("dashboard")
    dataset = ensure_dataset()
    with contextlib.closing(connect(dataset.settings)) as db:
        ensure_rollups(db, dataset.tenants[0], dataset.types[0], dataset.anchor)
    load_at_start = load_average()
    secret = create_dashboard_key(dataset)
    hot_client = redis.Redis.from_url(redis_url(dataset.settings))
    hot_client.flushdb()
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="dashboard-bench-api-", suffix=".log", delete=False) as log:
        process = start_api(dataset, port, log)
    tenant_db = TenantDatabase(lambda: connect(dataset.settings))
    client = Client(port, secret)
    try:
        wait_until_serving(port, process)
        print(f"API on port {port} (pid {process.pid}, log {log.name}); measuring ...", flush=True)
        fx = Fixtures(dataset, client, tenant_db, RedisHotReader(hot_client))
        series = [series_case(fx, spec) for spec in SERIES]
        cases = [case for case, _ in series] + explorer_cases(fx) + [person_case(fx, Case)] + trend_cases(fx, Case)
        cases.append(funnel_case(fx, Case))
        for case in cases:
            case.run()
        breakdown, in_process = series_breakdown(fx, SERIES[0])
    finally:
        client.close()
        tenant_db.close()
        process.terminate()
        process.wait(timeout=30)
    shapes = [shape for _, shape in series]
    text = report(dataset, cases, shapes, breakdown, in_process, (load_at_start, load_average()))
    print("\n" + text)
    RESULTS.write_text(f"# Dashboard read benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n\n{text}")
    run.write(figures(cases), details(cases, shapes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
