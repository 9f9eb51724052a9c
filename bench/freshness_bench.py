"""`make bench`, freshness part: POST one event through the local API, then time until its minute count
moves in Redis. The whole path runs as `make up` runs it (the API through the local gateway, Kafka, the
local event-source mapping hosting the aggregator handler, Postgres, Redis), on a topic, consumer group
and database of its own. Sequential single events on an otherwise idle stack.
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
from ingest_bench import start_api

from customersignal.adapters.hot_store import RedisHotStore
from customersignal.adapters.kafka_admin import admin_client, ensure_topics
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.aggregation import BucketKey, minute_bucket
from customersignal.domain.auth import Scope
from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 200


def start_esm(topic: str, group: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "customersignal.local.esm", "--template", "template.yaml"]
    command += ["--function", "AggregatorSelfManagedFunction", "--topic", topic, "--consumer-group", group]
    log = (ROOT / ".state" / "logs" / "bench-esm.log").open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def post(url: str, key: str, event_type: str, n: int) -> None:
    body = json.dumps({"event_id": str(uuid.uuid4()), "event_type": event_type, "user_id": f"u{n}"}).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - our own local API
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local API
        response.read()


def measure(settings: PlatformSettings, database: str) -> dict[str, float]:
    """POST -> count visible in Redis, in seconds: p50, p99, max over SAMPLES sequential events."""
    bench = settings.model_copy(update={"pg_database": database})
    topic, group = f"bench_fresh_{uuid.uuid4().hex[:6]}", f"bench-fresh-{uuid.uuid4().hex[:6]}"
    ensure_topics(admin_client(settings.kafka_bootstrap), {topic: 12})
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
    api, esm = start_api(topic, port), start_esm(topic, group, env)
    hot = RedisHotStore(redis.Redis.from_url(settings.redis_url.get_secret_value()))
    url, latencies = f"http://127.0.0.1:{port}/v1/events", []
    try:
        for n in range(SAMPLES + 5):  # the first 5 warm the path up (imports, connections, group join)
            # the event's minute, or the next one if the server stamps it after a minute boundary
            minute = minute_bucket(datetime.now(UTC))
            buckets = [
                BucketKey(str(tenant.tenant_id), "freshness_probe", minute + timedelta(minutes=m)) for m in (0, 1)
            ]
            before, started = sum(map(hot.count, buckets)), time.monotonic()
            post(url, key.secret, "freshness_probe", n)
            while sum(map(hot.count, buckets)) <= before:
                if time.monotonic() - started > 60:
                    raise RuntimeError("an event did not reach Redis within 60 s; see .state/logs/bench-esm.log")
                time.sleep(0.002)
            if n >= 5:
                latencies.append(time.monotonic() - started)
    finally:
        for process in (esm, api):
            process.terminate()
            process.wait(timeout=30)
        os.environ.pop("CS_PG_DATABASE", None)
    latencies.sort()
    return {
        "p50_s": statistics.median(latencies),
        "p99_s": latencies[int(len(latencies) * 0.99) - 1],
        "max_s": latencies[-1],
    }
