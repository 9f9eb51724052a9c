"""`make bench`, freshness part: POST one event through the local API, then time until its minute count
moves in Redis. The whole path runs as `make up` runs it (the API through the local gateway, Kafka, the
local event-source mapping hosting the aggregator handler, Postgres, Redis), on a topic, consumer group
and database of its own. Sequential single events on an otherwise idle stack.

Same-run baseline, interleaved sample by sample (freshness, transit, freshness, ...): Kafka transit on
the same broker, one message at a time from ``produce()`` to the consumer's ``poll()`` returning it, with
the API's producer settings (``reliable_producer_config``: idempotent, acks=all, the same linger) and the
local event-source mapping's consumer settings (``consumer_config``), on a topic of its own with as many
partitions. It is what moving an event through Kafka costs with nothing else on the path; the ratio
shows what the API, the mapping's batching and invocation, the aggregator's Postgres transaction and the
Redis merge add. Results go to bench/freshness-results.md and bench/freshness-results.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from bench_db import migrated_database
from bench_results import Figure, Run
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
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
SAMPLES, WARMUP = 200, 5
PARTITIONS = 12  # as the bench's events topic (and events_raw)
TIMEOUT_S = 60


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


def measure(settings: PlatformSettings, database: str) -> dict[str, list[float]]:
    """Seconds, SAMPLES of each, interleaved: POST -> count visible in Redis ("freshness"), and the Kafka
    transit baseline ("kafka")."""
    bench = settings.model_copy(update={"pg_database": database})
    topic, group = f"bench_fresh_{uuid.uuid4().hex[:6]}", f"bench-fresh-{uuid.uuid4().hex[:6]}"
    ensure_topics(admin_client(settings.kafka_bootstrap), {topic: PARTITIONS})
    admin = TenantAdmin(lambda: connect(bench))
    slug = f"fresh{uuid.uuid4().hex[:6]}"
    tenant = admin.create_tenant("Freshness", slug)
    admin.create_project(slug, "Probe", "probe", rate_limit_per_s=100_000)
    _, key = admin.create_key(slug, "probe", [Scope.INGEST], "freshness")
    admin.close()
    env = {**os.environ, "CS_PG_DATABASE": database, "CS_AGGREGATOR_CONSUMER_GROUP": group}
    env |= {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    os.environ["CS_PG_DATABASE"] = database  # start_api passes os.environ on
    port = 19_000 + os.getpid() % 1000
    transit = KafkaTransit(settings)
    api, esm = start_api(topic, port), start_esm(topic, group, env)
    hot = RedisHotStore(redis.Redis.from_url(settings.redis_url.get_secret_value()))
    url = f"http://127.0.0.1:{port}/v1/events"
    samples: dict[str, list[float]] = {"freshness": [], "kafka": []}
    try:
        for n in range(SAMPLES + WARMUP):  # the first ones warm the path up (imports, connections, group join)
            # the event's minute, or the next one if the server stamps it after a minute boundary
            minute = minute_bucket(datetime.now(UTC))
            buckets = [
                BucketKey(str(tenant.tenant_id), "freshness_probe", minute + timedelta(minutes=m)) for m in (0, 1)
            ]
            before, started = sum(map(hot.count, buckets)), time.monotonic()
            post(url, key.secret, "freshness_probe", n)
            while sum(map(hot.count, buckets)) <= before:
                if time.monotonic() - started > TIMEOUT_S:
                    raise RuntimeError(f"no count in Redis after {TIMEOUT_S} s; see .state/logs/bench-esm.log")
                time.sleep(0.002)
            fresh = time.monotonic() - started
            kafka = transit.probe(str(tenant.tenant_id).encode())
            if n >= WARMUP:
                samples["freshness"].append(fresh)
                samples["kafka"].append(kafka)
    finally:
        for process in (esm, api):
            process.terminate()
            process.wait(timeout=30)
        transit.close()
        os.environ.pop("CS_PG_DATABASE", None)
    return samples


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p99 (the value below which 99 % of the samples lie) and max, in seconds."""
    ordered = sorted(samples)
    return {
        "p50_s": statistics.median(ordered),
        "p99_s": ordered[max(0, int(len(ordered) * 0.99) - 1)],
        "max_s": ordered[-1],
    }


def main() -> int:
    run = Run("freshness")
    settings = migrated_database(PlatformSettings(), DATABASE, fresh=True)
    print(f"measuring: freshness (POST -> count in Redis), {SAMPLES} events, each followed by a Kafka transit ...")
    samples = measure(settings, DATABASE)
    write_results(run, samples)
    return 0


def write_results(run: Run, samples: dict[str, list[float]]) -> None:
    fresh, kafka = percentiles(samples["freshness"]), percentiles(samples["kafka"])
    transit = "Kafka transit, produce -> consume"
    goals = {"p50": "< 1 s", "p99": "< 3 s", "max": ""}
    figures = [
        Figure(f"freshness {q}, POST -> count in Redis", fresh[f"{q}_s"] * 1000, "ms", f"{transit}, {q}",
               kafka[f"{q}_s"] * 1000, goals[q])
        for q in ("p50", "p99", "max")
    ]  # fmt: skip
    ms = {name: {q: f"{v * 1000:,.1f} ms" for q, v in values.items()} for name, values in
          (("fresh", fresh), ("kafka", kafka))}  # fmt: skip
    lines = [
        f"# Freshness benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores, shared by this client, the API (local gateway), the local"
        " event-source mapping with the aggregator, Kafka, Postgres and Redis. Load average at the start"
        f" {run.load_at_start}. {SAMPLES} sequential single events after {WARMUP} warm-ups; each is followed by"
        " one Kafka transit probe (interleaved, so drift hits both alike).",
        "",
        "| figure | p50 | p99 | max | goal |",
        "|---|---:|---:|---:|---|",
        f"| freshness: POST -> count visible in Redis | {ms['fresh']['p50_s']} | {ms['fresh']['p99_s']} |"
        f" {ms['fresh']['max_s']} | p50 < 1 s, p99 < 3 s |",
        f"| baseline: {transit} (same broker, same client settings) | {ms['kafka']['p50_s']} |"
        f" {ms['kafka']['p99_s']} | {ms['kafka']['max_s']} | |",
        "| ratio freshness / transit | " + " | ".join(f"{f.ratio:.1f}" for f in figures if f.ratio) + " | |",
        "",
        "Freshness covers the POST (authentication, validation, the acknowledged produce), the mapping's"
        " fetch and invocation (batching window 0 s, as template.yaml sets it), the aggregator's Postgres"
        " transaction and the Redis merge, and this client's 2 ms polling of Redis. The baseline is one"
        " message through the same broker with the API's producer settings and the mapping's consumer settings,"
        " timed from `produce()` to `poll()` returning it, on a topic of its own: the part of freshness that"
        " Kafka itself takes.",
        "",
    ]
    text = "\n".join(lines)
    print("\n" + text)
    (ROOT / "bench" / "freshness-results.md").write_text(text)
    run.write(figures, {"samples_s": samples, "freshness": fresh, "kafka_transit": kafka})


if __name__ == "__main__":
    sys.exit(main())
