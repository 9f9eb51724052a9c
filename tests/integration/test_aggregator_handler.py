"""The aggregator function as template.yaml declares it, called with real ESM events of both shapes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pg8000.native
import pytest
import redis

from customersignal.domain.aggregation import minute_bucket
from customersignal.local.esm.events import RecordData, kafka_event
from customersignal.local.runtime import LambdaContext, import_handler, new_log_stream_name
from customersignal.local.template import function_spec, load_template
from customersignal.settings import PostgresSettings
from tests.fixtures.aggregator import NOW, add_tenant, envelope

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MSK_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/cs/0b8f1b7e-1111-2222-3333-444455556666-1"


@pytest.fixture
def handler(
    pg_settings: PostgresSettings,
    kafka_topic: Callable[[int], str],
    monkeypatch: pytest.MonkeyPatch,
    redis_client: redis.Redis,
) -> Iterator[Callable[[dict[str, Any]], Any]]:
    """The template's aggregator handler, its settings pointed at this test's database and DLQ topic."""
    monkeypatch.setenv("CS_PG_DATABASE", pg_settings.pg_database)
    monkeypatch.setenv("CS_KAFKA_DLQ_TOPIC", kafka_topic(1))
    monkeypatch.setenv("CS_AGGREGATOR_CONSUMER_GROUP", f"test-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    spec = function_spec(load_template(ROOT / "template.yaml"), "AggregatorSelfManagedFunction", base_dir=ROOT)
    function = import_handler(spec)
    from aggregator_deps import get_ports  # importable now: CodeUri is on sys.path

    get_ports.cache_clear()
    context = LambdaContext(
        spec.logical_id, timeout_s=spec.timeout_s, memory_mb=spec.memory_mb, log_stream_name=new_log_stream_name()
    )
    yield lambda event: function(event, context)
    ports = get_ports()
    ports.store.close()  # type: ignore[attr-defined]
    ports.dead_letters.close()  # type: ignore[attr-defined]
    get_ports.cache_clear()


@pytest.mark.parametrize("source", ["self-managed", "msk"])
def test_the_handler_counts_an_esm_batch_and_answers_with_no_failed_items(
    source: str, handler: Callable[[dict[str, Any]], Any], agg_db: pg8000.native.Connection, redis_client: redis.Redis
) -> None:
    # Given an event-source-mapping event from two partitions of a topic whose name has dashes
    ref = add_tenant(agg_db)
    data = [
        RecordData(
            "events-raw-x",
            p,
            o,
            1_700_000_000_000,
            envelope(ref).kafka_value(),
            str(ref.tenant_id).encode(),
            (("cs-schema", b"1"), ("traceparent", "é".encode())),
        )
        for p in (0, 3)
        for o in (7, 8)
    ]
    event = kafka_event(data, source=source, bootstrap_servers="b-1:9092", event_source_arn=MSK_ARN)  # type: ignore[arg-type]
    # When the handler runs, twice (a retried delivery)
    first = handler(event)
    second = handler(event)
    # Then it reports no failed item and the four events are counted once
    assert first == second == {"batchItemFailures": []}
    rows = agg_db.run("SELECT bucket_start, event_count FROM metrics_minute")
    assert rows == [[minute_bucket(NOW), 4]]
    assert sorted(agg_db.run("SELECT partition, next_offset FROM consumer_offsets")) == [[0, 9], [3, 9]]
    for key in redis_client.scan_iter(match=f"cs:{{{ref.tenant_id}}}*"):
        redis_client.delete(key)


def test_an_event_that_is_not_a_kafka_batch_fails_the_invocation(handler: Callable[[dict[str, Any]], Any]) -> None:
    from customersignal.domain.kafka_records import MalformedEvent

    with pytest.raises(MalformedEvent):
        handler({"eventSource": "aws:sqs", "Records": []})


def test_values_postgres_refuses_are_dead_letters_and_the_batch_reports_no_failure(
    handler: Callable[[dict[str, Any]], Any], agg_db: pg8000.native.Connection, redis_client: redis.Redis
) -> None:
    # Given an ESM batch with a valid event, a Unix-time occurred_at, a urn:uuid: event id, and a number
    # jsonb cannot hold (pydantic reads 1e1000000 as infinity)
    ref = add_tenant(agg_db)
    valid = [envelope(ref).kafka_value() for _ in range(4)]  # four event ids
    values = [
        valid[0],
        orjson.dumps(orjson.loads(valid[1]) | {"occurred_at": 1765100000}),
        valid[2].replace(b'"event_id":"', b'"event_id":"urn:uuid:', 1),
        valid[3].replace(b'"properties":{}', b'"properties":{"n":1e1000000}', 1),
    ]
    assert not set(values[2:]) & set(valid)  # both replacements hit
    data = [RecordData("events_raw", 0, o, 1_700_000_000_000, v, None, ()) for o, v in enumerate(values)]
    event = kafka_event(data, source="self-managed", bootstrap_servers="b-1:9092", event_source_arn=MSK_ARN)
    # When the handler runs, twice (a retried delivery)
    assert handler(event) == handler(event) == {"batchItemFailures": []}
    # Then the valid event counts once and each other record is one dead letter
    assert agg_db.run("SELECT sum(event_count) FROM metrics_minute") == [[1]]
    letters = agg_db.run("SELECT source_offset, reason_code FROM dead_letters ORDER BY 1")
    assert letters == [[1, "schema_invalid"], [2, "schema_invalid"], [3, "schema_invalid"]]
    for key in redis_client.scan_iter(match=f"cs:{{{ref.tenant_id}}}*"):
        redis_client.delete(key)
