"""The event publisher against the real broker: acknowledged means stored, and a dead broker is a clear
``Unavailable`` rather than a silent loss."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from customersignal.adapters.kafka_auth import client_config
from customersignal.adapters.kafka_producer import KafkaEventPublisher
from customersignal.domain.envelope import Envelope, EnvelopedEvent
from customersignal.domain.errors import Unavailable
from customersignal.settings import KafkaSettings, PlatformSettings
from tests.fixtures.aws import free_port
from tests.fixtures.kafka import read_topic

pytestmark = pytest.mark.integration

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def envelope(tenant: uuid.UUID, n: int) -> Envelope:
    now = datetime(2026, 11, 27, 12, 0, n, tzinfo=UTC)
    return Envelope(
        tenant_id=tenant,
        project_id=uuid.uuid4(),
        received_at=now,
        occurred_at=now,
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        event=EnvelopedEvent(event_id=uuid.uuid4(), event_type="signup", user_id=f"u{n}", properties={"n": n}),
    )


def publisher_for(settings: KafkaSettings) -> KafkaEventPublisher:
    return KafkaEventPublisher(settings, client_config(settings, region="us-east-1"))


def test_published_envelopes_arrive_byte_for_byte_keyed_by_tenant_with_headers(
    kafka_topic: Callable[[int], str], settings: PlatformSettings
) -> None:
    # Given a publisher on a fresh 4-partition topic and envelopes of two tenants
    topic = kafka_topic(4)
    kafka = settings.model_copy(update={"kafka_events_topic": topic})
    tenants = [uuid.uuid4(), uuid.uuid4()]
    sent = [envelope(tenants[n % 2], n) for n in range(10)]
    # When they are published
    publisher_for(kafka).publish(sent, traceparent=TRACEPARENT)
    # Then the topic holds exactly those bytes, keyed by tenant, with traceparent and schema headers
    received = read_topic(settings.kafka_bootstrap, topic, len(sent))
    assert sorted(m.value() or b"" for m in received) == sorted(e.kafka_value() for e in sent)
    for message in received:
        parsed = Envelope.model_validate_json(message.value() or b"")
        assert message.key() == str(parsed.tenant_id).encode()
        assert dict(message.headers() or []) == {"traceparent": TRACEPARENT.encode(), "cs-schema": b"1"}
    partitions_by_tenant = {t: {m.partition() for m in received if m.key() == str(t).encode()} for t in tenants}
    assert all(len(p) == 1 for p in partitions_by_tenant.values())


def test_an_unreachable_broker_raises_unavailable_instead_of_acknowledging() -> None:
    # Given a publisher whose broker is a closed port, with a short produce timeout
    kafka = KafkaSettings(kafka_bootstrap=f"127.0.0.1:{free_port()}", kafka_produce_timeout_ms=500)
    publisher = publisher_for(kafka)
    # When it publishes / Then it refuses to pretend, and says to retry
    with pytest.raises(Unavailable) as refused:
        publisher.publish([envelope(uuid.uuid4(), 1)], traceparent=TRACEPARENT)
    publisher.close(timeout_s=0)  # stop its threads: no reconnect attempts to a dead port after the test
    assert refused.value.code == "kafka_unavailable"
    assert refused.value.retry_after_s > 0


def test_publishing_nothing_is_a_no_op(settings: PlatformSettings) -> None:
    publisher_for(settings).publish([], traceparent=TRACEPARENT)
