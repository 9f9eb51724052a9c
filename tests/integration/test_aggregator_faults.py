"""Faults lose nothing and double-count nothing: exact counts = distinct accepted events.

- A Postgres restart in the middle of a stream of batches (a scratch Postgres of our own, so the
  restart disturbs no other test). Each failed batch is retried as the event-source mapping would.
- (The SIGKILL, Redis-flush and poison-record faults are in test_aggregator_kill.py,
  test_pipeline_cli.py and test_aggregator_batches.py.)
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from customersignal.adapters.hot_store import HotKeys, RedisHotStore
from customersignal.adapters.kafka_dlq import KafkaDeadLetterPublisher
from customersignal.adapters.pg_aggregation import PostgresAggregationStore
from customersignal.adapters.postgres import connect
from customersignal.domain.aggregation import BucketKey, minute_bucket
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.domain.envelope import Envelope
from customersignal.settings import PlatformSettings
from tests.fixtures.aggregator import NOW, add_tenant, envelope, records
from tests.fixtures.aws import free_port
from tests.fixtures.services import ROOT, STACK
from tests.support.waits import Deadline, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch_postgres(settings: PlatformSettings) -> Iterator[tuple[PlatformSettings, dict[str, str]]]:
    """A Postgres of our own (own port and data folder), migrated, with the stack's scripts."""
    state = Path(tempfile.mkdtemp(prefix="cs-pg-fault-", dir="/var/tmp"))
    state.chmod(0o755)
    port = free_port()
    env = {**os.environ, "CS_STATE_DIR": str(state), "CS_PG_PORT": str(port)}
    started = subprocess.run([STACK, "up", "postgres"], env=env, capture_output=True, text=True, check=False)
    assert started.returncode == 0, started.stdout + started.stderr
    own = settings.model_copy(update={"pg_port": port})
    alembic = [sys.executable, "-m", "alembic", "-c", "migrations/alembic.ini"]
    subprocess.run([*alembic, "-x", f"url={own.sqlalchemy_url()}", "upgrade", "head"], cwd=ROOT, check=True)
    yield own, env
    subprocess.run([STACK, "down", "postgres"], env=env, capture_output=True, check=False)
    shutil.rmtree(state, ignore_errors=True)


def test_a_postgres_restart_mid_stream_loses_and_doubles_nothing(
    scratch_postgres: tuple[PlatformSettings, dict[str, str]],
    redis_client: redis.Redis,
    hot_keys: HotKeys,
) -> None:
    own, env = scratch_postgres
    db = connect(own)
    ref = add_tenant(db)
    # Given 60 batches of 100 events, 5 % of them client retries of earlier events
    rng = random.Random(11)
    stream: list[Envelope] = []
    for _ in range(6000):
        stream.append(
            rng.choice(stream) if stream and rng.random() < 0.05 else envelope(ref, user=f"u{rng.randrange(300)}")
        )
    distinct = len({e.event.event_id for e in stream})
    users = len({e.event.user_id for e in stream})
    store = PostgresAggregationStore(lambda: connect(own), statement_timeout_ms=10_000)
    dlq = KafkaDeadLetterPublisher(own, {"bootstrap.servers": own.kafka_bootstrap}, client_id="test-faults")
    ports = AggregatorPorts(store, dlq, RedisHotStore(redis_client, hot_keys), "test-faults")
    failures: list[str] = []
    stopped = threading.Event()

    def restart_postgres() -> None:
        time.sleep(0.5)
        for action in ("down", "up"):
            done = subprocess.run([STACK, action, "postgres"], env=env, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            stopped.set()

    # When Postgres restarts while the batches are applied, each failed batch retried until it succeeds
    restarter = threading.Thread(target=restart_postgres)
    restarter.start()
    for n in range(60):
        if n == 30 and not failures:
            # a machine too busy to have run the restart yet: the second half of the stream runs into it
            wait_until(stopped.is_set, "the restart to stop Postgres", base_s=60)
        batch = records(stream[n * 100 : (n + 1) * 100], first_offset=n * 100)
        deadline = Deadline(120)
        while True:
            try:
                apply_batch(batch, ports, NOW)
                break
            except Exception as error:  # noqa: BLE001 - the mapping retries on any function error
                failures.append(type(error).__name__)
                assert not deadline.expired(), f"batch {n} never succeeded in {deadline.describe()}: {failures[-5:]}"
                time.sleep(0.2)
        time.sleep(0.02)
    restarter.join()
    store.close()
    dlq.close()
    # Then some batches failed, and the counts are exact anyway, in Postgres and in Redis
    assert failures, "the restart did not interrupt any batch: the test proved nothing"
    db = connect(own)
    assert db.run("SELECT sum(event_count)::int FROM metrics_minute") == [[distinct]]
    assert db.run("SELECT count(*)::int FROM events") == [[distinct]]
    assert db.run("SELECT sum(event_count)::int FROM metrics_day") == [[distinct]]
    # (unique users too: a sketch re-adds a user idempotently, and a rolled-back batch left no register set)
    for grain in ("minute", "hour", "day"):
        assert db.run(f"SELECT sum(unique_users)::int FROM metrics_{grain}") == [[users]], grain  # noqa: S608
    hot = RedisHotStore(redis_client, hot_keys)
    assert hot.count(BucketKey(str(ref.tenant_id), "signup", minute_bucket(NOW))) == distinct
    db.close()
