"""Whatever the aggregator accepts, Postgres accepts: records produced straight to a Kafka topic (not
through the API) with values the envelope schema used to read but Postgres refuses to cast. Before, each
failed its whole batch on every retry and stalled the partition; now each is one dead letter."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pg8000.native
import pytest
from confluent_kafka import Message, Producer
from pg8000.exceptions import DatabaseError

from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.settings import PlatformSettings
from tests.fixtures.aggregator import NOW, TenantRef, add_tenant, envelope

pytestmark = pytest.mark.integration

MakePorts = Callable[..., AggregatorPorts]
HUGE = b"1e1000000"  # JSON allows it, pydantic reads it as inf, jsonb refuses it (numeric overflow)


def good(ref: TenantRef, user: str = "u1") -> bytes:
    return envelope(ref, user=user).kafka_value()


def changed(ref: TenantRef, **changes: Any) -> bytes:
    """A valid envelope of ``ref`` with top-level fields (or ``event__x`` fields of the event) replaced."""
    document = orjson.loads(good(ref))
    for name, value in changes.items():
        if name.startswith("event__"):
            document["event"][name.removeprefix("event__")] = value
        else:
            document[name] = value
    return orjson.dumps(document)


def with_huge_number(ref: TenantRef, where: str) -> bytes:
    value = changed(ref, **{f"event__{where}": {"n": 0}})
    assert value.count(b'{"n":0}') == 1
    return value.replace(b'{"n":0}', b'{"n":' + HUGE + b"}")


def produce_and_consume(
    settings: PlatformSettings, topic: str, values: list[bytes], consume: Callable[..., list[Message]]
) -> list[KafkaRecord]:
    """Produce raw values to a real topic and read them back as the event source mapping would."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "enable.idempotence": True})
    for value in values:
        producer.produce(topic, value, b"key")
    assert producer.flush(30) == 0
    messages = sorted(consume(topic, len(values)), key=lambda m: m.offset() or 0)
    assert [m.value() for m in messages] == values
    return [
        KafkaRecord(topic, m.partition() or 0, m.offset() or 0, m.timestamp()[1], m.key(), m.value(), ())
        for m in messages
    ]


def source_offset(letter: Message) -> int:
    headers = letter.headers()
    assert isinstance(headers, list)
    value = dict(headers)["cs-dlq-source-offset"]
    assert isinstance(value, bytes)
    return int(value)


def counted(db: pg8000.native.Connection) -> tuple[int, int]:
    """(sum of minute counts, raw event rows)."""
    total = db.run("SELECT COALESCE(sum(event_count), 0) FROM metrics_minute")[0][0]
    return int(total), int(db.run("SELECT count(*) FROM events")[0][0])


def test_each_value_postgres_refuses_is_one_dead_letter_and_the_rest_counts_once(
    agg_db: pg8000.native.Connection,
    make_ports: MakePorts,
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    kafka_consume: Callable[..., list[Message]],
) -> None:
    # Given valid events and every shape the lax schema read but Postgres refused, straight on the topic
    ref = add_tenant(agg_db)
    urn_tenant = f"urn:uuid:{ref.tenant_id}"
    values = [
        good(ref, "ann"),
        changed(ref, occurred_at=1765100000),  # Unix seconds as a JSON number
        changed(ref, occurred_at=1765100000000),  # Unix milliseconds
        changed(ref, occurred_at="1765100000"),  # digits in a string: even strict pydantic reads them
        good(ref, "bob"),
        changed(ref, event__event_id="urn:uuid:0b9a8f8e-6d4f-4c1e-9a57-2f9b1d3c4e5f"),
        changed(ref, tenant_id=urn_tenant),
        changed(ref, occurred_at="2026-12-07T10:00:00+20:00"),
        with_huge_number(ref, "properties"),  # pydantic reads inf, which jsonb cannot hold
        with_huge_number(ref, "context"),
        good(ref, "cat"),
        good(ref, "".join(uuid.uuid4().hex for _ in range(100))),  # incompressible, past btree's 2704 bytes
    ]
    records = produce_and_consume(settings, kafka_topic(1), values, kafka_consume)
    ports = make_ports()
    # When the batch is applied
    outcome = apply_batch(records, ports, NOW)
    # Then it commits: the valid events count once, each bad record is one dead letter with its reason
    assert (outcome.counted, outcome.duplicates, outcome.dead_lettered) == (3, 0, 9)
    assert counted(agg_db) == (3, 3)
    letters = agg_db.run(
        "SELECT source_offset, reason_code, tenant_id::text, error_text FROM dead_letters ORDER BY source_offset"
    )
    assert [(o, r) for o, r, _, _ in letters] == [
        (1, "schema_invalid"),
        (2, "schema_invalid"),
        (3, "schema_invalid"),
        (5, "schema_invalid"),
        (6, "schema_invalid"),
        (7, "schema_invalid"),
        (8, "schema_invalid"),
        (9, "schema_invalid"),
        (11, "schema_invalid"),
    ]
    errors = {o: e for o, _, _, e in letters}
    for offset in (1, 2, 3):
        assert errors[offset].startswith("occurred_at: must be ISO 8601 text")
    assert errors[5].startswith("event.event_id: must be a UUID")
    assert errors[6].startswith("tenant_id: must be a UUID")
    assert errors[7].startswith("occurred_at: UTC offset out of range")
    assert errors[11].startswith("event.user_id: must be at most 255 characters")
    for offset, field in ((8, "event.properties"), (9, "event.context")):
        assert errors[offset].startswith(f"{field}: "), errors[offset]
        assert errors[offset].endswith("(JSON has no NaN or Infinity)"), errors[offset]
    assert agg_db.run("SELECT next_offset FROM consumer_offsets") == [[len(values)]]
    # And the DLQ topic holds each letter once
    dlq = kafka_consume(make_ports.dlq_topic, 9)  # type: ignore[attr-defined]
    assert sorted(map(source_offset, dlq)) == [1, 2, 3, 5, 6, 7, 8, 9, 11]
    # And a redelivery of the same batch changes nothing
    again = apply_batch(records, make_ports(), NOW)
    assert (again.counted, again.dead_lettered, again.fenced) == (0, 0, len(values))
    assert counted(agg_db) == (3, 3)
    assert agg_db.run("SELECT count(*) FROM dead_letters") == [[9]]


def test_a_database_error_that_is_not_about_the_values_still_fails_the_batch(
    agg_db: pg8000.native.Connection,
    make_ports: MakePorts,
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    kafka_consume: Callable[..., list[Message]],
) -> None:
    # Given a batch with a refused value, and Postgres failing this tenant's claims with a serialization
    # failure (a trigger raises the real SQLSTATE 40001, as a concurrent transaction would cause it)
    ref = add_tenant(agg_db)
    values = [good(ref, "ann"), with_huge_number(ref, "properties"), good(ref, "bob")]
    records = produce_and_consume(settings, kafka_topic(1), values, kafka_consume)
    agg_db.run(
        "CREATE FUNCTION fail_serialization() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'; END $$"
    )
    agg_db.run(
        "CREATE TRIGGER fail_claims BEFORE INSERT ON event_dedup FOR EACH ROW "
        f"WHEN (NEW.tenant_id = '{ref.tenant_id}') EXECUTE FUNCTION fail_serialization()"
    )
    ports = make_ports()
    # When the batch is applied, it fails as a whole, so the mapping retries it; nothing was written
    with pytest.raises(DatabaseError) as failure:
        apply_batch(records, ports, NOW)
    assert failure.value.args[0]["C"] == "40001"
    assert counted(agg_db) == (0, 0)
    assert agg_db.run("SELECT count(*) FROM dead_letters") == [[0]]
    assert agg_db.run("SELECT count(*) FROM consumer_offsets WHERE next_offset > 0") == [[0]]
    # And once the cause is gone, the retry applies it: two counted, the refused value dead-lettered
    agg_db.run("DROP TRIGGER fail_claims ON event_dedup")
    retry = apply_batch(records, ports, NOW)
    assert (retry.counted, retry.dead_lettered) == (2, 1)
    assert agg_db.run("SELECT source_offset, reason_code FROM dead_letters") == [[1, "schema_invalid"]]


def test_a_value_postgres_still_refuses_is_set_aside_and_the_rest_counts_once(
    agg_db: pg8000.native.Connection,
    make_ports: MakePorts,
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    kafka_consume: Callable[..., list[Message]],
) -> None:
    # Given Postgres refusing a value the decoder cannot know about (a trigger raises the real data
    # exception 22003 for it, as a cast would), in a batch of good events
    ref = add_tenant(agg_db)
    agg_db.run(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'value out of range' USING ERRCODE = '22003'; END $$"
    )
    agg_db.run(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON events FOR EACH ROW "
        "WHEN (NEW.properties ? 'poison') EXECUTE FUNCTION refuse_poison()"
    )
    values = [good(ref, f"u{i}") for i in range(7)]
    for offset in (2, 5):
        values[offset] = changed(ref, event__properties={"poison": True})
    records = produce_and_consume(settings, kafka_topic(1), values, kafka_consume)
    # When the batch is applied
    outcome = apply_batch(records, make_ports(), NOW)
    # Then each refused record is one dead letter in Postgres's words; the others count exactly once
    assert (outcome.counted, outcome.dead_lettered) == (5, 2)
    assert counted(agg_db) == (5, 5)
    letters = agg_db.run("SELECT source_offset, reason_code, tenant_id::text, error_text FROM dead_letters")
    assert sorted((o, r, t) for o, r, t, _ in letters) == [
        (2, "store_refused", str(ref.tenant_id)),
        (5, "store_refused", str(ref.tenant_id)),
    ]
    assert all(e == "Postgres refused a value (22003): value out of range" for *_, e in letters)
    # And the refused records left no claim, no count and no user anywhere
    assert agg_db.run("SELECT count(*) FROM event_dedup") == [[5]]
    assert agg_db.run("SELECT sum(unique_users) FROM metrics_day") == [[5]]
