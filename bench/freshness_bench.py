"""`make bench`, freshness part: POST one event through the local API, then time until its minute count
moves in Redis. The whole path runs as `make up` runs it (the API through the local gateway, Kafka, the
local event-source mapping hosting the aggregator handler, Postgres, Redis), on a topic, consumer group
and database of its own. Sequential single events, first on an otherwise idle stack, then while a
background load (bench/background_load.py) carries half of the aggregator's capacity through the same
path (issue 15): by default half the one-stream events/s aggregator_bench measured on its realistic set
just before, in the same `make bench` (bench/aggregator-results.json); ``--load-events-per-s`` sets it.

Same-run baseline, interleaved sample by sample (freshness, transit, freshness, ...): Kafka transit on
the same broker, one message at a time from ``produce()`` to the consumer's ``poll()`` returning it, with
the API's producer settings (``reliable_producer_config``: idempotent, acks=all, the same linger) and the
local event-source mapping's consumer settings (``consumer_config``), on a topic of its own with as many
partitions. It is what moving an event through Kafka costs with nothing else on the path; the ratio
shows what the API, the mapping's batching and invocation, the aggregator's Postgres transaction and the
Redis merge add. Results go to bench/freshness-results.md and bench/freshness-results.json
(freshness_report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from background_load import BackgroundLoad
from bench_db import migrated_database
from bench_results import Run
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from freshness_report import WARMUP, capacity_from, write_results
from ingest_bench import start_api

from customersignal.adapters.hot_store import RedisHotStore
from customersignal.adapters.kafka_admin import admin_client, ensure_topics
from customersignal.adapters.kafka_producer import reliable_producer_config
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.aggregation import BucketKey, minute_bucket
from customersignal.domain.auth import Scope
from customersignal.local.esm.consumer import consumer_config
from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "customersignal_freshness_bench"
SAMPLES = 200
PARTITIONS = 12  # as the bench's events topic (and events_raw)
TIMEOUT_S = 60
LOAD_TENANTS = 4  # the probe's and three more
LOAD_SETTLE_S = 5.0
# the capacity phase: senders with no pause (a rate no sender reaches), counted over a window
FLOOD_EVENTS_PER_S, FLOOD_THREADS = 1_000_000.0, 6
CAPACITY_WINDOW_S = 15.0
DRAIN_TIMEOUT_S = 120.0


def start_esm(topic: str, group: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "customersignal.local.esm", "--template", "template.yaml"]
    command += ["--function", "AggregatorSelfManagedFunction", "--topic", topic, "--consumer-group", group]
    logs = ROOT / ".state" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = (logs / "bench-esm.log").open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def post(url: str, key: str, event_type: str, n: int) -> None:
    body = json.dumps({"event_id": str(uuid.uuid4()), "event_type": event_type, "user_id": f"u{n}"}).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - our own local API
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local API
        response.read()


class KafkaTransit:
    """The baseline: one message produced, then polled until the consumer has it, on the same broker."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.topic = f"bench_transit_{uuid.uuid4().hex[:6]}"
        ensure_topics(admin_client(settings.kafka_bootstrap), {self.topic: PARTITIONS})
        connection = {"bootstrap.servers": settings.kafka_bootstrap}
        self._producer = Producer(reliable_producer_config(settings, connection, "bench-transit"))
        group = f"bench-transit-{uuid.uuid4().hex[:6]}"
        self._consumer = Consumer(consumer_config(settings.kafka_bootstrap, group, "bench-transit", TIMEOUT_S))
        # a fresh topic holds only the probes: read every partition from its start, no group join to wait for
        self._consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])

    def probe(self, key: bytes) -> float:
        value = uuid.uuid4().bytes
        started = time.monotonic()
        self._producer.produce(self.topic, key=key, value=value)
        self._producer.poll(0)
        while True:
            message = self._consumer.poll(0.05)
            if message is not None and message.error() is None and message.value() == value:
                return time.monotonic() - started
            if time.monotonic() - started > TIMEOUT_S:
                raise RuntimeError(f"a message did not come back from Kafka within {TIMEOUT_S} s")

    def close(self) -> None:
        self._producer.flush(10)
        self._consumer.close()


def probe_tenants(bench: PlatformSettings, count: int) -> tuple[uuid.UUID, list[str]]:
    """The probe's tenant and ``count`` API keys: the probe tenant's first, then other tenants' (the load's)."""
    admin = TenantAdmin(lambda: connect(bench))
    keys, probe = [], None
    for n in range(count):
        slug = f"fresh{uuid.uuid4().hex[:6]}"
        tenant = admin.create_tenant("Freshness" if n == 0 else f"Load {n}", slug)
        probe = probe or tenant.tenant_id
        admin.create_project(slug, "Probe", "probe", rate_limit_per_s=100_000)
        keys.append(admin.create_key(slug, "probe", [Scope.INGEST], "freshness")[1].secret)
    admin.close()
    assert probe is not None
    return probe, keys


class Prober:
    """POST one probe event, then poll its minute count in Redis until it moves; each followed by a Kafka
    transit probe (interleaved, so drift and load hit both alike)."""

    def __init__(self, settings: PlatformSettings, url: str, tenant: uuid.UUID, key: str) -> None:
        self.url, self.tenant, self.key = url, tenant, key
        self.hot = RedisHotStore(redis.Redis.from_url(settings.redis_url.get_secret_value()))
        self.transit = KafkaTransit(settings)
        self.posted = 0
        self.fell_behind = False  # a probe under load was not counted within TIMEOUT_S

    def samples(self, count: int, warmup: int = 0, *, under_load: bool = False) -> dict[str, list[float]]:
        """Under load, a probe not counted within TIMEOUT_S ends the sampling: the pipeline has fallen
        behind the load and every later probe would only wait longer. That probe is kept as TIMEOUT_S, a
        lower bound, so the percentiles show it rather than hide it."""
        taken: dict[str, list[float]] = {"freshness": [], "kafka": []}
        for n in range(count + warmup):
            try:
                fresh = self._freshness()
            except TimeoutError:
                if not under_load:
                    raise
                self.fell_behind, fresh = True, float(TIMEOUT_S)
            kafka = self.transit.probe(str(self.tenant).encode())
            if n >= warmup:
                taken["freshness"].append(fresh)
                taken["kafka"].append(kafka)
            if self.fell_behind:
                break
        return taken

    def _freshness(self) -> float:
        # the event's minute, or the next one if the server stamps it after a minute boundary
        minute = minute_bucket(datetime.now(UTC))
        buckets = [BucketKey(str(self.tenant), "freshness_probe", minute + timedelta(minutes=m)) for m in (0, 1)]
        before, started = sum(map(self.hot.count, buckets)), time.monotonic()
        post(self.url, self.key, "freshness_probe", self.posted)
        self.posted += 1
        while sum(map(self.hot.count, buckets)) <= before:
            if time.monotonic() - started > TIMEOUT_S:
                raise TimeoutError(f"no count in Redis after {TIMEOUT_S} s; see .state/logs/bench-esm.log")
            time.sleep(0.002)
        return time.monotonic() - started


def counted_events(bench: PlatformSettings) -> int:
    """Events the aggregator has counted so far: each holds one dedup claim."""
    db = connect(bench)
    try:
        return int(db.run("SELECT count(*) FROM event_dedup")[0][0])
    finally:
        db.close()


def pipeline_capacity(bench: PlatformSettings, port: int, keys: list[str]) -> float:
    """Events/s the whole local pipeline (API, Kafka, mapping, aggregator, on these cores) counts when
    pushed as hard as the load's senders can, measured after a settling period; then waits until the
    backlog is counted, so the probes that follow start from a drained pipeline."""
    flood = BackgroundLoad(port, keys, FLOOD_EVENTS_PER_S, threads=FLOOD_THREADS, seed=99)
    before = counted_events(bench)
    flood.start()
    try:
        time.sleep(LOAD_SETTLE_S)
        started, counted = time.monotonic(), counted_events(bench)
        time.sleep(CAPACITY_WINDOW_S)
        capacity = (counted_events(bench) - counted) / (time.monotonic() - started)
    finally:
        flood.stop()
    _, sent = flood.accepted()
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while counted_events(bench) < before + sent and time.monotonic() < deadline:
        time.sleep(0.5)
    return capacity


def measure(
    settings: PlatformSettings, database: str, load_rate: float | None, share: float, samples: int
) -> dict[str, Any]:
    """Seconds: idle, then under a background load, ``samples`` of each of POST -> count visible in Redis
    ("freshness") and the Kafka transit baseline ("kafka"); and the load achieved. The load is
    ``load_rate``, or (None) ``share`` of the pipeline's capacity measured here first."""
    bench = settings.model_copy(update={"pg_database": database})
    topic, group = f"bench_fresh_{uuid.uuid4().hex[:6]}", f"bench-fresh-{uuid.uuid4().hex[:6]}"
    ensure_topics(admin_client(settings.kafka_bootstrap), {topic: PARTITIONS})
    tenant, keys = probe_tenants(bench, LOAD_TENANTS)
    env = {**os.environ, "CS_PG_DATABASE": database, "CS_AGGREGATOR_CONSUMER_GROUP": group}
    env |= {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    os.environ["CS_PG_DATABASE"] = database  # start_api passes os.environ on
    port = 19_000 + os.getpid() % 1000
    prober = Prober(settings, f"http://127.0.0.1:{port}/v1/events", tenant, keys[0])
    api, esm = start_api(topic, port), start_esm(topic, group, env)
    capacity: float | None = None
    try:
        # the first probes warm the path up (imports, connections, group join)
        idle = prober.samples(samples, WARMUP)
        if load_rate is None:
            capacity = pipeline_capacity(bench, port, keys)
            load_rate = share * capacity
            print(f"pipeline capacity {capacity:,.0f} events/s counted; load {load_rate:,.0f} events/s", flush=True)
        load = BackgroundLoad(port, keys, load_rate)
        print(f"idle done; background load of {load_rate:,.0f} events/s, then {samples} more ...", flush=True)
        load.start()
        time.sleep(LOAD_SETTLE_S)  # let the pipeline reach its pace under the load before sampling
        started, accepted = load.accepted()
        counted = counted_events(bench)
        loaded = prober.samples(samples, under_load=True)
        ended, accepted_end = load.accepted()
        counted_end = counted_events(bench)
    finally:
        if "load" in locals():
            load.stop()
        for process in (esm, api):
            process.terminate()
            process.wait(timeout=30)
        prober.transit.close()
        os.environ.pop("CS_PG_DATABASE", None)
    achieved = (accepted_end - accepted) / (ended - started)
    drained = (counted_end - counted) / (ended - started)
    tally = load.tally
    return {
        "idle": idle,
        "loaded": loaded,
        "load": {"asked_events_per_s": load_rate, "achieved_events_per_s": achieved, "counted_events_per_s": drained,
                 "pipeline_capacity_events_per_s": capacity,
                 "fell_behind": prober.fell_behind, "requests": tally.requests, "failed_requests": tally.failures,
                 "batch": load.batch, "tenants": LOAD_TENANTS},
    }  # fmt: skip


def load_rate(arguments: argparse.Namespace) -> tuple[float | None, str]:
    """The load asked, or None to measure the pipeline's capacity in this run and take a share of it."""
    if arguments.load_events_per_s is not None:
        return arguments.load_events_per_s, "given with --load-events-per-s"
    if arguments.capacity == "pipeline":
        return None, f"{arguments.load_share:g} x the pipeline's capacity, measured in this run"
    path = ROOT / "bench" / "aggregator-results.json"
    try:
        capacity, when = capacity_from(json.loads(path.read_text()), datetime.now(UTC))
    except (OSError, ValueError) as error:
        raise SystemExit(f"error: {error}; run bench/aggregator_bench.py first or give --load-events-per-s") from None
    return arguments.load_share * capacity, (
        f"{arguments.load_share:g} x the aggregator's one-stream {capacity:,.0f} events/s on the realistic set"
        f" (bench/aggregator-results.json, {when})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--load-events-per-s", type=float, help="the background load (default: from the share)")
    parser.add_argument("--load-share", type=float, default=0.5,
                        help="share of the capacity to load the pipeline with")  # fmt: skip
    parser.add_argument("--capacity", choices=("pipeline", "aggregator"), default="pipeline",
                        help="pipeline: what the local API -> Kafka -> mapping -> aggregator counts, measured"
                             " first in this run (default); aggregator: its in-process one-stream rate from"
                             " bench/aggregator-results.json")  # fmt: skip
    parser.add_argument("--samples", type=int, default=SAMPLES, help="probes idle and again under load")
    arguments = parser.parse_args()
    rate, source = load_rate(arguments)
    run = Run("freshness")
    settings = migrated_database(PlatformSettings(), DATABASE, fresh=True)
    asked = "measured first" if rate is None else f"{rate:,.0f} events/s"
    print(f"measuring: freshness (POST -> count in Redis), {arguments.samples} events idle, then under a load of"
          f" {asked} ({source}); each followed by a Kafka transit ...")  # fmt: skip
    measured = measure(settings, DATABASE, rate, arguments.load_share, arguments.samples)
    write_results(run, measured, source, arguments.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
