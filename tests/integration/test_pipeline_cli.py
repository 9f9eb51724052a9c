"""`customersignal rebuild-hot`, `dlq list|replay`, `status [--watch]` against the real stores."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pg8000.native
import pytest
import redis
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from customersignal import cli
from customersignal.adapters import pipeline_maintenance
from customersignal.adapters.hot_store import HotKeys, RedisHotStore
from customersignal.domain.aggregation import BucketKey, minute_bucket
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.local.gateway_stats import ResponseCounts, StatsWriter
from customersignal.settings import PlatformSettings, PostgresSettings
from tests.fixtures.aggregator import NOW, TenantRef, add_tenant, envelope, records
from tests.support.waits import scaled

pytestmark = pytest.mark.integration
SCRATCH_REDIS_DB = 15  # only this module uses it, so FLUSHDB here is a real flush that harms no other test


@pytest.fixture
def scratch_redis(settings: PlatformSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    url = settings.redis_url.get_secret_value().rsplit("/", 1)[0] + f"/{SCRATCH_REDIS_DB}"
    monkeypatch.setenv("CS_REDIS_URL", url)
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def cli_env(pg_settings: PostgresSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_PG_DATABASE", pg_settings.pg_database)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rebuild_hot_restores_the_exact_window_after_a_redis_flush(
    cli_env: None,
    scratch_redis: redis.Redis,
    agg_db: pg8000.native.Connection,
    make_ports: Callable[..., AggregatorPorts],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given counted events over three hours, some of them older than the 48 h window
    ref = add_tenant(agg_db)
    hot = RedisHotStore(scratch_redis, HotKeys())
    ports = make_ports(hot_store=hot)
    times = [NOW, NOW - timedelta(minutes=70), NOW - timedelta(hours=49)]
    batch = [envelope(ref, user=f"u{i % 7}", at=times[i % 3]) for i in range(60)]
    apply_batch(records(batch), ports, NOW)
    keys = [BucketKey(str(ref.tenant_id), "signup", minute_bucket(t)) for t in times]
    before = [hot.count(k) for k in keys]
    users_before = hot.unique_users(str(ref.tenant_id), "signup", [k.bucket_start for k in keys[:2]])
    assert before == [20, 20, 0]  # the 49-hour-old bucket is outside the hot window
    # When Redis loses everything, and rebuild-hot runs
    scratch_redis.flushdb()
    assert hot.count(keys[0]) == 0
    code, out, err = run_cli(capsys, "rebuild-hot")
    # Then the window is back, exactly: counts, unique users and the freshness watermark
    assert code == 0, err
    assert "rebuilt the hot window" in out
    assert [hot.count(k) for k in keys] == before
    assert hot.unique_users(str(ref.tenant_id), "signup", [k.bucket_start for k in keys[:2]]) == users_before == 7
    assert hot.freshness([ref.tenant_id]) == {ref.tenant_id: max(e.received_at for e in batch)}


def test_a_dead_letter_is_replayed_once_its_tenant_exists(
    cli_env: None,
    agg_db: pg8000.native.Connection,
    make_ports: Callable[..., AggregatorPorts],
    kafka_topic: Callable[[int], str],
    kafka_consume: Callable[..., list[object]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given an event for a tenant that did not exist yet: a dead letter
    ref = TenantRef(uuid.uuid4(), uuid.uuid4())
    ports = make_ports()
    early = envelope(ref)
    assert apply_batch(records([early]), ports, NOW).dead_lettered == 1
    code, out, _ = run_cli(capsys, "dlq", "list", "--reason", "unknown_tenant")
    assert code == 0
    assert "unknown_tenant" in out
    assert "events_raw/0/0" in out
    # When the tenant is created and the letters are replayed
    agg_db.run(
        "INSERT INTO tenants (id, slug, name) VALUES (:i, :s, 'Late')",
        i=str(ref.tenant_id),
        s=f"late-{uuid.uuid4().hex[:6]}",
    )
    agg_db.run(
        "INSERT INTO projects (id, tenant_id, slug, name) VALUES (:p, :t, 'w', 'W')",
        p=str(ref.project_id),
        t=str(ref.tenant_id),
    )
    topic = kafka_topic(1)
    monkeypatch.setenv("CS_KAFKA_EVENTS_TOPIC", topic)
    code, out, err = run_cli(capsys, "dlq", "replay")
    assert (code, out.strip()) == (0, f"replayed 1 dead letters into {topic}"), err
    # Then the record is in the topic again, marked as a replay, and counts once applied
    [message] = kafka_consume(topic, 1)
    assert dict(message.headers())["cs-replay-of"] == b"events_raw/0/0"  # type: ignore[attr-defined]
    again = KafkaRecord(topic, 0, 0, 0, message.key(), message.value(), tuple(message.headers()))  # type: ignore[attr-defined]
    assert apply_batch([again], ports, NOW).counted == 1
    assert agg_db.run("SELECT status FROM dead_letters") == [["replayed"]]
    # And a second replay finds nothing new
    assert run_cli(capsys, "dlq", "replay")[1].strip() == f"replayed 0 dead letters into {topic}"


def test_status_shows_lag_per_partition_freshness_and_dead_letters(
    cli_env: None,
    settings: PlatformSettings,
    agg_db: pg8000.native.Connection,
    make_ports: Callable[..., AggregatorPorts],
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Given 5 records in partition 0 of 2, of which the group committed 2, one tenant's freshness,
    # and 2 records in the dead-letter topic
    topic, dlq_topic = kafka_topic(2), kafka_topic(1)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for i in range(5):
        producer.produce(topic, value=b"x%d" % i, partition=0)
    for i in range(2):
        producer.produce(dlq_topic, value=b"poison%d" % i)
    assert producer.flush(scaled(10)) == 0
    committer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": consumer_group})
    committer.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
    committer.close()
    ref = add_tenant(agg_db)
    apply_batch(records([envelope(ref)], topic=topic), make_ports(consumer_group=consumer_group), NOW)
    monkeypatch.setenv("CS_KAFKA_EVENTS_TOPIC", topic)
    monkeypatch.setenv("CS_KAFKA_DLQ_TOPIC", dlq_topic)
    monkeypatch.setenv("CS_AGGREGATOR_CONSUMER_GROUP", consumer_group)
    # When status runs (no gateway writes request counts into this folder)
    code, out, err = run_cli(capsys, "status", "--stats-dir", str(tmp_path))
    # Then it shows the lag (5 - 2 = 3), the Postgres fence, the tenant's freshness and the dead letters
    assert code == 0, err
    assert "total lag 3 records" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line[:1].isdigit()}
    assert lines["0"] == ["0", "5", "2", "1", "3"]
    assert lines["1"] == ["1", "0", "-", "-", "0"]
    assert "COMPLETE UP TO" in out
    assert "BEHIND" in out
    assert "API: no local gateway reports request counts" in out
    assert f"dead letters: 0 new in the table (customersignal dlq list), 2 records in {dlq_topic}" in out


def test_status_watch_reports_live_request_rates_until_its_count(
    cli_env: None,
    kafka_topic: Callable[[int], str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Given a gateway worker (this process) answering requests and writing its counts as the gateway does
    monkeypatch.setenv("CS_KAFKA_EVENTS_TOPIC", kafka_topic(1))
    counts = ResponseCounts()
    writer = StatsWriter(tmp_path, counts)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            for _ in range(10):
                counts.count(200)
            counts.count(429)
            writer.write()
            time.sleep(0.05)

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        # When status watches every 0.5 s for two reports
        code, out, err = run_cli(capsys, "status", "--watch", "0.5", "--count", "2", "--stats-dir", str(tmp_path))
    finally:
        stop.set()
        worker.join(timeout=5)
    # Then it printed two reports, each with a positive request rate split by status class
    assert code == 0, err
    reports = [line for line in out.splitlines() if line.startswith("API: ")]
    assert len(reports) == 2, out
    for report in reports:
        total = float(report.split()[1].replace(",", ""))
        assert total > 0, report
        assert "2xx" in report
        assert "4xx" in report
        assert "1 workers" in report


def test_maintain_prunes_past_the_dedup_window_and_keeps_everything_inside_it(
    cli_env: None,
    agg_db: pg8000.native.Connection,
    make_ports: Callable[..., AggregatorPorts],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given events counted 9 days ago (past the 8-day window) and 6 days ago (inside it)
    monkeypatch.setattr(pipeline_maintenance, "CHUNK", 7)  # several chunks per table
    ref = add_tenant(agg_db)
    old, recent = NOW - timedelta(days=9), NOW - timedelta(days=6)
    old_events = [envelope(ref, user=f"o{i}", at=old, received=old) for i in range(20)]
    recent_events = [envelope(ref, user=f"r{i}", at=recent, received=recent) for i in range(5)]
    ports = make_ports()
    apply_batch(records([*old_events, *recent_events]), ports, NOW)
    # When maintain runs
    code, out, err = run_cli(capsys, "maintain")
    # Then old claims are gone, recent ones stay, and the counts and unique-user sketches are untouched
    assert code == 0, err
    assert "event_dedup 20" in out
    assert agg_db.run("SELECT count(*)::int FROM event_dedup") == [[5]]
    assert agg_db.run(
        "SELECT sum(event_count)::int, sum(unique_users)::int, sum(hll_cardinality(users))::int FROM metrics_day"
    ) == [[25, 25, 25]]
    # And a retry of a recent event is still recognised as a duplicate
    assert apply_batch(records([recent_events[0]], first_offset=100), ports, NOW).duplicates == 1


def test_maintain_drops_raw_event_partitions_past_the_retention_only(
    cli_env: None,
    agg_db: pg8000.native.Connection,
    make_ports: Callable[..., AggregatorPorts],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given daily partitions from 20 to 5 days ago, and one event counted 15 days ago and one 9 days ago
    today = datetime.now(UTC).date()
    agg_db.run("SELECT ensure_event_partitions(:a, :b)", a=today - timedelta(days=20), b=today - timedelta(days=5))
    ref = add_tenant(agg_db)
    at_15, at_9 = (datetime.now(UTC) - timedelta(days=d) for d in (15, 9))
    apply_batch(records([envelope(ref, at=at_15, received=at_15), envelope(ref, at=at_9, received=at_9)]),
                make_ports(), datetime.now(UTC))  # fmt: skip
    # When a retention shorter than the lateness horizon is asked for: refused, nothing dropped
    code, _, err = run_cli(capsys, "maintain", "--events-retention-days", "3")
    assert code == 2
    assert "at least 8 days" in err
    # When maintain runs with a 10-day retention
    code, out, err = run_cli(capsys, "maintain", "--events-retention-days", "10")
    # Then partitions of days before today - 10 are gone, with their event; the rest stay
    assert code == 0, err
    left = {name for (name,) in agg_db.run(pipeline_maintenance.EVENT_PARTITIONS)}
    oldest_kept = today - timedelta(days=10)
    assert f"events_p{oldest_kept:%Y%m%d}" in left
    assert f"events_p{oldest_kept - timedelta(days=1):%Y%m%d}" not in left
    assert not any(name < f"events_p{oldest_kept:%Y%m%d}" for name in left)
    assert agg_db.run("SELECT count(*)::int FROM events") == [[1]]
    assert "partitions dropped (retention): events_p" in out
    # And the counts, which live in the metrics tables, keep both events
    assert agg_db.run("SELECT sum(event_count)::int FROM metrics_day") == [[2]]


def test_topics_checks_then_creates_both_topics_with_their_partitions(
    settings: PlatformSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given fresh names for both topics (nothing exists yet)
    events, dlq = f"it-events-{uuid.uuid4().hex[:8]}", f"it-dlq-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CS_KAFKA_EVENTS_TOPIC", events)
    monkeypatch.setenv("CS_KAFKA_DLQ_TOPIC", dlq)
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    try:
        # When checked first: refused, with what to do
        code, out, err = run_cli(capsys, "topics", "--check")
        assert code == 1
        assert f"{events}: 0 partitions (wants 12)" in out
        assert "run without --check to create them" in err
        # When created (one broker here: one replica), then checked again
        code, out, err = run_cli(capsys, "topics", "--replication-factor", "1")
        assert code == 0, err
        code, out, err = run_cli(capsys, "topics", "--check")
        # Then both exist with the partitions topology.py declares
        assert code == 0, err
        assert f"{events}: 12 partitions (wants 12)" in out
        assert f"{dlq}: 3 partitions (wants 3)" in out
    finally:
        for future in admin.delete_topics([events, dlq], operation_timeout=scaled(30)).values():
            with contextlib.suppress(KafkaException):
                future.result()
