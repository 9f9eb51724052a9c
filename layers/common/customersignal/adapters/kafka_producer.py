"""The event publisher: confluent-kafka, idempotent (acks=all), keyed by tenant.

A tenant with a spread above 1 (domain/spread.py) is keyed by tenant and slot, and its records name their
partition, which needs the topic's partition count: read from the broker's metadata on first use and
again at most once a minute, so partitions added to the topic are used within a minute.

``publish`` returns only when the broker has acknowledged every envelope of the call. Anything else
(a delivery error, the local queue full, no acknowledgement within the produce timeout, or within a second
while librdkafka reports every broker down) raises ``Unavailable``: the API then answers 503 with
Retry-After and acknowledges nothing. Messages still queued after a timeout
may reach Kafka later; that is safe, because the client retries with the same event ids and the
aggregator deduplicates on (tenant, event_id).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from customersignal.domain.envelope import (
    SCHEMA_HEADER,
    SCHEMA_VERSION,
    TRACEPARENT_HEADER,
    Envelope,
    EnvelopeEncoder,
)
from customersignal.domain.errors import Unavailable
from customersignal.domain.spread import slot_of, slot_partition
from customersignal.settings import KafkaSettings

RETRY_AFTER_S = 5
_SCHEMA = str(SCHEMA_VERSION).encode()
# How long a request waits for acknowledgements while librdkafka reports every broker down: long enough
# for a broker that just came back (reconnect within 1 s), short enough that a dead one costs each caller
# a second, not the whole produce timeout, and the API's workers are not all held waiting meanwhile.
BROKERS_DOWN_WAIT_S = 1.0
PARTITION_COUNT_TTL_S = 60.0
UNASSIGNED = -1  # librdkafka's RD_KAFKA_PARTITION_UA: let the configured partitioner choose


class _BrokerWatch:
    """Whether librdkafka last said that every broker is down; a delivery in time says otherwise."""

    def __init__(self) -> None:
        self.all_down = threading.Event()

    def on_error(self, error: KafkaError) -> None:
        if error.code() == KafkaError._ALL_BROKERS_DOWN:
            self.all_down.set()


class _Deliveries:
    """Delivery reports for one publish call (several calls may share the producer across threads).

    ``done`` is a plain lock, taken here and released by the last report: waiting is one ``acquire`` with a
    timeout, where an ``Event`` would build a Condition and a waiter lock for every call.
    """

    def __init__(self, expected: int) -> None:
        self.pending = expected
        self.errors: list[KafkaError] = []
        self.done = threading.Lock()
        self.done.acquire()
        self._count = threading.Lock()  # reports arrive on the delivery thread, or on close()'s flush

    def on_delivery(self, error: KafkaError | None, _message: Message) -> None:
        with self._count:
            self.pending -= 1
            if error is not None:
                self.errors.append(error)
            if self.pending == 0:
                self.done.release()

    def wait(self, timeout_s: float) -> bool:
        return self.done.acquire(timeout=timeout_s)


def reliable_producer_config(settings: KafkaSettings, connection: dict[str, Any], client_id: str) -> dict[str, Any]:
    """Producer settings for messages that must not be lost, duplicated by retries, or reordered."""
    return connection | {
        "client.id": client_id,
        "enable.idempotence": True,  # forces acks=all and safe retries without reordering
        "acks": "all",
        "linger.ms": settings.kafka_linger_ms,
        "compression.type": "lz4",
        # below the API's own deadline, so a dead broker turns into a 503 and not a gateway timeout
        "message.timeout.ms": settings.kafka_produce_timeout_ms,
        "enable.metrics.push": False,
        # after a broker restart, reconnect within a second instead of librdkafka's 10 s backoff cap
        "reconnect.backoff.max.ms": 1000,
        "log_level": 3,
    }


class KafkaEventPublisher:
    """Build once per container: the producer's connections and idempotence state outlive requests."""

    def __init__(
        self, settings: KafkaSettings, connection: dict[str, Any], *, client_id: str = "customersignal-api"
    ) -> None:
        """``connection``: bootstrap servers and auth, from ``kafka_auth.client_config``."""
        self._topic = settings.kafka_events_topic
        self._timeout_s = settings.kafka_produce_timeout_ms / 1000
        self._brokers = _BrokerWatch()
        config = reliable_producer_config(settings, connection, client_id)
        self._producer = Producer(config | {"error_cb": self._brokers.on_error})
        # One thread serves delivery reports for every caller. Waiting with flush() instead would wait for
        # the whole queue, other requests' messages included, which under steady load rarely drains: each
        # request would wait for its neighbours. (On Lambda the thread is frozen between invocations, and
        # runs while one waits.)
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._serve_deliveries, name="kafka-deliveries", daemon=True)
        self._poller.start()
        self._partition_lock = threading.Lock()
        self._partition_count = (0, float("-inf"))  # (count, time.monotonic() when read)

    def _serve_deliveries(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.05)

    def publish(self, envelopes: Sequence[Envelope], *, traceparent: str, spread: int = 1) -> None:
        if not envelopes:
            return
        deliveries = _Deliveries(len(envelopes))
        headers: list[tuple[str, str | bytes | None]] = [
            (TRACEPARENT_HEADER, traceparent.encode()),
            (SCHEMA_HEADER, _SCHEMA),
        ]
        produce, topic, reported = self._producer.produce, self._topic, deliveries.on_delivery
        encoder = EnvelopeEncoder()  # the request's shared fields serialised once, not per envelope
        try:
            partitions = self._partitions() if spread > 1 else 0
            for envelope in envelopes:
                partition = UNASSIGNED  # spread 1: the partitioner places the bare tenant key, as it always did
                if partitions:
                    slot = slot_of(envelope.event.event_id, spread)
                    partition = slot_partition(envelope.tenant_id, slot, partitions)
                value, key = encoder.record(envelope, spread)
                produce(topic, value, key, partition=partition, headers=headers, on_delivery=reported)
        except (BufferError, KafkaException) as exc:
            raise Unavailable(
                "kafka_unavailable", f"could not queue events for Kafka: {exc}", None, RETRY_AFTER_S
            ) from exc
        # No poll(0) here: produce() wakes librdkafka's broker thread itself, the delivery thread serves the
        # reports, and a poll here released and retook the GIL (in a profile, a tenth of a request's samples)
        wait_s = min(self._timeout_s, BROKERS_DOWN_WAIT_S) if self._brokers.all_down.is_set() else self._timeout_s
        if deliveries.wait(wait_s) and not deliveries.errors:
            if self._brokers.all_down.is_set():
                self._brokers.all_down.clear()
        else:
            reason = deliveries.errors[0].str() if deliveries.errors else "no acknowledgement in time"
            raise Unavailable(
                "kafka_unavailable",
                f"Kafka did not acknowledge the events ({reason}); nothing was accepted, retry later",
                None,
                RETRY_AFTER_S,
            )

    def _partitions(self) -> int:
        """The topic's partition count (cached); raises ``KafkaException`` when the broker cannot say."""
        with self._partition_lock:
            count, read_at = self._partition_count
            if time.monotonic() - read_at < PARTITION_COUNT_TTL_S:
                return count
            topic = self._producer.list_topics(self._topic, timeout=self._timeout_s).topics.get(self._topic)
            if topic is None or topic.error is not None or not topic.partitions:
                raise KafkaException(f"no metadata for topic {self._topic}: {None if topic is None else topic.error}")
            self._partition_count = (len(topic.partitions), time.monotonic())
            return len(topic.partitions)

    def close(self, timeout_s: float = 5.0) -> int:
        """Flush what is queued and stop the delivery thread; returns how many messages are undelivered."""
        remaining = int(self._producer.flush(timeout_s))
        self._closed.set()
        self._poller.join(timeout=1)
        if remaining:
            self._producer.purge()
        return remaining
