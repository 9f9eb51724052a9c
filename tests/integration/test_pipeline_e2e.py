"""The whole path as `make up` runs it: HTTP API -> Kafka -> local event-source mapping -> aggregator
handler -> Postgres and Redis, with exact counts, a client retry, a refused event and a Segment call."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pg8000.native
import pytest
import redis

from customersignal.adapters.hot_store import RedisHotStore
from customersignal.adapters.postgres import connect
from customersignal.settings import PlatformSettings
from tests.fixtures.api import ApiServer
from tests.fixtures.kafka import group_lag
from tests.fixtures.pipeline import running_esm
from tests.integration.test_api_ingest import event, post
from tests.support.waits import wait_for

pytestmark = pytest.mark.integration

SCRATCH_REDIS_DB = 12  # this module's own Redis database


@pytest.fixture
def pipeline(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    tmp_path: Path,
) -> Iterator[tuple[ApiServer, redis.Redis]]:
    """An API on its own topic and database, and the local event-source mapping feeding the aggregator."""
    api = api_server_factory({})
    with running_esm(
        api,
        settings,
        redis_db=SCRATCH_REDIS_DB,
        dlq_topic=kafka_topic(1),
        consumer_group=consumer_group,
        log=tmp_path / "esm.log",
    ) as client:
        yield api, client


def counted(db: pg8000.native.Connection) -> int:
    return int(db.run("SELECT COALESCE(sum(event_count), 0) FROM metrics_minute")[0][0])


def test_posted_events_are_counted_exactly_once_in_postgres_and_redis(
    pipeline: tuple[ApiServer, redis.Redis], settings: PlatformSettings, consumer_group: str
) -> None:
    api, client = pipeline
    slug = api.new_tenant()
    key = api.key(slug)
    tenant = str(api.tenants[slug])
    # Given 40 signups by 8 users and one refused event, then the same request again (a client retry),
    # and one Segment track call
    batch = [event(user_id=f"u{i % 8}") for i in range(40)]
    status, _, body = post(api, {"events": [*batch, {"event_type": "signup"}]}, key=key)
    assert status == 200
    assert [r["status"] for r in body["results"]].count("accepted") == 40
    assert post(api, {"events": batch}, key=key)[0] == 200
    segment = {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": str(uuid.uuid4())}
    assert post(api, segment, key=key, path="/v1/track")[0] == 200
    # When the pipeline has caught up
    db = connect(api.database)
    wait_for(lambda: counted(db), lambda n: n >= 41, "41 events counted in Postgres", base_s=60)
    # and has committed every record it was sent (the retried request included): nothing is applied after this
    lag = lambda: group_lag(settings.kafka_bootstrap, api.topic, consumer_group)  # noqa: E731
    wait_for(lag, lambda n: n == 0, "the mapping's commits to reach the end of the topic", base_s=60)
    # Then Postgres counts each accepted event once, with exact unique users, and stores each once
    rows = dict(db.run("SELECT event_type, sum(event_count)::int FROM metrics_minute GROUP BY 1"))
    assert rows == {"signup": 40, "Order Completed": 1}
    assert db.run("SELECT sum(unique_users)::int FROM metrics_day WHERE event_type = 'signup'") == [[8]]
    assert db.run("SELECT count(*)::int FROM events") == [[41]]
    assert sorted(r[0] for r in db.run("SELECT name FROM event_types")) == ["Order Completed", "signup"]
    # And Redis has the same counts and users, and the tenant's freshness watermark
    hot = RedisHotStore(client)
    now = datetime.now(UTC)
    counts = hot.counts(tenant, "signup", now - timedelta(hours=1), now + timedelta(minutes=1))
    assert sum(counts.values()) == 40
    assert hot.unique_users(tenant, "signup", counts) == 8
    assert list(hot.freshness([uuid.UUID(tenant)])) == [uuid.UUID(tenant)]
    db.close()
