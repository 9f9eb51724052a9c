"""SIGKILL the aggregator mid-batch, again and again: exact counts = distinct accepted events.

The aggregator runs as `make up` runs it: the local event-source mapping (a separate process) hosting
the template's handler, on a topic of its own. 100,000 events, 5 % of them client retries of earlier
event ids, are produced first; then the process is killed with SIGKILL while it is applying batches (the
count in Postgres is moving) and restarted, at least 10 times, and finally left to drain.
"""

from __future__ import annotations

import functools
import operator
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pg8000.native
import pytest
import redis
from confluent_kafka import Producer

from customersignal.adapters.hot_store import RedisHotStore
from customersignal.adapters.postgres import connect
from customersignal.settings import PlatformSettings, PostgresSettings
from tests.fixtures.aggregator import NOW, TenantRef, add_tenant, envelope
from tests.fixtures.kafka import group_lag
from tests.support.waits import scaled, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 100_000
KILLS = 10
SCRATCH_REDIS_DB = 14  # this module's own Redis database


@pytest.fixture
def scratch_redis(settings: PlatformSettings) -> Iterator[tuple[str, redis.Redis]]:
    url = settings.redis_url.get_secret_value().rsplit("/", 1)[0] + f"/{SCRATCH_REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url, client
    client.flushdb()
    client.close()


def produce_stream(bootstrap: str, topic: str, tenants: list[TenantRef]) -> int:
    """Produce EVENTS envelopes keyed by tenant; return how many distinct event ids they carry."""
    rng = random.Random(5)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 20})
    sent: list[tuple[bytes, bytes]] = []
    for n in range(EVENTS):
        if sent and rng.random() < 0.05:
            key, value = rng.choice(sent)  # a client retry: the same envelope again, at a new offset
        else:
            ref = rng.choice(tenants)
            at = NOW - timedelta(seconds=rng.uniform(0, 240))
            e = envelope(ref, rng.choice(["signup", "purchase"]), user=f"u{rng.randrange(500)}", at=at)
            key, value = e.kafka_key(), e.kafka_value()
            sent.append((key, value))
        producer.produce(topic, key=key, value=value)
        if n % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(scaled(60)) == 0
    return len(sent)


def counted(db: pg8000.native.Connection) -> int:
    return int(db.run("SELECT COALESCE(sum(event_count), 0) FROM metrics_minute")[0][0])


def rollbacks(db: pg8000.native.Connection) -> int:
    return int(db.run("SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()")[0][0])


def test_sigkill_mid_batch_ten_times_loses_and_doubles_nothing(
    settings: PlatformSettings,
    pg_settings: PostgresSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    scratch_redis: tuple[str, redis.Redis],
    tmp_path: Path,
) -> None:
    db = connect(pg_settings)
    tenants = [add_tenant(db) for _ in range(4)]
    topic, dlq = kafka_topic(4), kafka_topic(1)
    distinct = produce_stream(settings.kafka_bootstrap, topic, tenants)
    redis_url, redis_client = scratch_redis
    env = os.environ | {
        "CS_PG_DATABASE": pg_settings.pg_database,
        "CS_REDIS_URL": redis_url,
        "CS_KAFKA_DLQ_TOPIC": dlq,
        "CS_AGGREGATOR_CONSUMER_GROUP": consumer_group,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "customersignal.local.esm", "--template", str(ROOT / "template.yaml"),
        "--function", "AggregatorSelfManagedFunction", "--topic", topic, "--consumer-group", consumer_group,
        "--log-level", "warning",
    ]  # fmt: skip
    rng = random.Random(9)
    log = (tmp_path / "esm.log").open("ab")
    rollbacks_before = rollbacks(db)
    kills = 0
    # When the aggregator is SIGKILLed while its count is moving, KILLS times, then left to drain
    while True:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            if kills == KILLS or counted(db) >= distinct:
                wait_for(lambda: counted(db), lambda n: n >= distinct, "the aggregator to drain the topic", base_s=300)
                # and to commit every batch: after that nothing is applied again, so the counts below are final
                wait_for(
                    lambda: group_lag(settings.kafka_bootstrap, topic, consumer_group),
                    lambda lag: lag == 0,
                    "the aggregator's commits to reach the end of the topic",
                    base_s=120,
                )
                break
            start = counted(db)
            moved = functools.partial(operator.lt, start)  # moved(n): start < n
            wait_for(lambda: counted(db), moved, "the restarted aggregator to apply a batch", base_s=120)
            time.sleep(rng.uniform(0.0, 0.4))
            process.send_signal(signal.SIGKILL)
            kills += 1
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(timeout=scaled(60))
    # Then every distinct event is counted exactly once, in Postgres and in Redis
    assert kills == KILLS
    assert counted(db) == distinct
    assert db.run("SELECT count(*)::int FROM event_dedup") == [[distinct]]
    assert db.run("SELECT count(*)::int FROM events") == [[distinct]]
    assert db.run("SELECT sum(event_count)::int FROM metrics_day") == [[distinct]]
    hot = RedisHotStore(redis_client)
    in_redis = sum(
        sum(hot.counts(str(ref.tenant_id), kind, NOW - timedelta(minutes=10), NOW + timedelta(minutes=1)).values())
        for ref in tenants
        for kind in ("signup", "purchase")
    )
    assert in_redis == distinct
    # And the kills did land inside transactions (Postgres rolled back the ones they cut short)
    print(f"kills={kills} rollbacks={rollbacks(db) - rollbacks_before}")
    db.close()
