"""One poller per Kafka event source: fetch, batch, invoke, then commit, retry or give up.

One invocation at a time per poller, so two invocations never hold records of the same partition; while
a batch (with its retries, halves and resumptions) is worked on, nothing new is invoked. Records keep
being read ahead into ``pending`` (in order, so they simply wait their turn) until it holds a full batch;
only then are the partitions paused. Pausing on every batch would cost a refetch each time: librdkafka
drops a paused partition's prefetched messages, and the broker answers the next fetch late.
A partition's offset is committed as soon as none of its records in the batch are left
to work on. Stopping (``stop`` set) lets the running invocation finish and commits what is done; the
rest is fetched again next time, as after a crash (at-least-once).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from customersignal.local.esm import consumer, failures
from customersignal.local.esm.batching import BatchLimits, Pending
from customersignal.local.esm.destinations import Destination, DestinationError
from customersignal.local.esm.events import RecordData, kafka_event, payload_size
from customersignal.local.esm.failures import Partition, RetryPolicy, WorkItem
from customersignal.local.esm.invoke import Invoker
from customersignal.local.esm.sources import KafkaSource
from customersignal.local.esm.status import PollerStats, describe, partition_keys
from customersignal.local.runtime import function_arn

log = logging.getLogger(__name__)

TICK_S = 0.25  # how often a waiting poller looks at the stop flag
FETCH_MAX = 500
DESTINATION_RETRY_S = 2.0
LAG_EVERY_S = 5.0
RECONNECT_S = 1.0


class FatalConsumerError(Exception):
    """librdkafka declared the consumer unusable; only a new one can go on."""


def _close(kafka: Consumer) -> None:
    try:
        kafka.close()
    except (KafkaException, RuntimeError) as exc:  # a failed consumer may refuse even to leave the group
        log.warning("closing the failed consumer: %s", exc)


class Poller:
    def __init__(
        self,
        source: KafkaSource,
        invoker: Invoker,
        destination: Destination | None,
        bootstrap: str,
        stop: threading.Event,
    ) -> None:
        self.source, self.invoker, self.destination = source, invoker, destination
        self.bootstrap, self.stop = bootstrap, stop
        m = source.mapping
        self.policy = RetryPolicy.of(
            m.max_retry_attempts,
            m.max_record_age_s,
            bisect=m.bisect,
            report=m.report_item_failures,
            has_destination=m.on_failure is not None,
        )
        self.pending = Pending(BatchLimits(m.batch_size, m.window_s, envelope_bytes=payload_size(self._event(()))))
        self.stats = PollerStats(source.name, m.topics, m.consumer_group)
        self.arn = function_arn(source.spec.logical_id)
        self._lock = threading.Lock()
        self.batch: tuple[RecordData, ...] = ()
        self.work: list[WorkItem] = []
        self.done: set[Partition] = set()
        self.positions: dict[Partition, int] = {}  # next offset to commit from, per owned partition
        self._lag_at = 0.0

    def _event(self, records: tuple[RecordData, ...]) -> dict[str, object]:
        m = self.source.mapping
        return kafka_event(
            records, source=m.kind, bootstrap_servers=self.bootstrap, event_source_arn=m.event_source_arn
        )

    def snapshot(self) -> PollerStats:
        with self._lock:
            return self.stats.copy()

    def run(self) -> None:
        """Poll until stopped. A consumer that librdkafka declares failed (a fatal error, e.g. fenced by
        its own static member id after a broker restart) is replaced by a new one that resumes from the
        committed offsets, as the managed mapping recovers its pollers; what was fetched and not
        committed is fetched again, which the function's offset fences make harmless."""
        while not self.stop.is_set():
            kafka = self._connect()
            try:
                self._poll(kafka)
            except FatalConsumerError as exc:
                log.error(
                    "%s: the consumer failed (%s); a new one resumes from the committed offsets", self.source.name, exc
                )
                with self._lock:
                    self.stats.last_error = f"consumer replaced after: {exc}"
                self._forget_uncommitted()
                self.stop.wait(RECONNECT_S)
            finally:
                _close(kafka)
        left = len(self.pending) + sum(len(i.records) for i in self.work)
        log.info("%s stopped; %d fetched record(s) not committed will be fetched again", self.source.name, left)

    def _connect(self) -> Consumer:
        m = self.source.mapping
        config = consumer.consumer_config(
            self.bootstrap, m.consumer_group, self.source.name, self.source.spec.timeout_s
        )
        kafka = Consumer(config)
        consumer.subscribe(kafka, m.topics, m.starting_position, m.starting_timestamp_s, self._assigned, self._revoked)
        return kafka

    def _poll(self, kafka: Consumer) -> None:
        while not self.stop.is_set():
            if self.work:
                self._step(kafka)
            else:
                self._gather(kafka)
            self._refresh_lag(kafka)

    def _forget_uncommitted(self) -> None:
        self.pending.drop({(r.topic, r.partition) for r in self.pending.records})
        self.work, self.batch, self.done, self.positions = [], (), set(), {}

    def _fetch(self, kafka: Consumer, count: int, timeout: float) -> None:
        # consume() waits for all ``count`` messages or the whole timeout, so an idle-then-busy partition
        # would sit out the timeout with records in hand: wait for the first one only, then take what the
        # client already holds
        first = kafka.poll(timeout) if timeout > 0 else None
        messages = [first] if first is not None else []
        if first is not None or timeout <= 0:
            messages += kafka.consume(num_messages=max(1, count - len(messages)), timeout=0)
        for message in messages:
            error = message.error()
            if error is not None and (error.fatal() or error.code() == KafkaError._FATAL):
                raise FatalConsumerError(error.str())
            if error is not None:
                log.warning("%s: %s", self.source.name, error)
            else:
                self.pending.add(consumer.to_record(message), time.monotonic())
        if self.work:  # a new assignment arrives unpaused
            self._bound_read_ahead(kafka)

    def _gather(self, kafka: Consumer) -> None:
        if not self.pending.ready(time.monotonic()):
            wanted = min(FETCH_MAX, self.pending.limits.batch_size - len(self.pending))
            self._fetch(kafka, wanted, self.pending.wait_s(time.monotonic(), TICK_S))
            if not self.pending.ready(time.monotonic()):
                return
        self.batch = self.pending.take(time.monotonic())
        self.work, self.done = [WorkItem(self.batch)], set()
        self._bound_read_ahead(kafka)

    def _bound_read_ahead(self, kafka: Consumer) -> None:
        if len(self.pending) >= self.pending.limits.batch_size:
            kafka.pause(kafka.assignment())

    def _step(self, kafka: Consumer) -> None:
        item = self.work[0]
        # serve the group (rebalances, max.poll.interval) between invocations and through a retry backoff
        self._fetch(kafka, FETCH_MAX, max(0.0, min(TICK_S, item.not_before - time.monotonic())))
        if item.not_before > time.monotonic():
            return
        if item.failure is not None:
            self._give_up(item)
        else:
            fresh, expired = failures.split_expired(item, int(time.time() * 1000), self.policy)
            if expired is not None:  # hand the expired ones over first, then invoke with the rest
                self.work[0:1] = [i for i in (expired, fresh) if i is not None]
                return
            self.work[0:1] = self._invoke(item)
        self._commit(kafka)

    def _invoke(self, item: WorkItem) -> tuple[WorkItem, ...]:
        invocation = self.invoker.invoke(self._event(item.records))
        outcome = failures.outcome_of(invocation.response, invocation.error, item.records, self.policy)
        result = (
            "ok" if outcome.ok else outcome.error or f"partial: retry from {partition_keys(dict(outcome.retry_from))}"
        )
        log.debug(
            "%s invoke %s: %d records (%s) in %.0f ms -> %s",
            self.source.name,
            invocation.request_id,
            len(item.records),
            describe(item.records),
            invocation.duration_s * 1000,
            result,
        )
        with self._lock:
            self.stats.batches += 1
            self.stats.records += len(item.records)
            self.stats.errors += outcome.error is not None
            self.stats.partial += bool(outcome.retry_from)
            self.stats.last_error = outcome.error or self.stats.last_error
        return failures.next_work(item, outcome, self.policy, time.monotonic())

    def _give_up(self, item: WorkItem) -> None:
        assert item.failure is not None
        where = f"{len(item.records)} record(s) ({describe(item.records)}) after {item.failure.condition}"
        if self.destination is not None:
            try:
                self.destination.send(item.records, item.failure, self.arn)
            except DestinationError as exc:  # keep them (their partition stays uncommitted) and try again
                log.warning("%s: %s; retrying in %.0fs", self.source.name, exc, DESTINATION_RETRY_S)
                self.work[0] = replace(item, not_before=time.monotonic() + DESTINATION_RETRY_S)
                return
        log.warning(
            "%s: %s %s",
            self.source.name,
            where,
            f"sent to {self.destination.uri}" if self.destination else "skipped: no on-failure destination",
        )
        with self._lock:
            if self.destination is not None:
                self.stats.to_destination += len(item.records)
            else:
                self.stats.skipped += len(item.records)
        self.work.pop(0)

    def _commit(self, kafka: Consumer) -> None:
        offsets = failures.committable(self.batch, self.work, self.done)
        if offsets:
            self.done |= offsets.keys()
            try:
                kafka.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
            except KafkaException as exc:  # e.g. the partition moved to another member, which re-delivers
                if exc.args and isinstance(exc.args[0], KafkaError) and exc.args[0].fatal():
                    raise FatalConsumerError(exc.args[0].str()) from exc
                log.warning("%s: commit of %s failed: %s", self.source.name, partition_keys(offsets), exc)
            else:
                self.positions.update({k: v for k, v in offsets.items() if k in self.positions})  # still ours
                with self._lock:
                    self.stats.committed.update(partition_keys(offsets))
        if not self.work:
            self.batch = ()
            kafka.resume(kafka.assignment())

    def _assigned(self, starts: dict[Partition, int]) -> None:
        self.positions.update(starts)
        log.info("%s assigned (partition: starting offset) %s", self.source.name, partition_keys(starts))
        with self._lock:
            self.stats.assigned.update(partition_keys(starts))

    def _revoked(self, partitions: list[TopicPartition]) -> None:
        gone = {(tp.topic, tp.partition) for tp in partitions}
        self.pending.drop(gone)
        for partition in gone:
            self.positions.pop(partition, None)
        log.info("%s revoked %s", self.source.name, sorted(gone))

    def _refresh_lag(self, kafka: Consumer) -> None:
        if time.monotonic() - self._lag_at >= LAG_EVERY_S:
            self._lag_at = time.monotonic()
            current = consumer.lag(kafka, dict(self.positions))
            with self._lock:
                self.stats.lag = current
