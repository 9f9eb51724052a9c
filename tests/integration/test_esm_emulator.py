"""The ESM emulator against the real broker: ``python -m customersignal.local.esm`` as a subprocess.

Each test writes a tiny template (tmp_path) whose function is a handler of esm_handlers/esm_test_handlers.py,
and gets its own topics and consumer group. The handler logs every invocation it receives, so the
assertions are about what was delivered, in what order, and what was committed; never about how fast.
Where a test needs one exact first batch it sets BatchSize to the number of records it produced and the
longest window (300 s), so the batch is cut by count, deterministically.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import Consumer, Message, Producer, TopicPartition

from customersignal.adapters.aws import AwsClients
from customersignal.settings import PlatformSettings
from tests.fixtures.aws import free_port
from tests.fixtures.kafka import read_topic as read_topic_to_end
from tests.fixtures.services import STACK, process_gone
from tests.support.waits import scaled, wait_for, wait_until

pytestmark = pytest.mark.integration

HANDLERS = Path(__file__).parent / "esm_handlers"
DEADLINE_S = 90.0
CLUSTER_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/esm-test/11111111-2222-3333-4444-555555555555-1"

Record = tuple[int, int, bytes | None]  # partition, offset, value


@dataclass
class Emulator:
    process: subprocess.Popen[bytes]
    workdir: Path
    started_at_entry: int
    stderr_path: Path

    @property
    def log_path(self) -> Path:
        return self.workdir / "invocations.jsonl"

    @property
    def status_path(self) -> Path:
        return self.workdir / "status.json"

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def entries(self) -> list[dict[str, Any]]:
        """Invocations logged by the handler since this emulator started."""
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines[self.started_at_entry :]]

    def running(self, what: str) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the emulator exited ({self.process.returncode}) before {what}:\n{self.stderr}")

    def wait_for(self, check: Callable[[list[dict[str, Any]]], bool], what: str) -> list[dict[str, Any]]:
        def entries() -> list[dict[str, Any]]:
            self.running(what)
            return self.entries()

        def outcomes(entries: list[dict[str, Any]]) -> str:
            return f"{[e['outcome'] for e in entries]}; emulator stderr:\n{self.stderr[-3000:]}"

        return wait_for(entries, check, what, base_s=DEADLINE_S, show=outcomes)

    def status(self) -> dict[str, Any]:
        try:
            loaded: dict[str, Any] = json.loads(self.status_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded

    def poller_status(self) -> dict[str, Any]:
        pollers = self.status().get("pollers") or [{}]
        first: dict[str, Any] = pollers[0]
        return first

    def wait_status(self, check: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        def status() -> dict[str, Any]:
            self.running(what)
            return self.poller_status()

        return wait_for(status, check, what, base_s=DEADLINE_S)

    def wait_stderr(self, line: str) -> None:
        self.running(f"the line {line!r}")
        wait_until(lambda: line in self.stderr, f"the line {line!r} in the emulator's stderr", base_s=DEADLINE_S)

    def signal_and_wait(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=scaled(DEADLINE_S))


@dataclass
class EmulatorFactory:
    settings: PlatformSettings
    workdir: Path
    running: list[Emulator] = field(default_factory=list)

    def template(self, handler: str, properties: dict[str, Any], event_type: str, env: dict[str, Any]) -> Path:
        event_props: dict[str, Any] = {
            "Topics": ["events_raw"],  # replaced by --topic
            "StartingPosition": "TRIM_HORIZON",
            "MaximumBatchingWindowInSeconds": 0,
            **properties,
        }
        if event_type == "MSK":
            event_props["Stream"] = {"Ref": "ClusterArn"}
        variables = {
            "ESM_TEST_LOG": str(self.workdir / "invocations.jsonl"),
            "ESM_TEST_STATE": str(self.workdir / "first-invocation-seen"),
            "ESM_TEST_RELEASE": str(self.workdir / "release"),
            "ESM_TEST_MARKER": {"Fn::Sub": "marker-${Stage}"},
            **env,
        }
        template = {
            "Parameters": {
                "Stage": {"Type": "String", "Default": "dev"},
                "ClusterArn": {"Type": "String", "Default": ""},
            },
            "Resources": {
                "Fn": {
                    "Type": "AWS::Serverless::Function",
                    "Properties": {
                        "CodeUri": str(HANDLERS),
                        "Handler": f"esm_test_handlers.{handler}",
                        "Timeout": 30,
                        "MemorySize": 256,
                        "Environment": {"Variables": variables},
                        "Events": {"Source": {"Type": event_type, "Properties": event_props}},
                    },
                }
            },
        }
        path = self.workdir / "template.yaml"
        path.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")  # intrinsics in long form
        return path

    def start(
        self,
        topic: str,
        group: str,
        handler: str = "record",
        *,
        event_type: str = "SelfManagedKafka",
        properties: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> Emulator:
        template = self.template(handler, properties or {}, event_type, env or {})
        log_path = self.workdir / "invocations.jsonl"
        already = len(log_path.read_text(encoding="utf-8").splitlines()) if log_path.exists() else 0
        command = [
            sys.executable,
            "-m",
            "customersignal.local.esm",
            "--template",
            str(template),
            "--topic",
            topic,
            "--consumer-group",
            group,
            "--status-file",
            str(self.workdir / "status.json"),
            "--log-level",
            "debug",
            *args,
        ]
        (self.workdir / "status.json").unlink(missing_ok=True)
        environment = {**os.environ, "CS_KAFKA_BOOTSTRAP": self.settings.kafka_bootstrap}
        stderr_path = self.workdir / f"stderr-{len(self.running)}.log"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=stderr, env=environment, cwd=self.workdir
            )
        emulator = Emulator(process, self.workdir, already, stderr_path)
        self.running.append(emulator)
        return emulator

    def close(self) -> None:
        for emulator in self.running:
            if emulator.process.poll() is None:
                emulator.process.kill()
                emulator.process.wait(timeout=scaled(30))


@pytest.fixture
def esm(tmp_path: Path, settings: PlatformSettings, kafka_admin: object) -> Iterator[EmulatorFactory]:
    factory = EmulatorFactory(settings, tmp_path)
    yield factory
    factory.close()


@pytest.fixture
def produce(settings: PlatformSettings) -> Callable[..., None]:
    def send(
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None = None,
        partition: int = 0,
        headers: list[tuple[str, bytes]] | None = None,
        timestamp_ms: int | None = None,
    ) -> None:
        producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "enable.idempotence": True})
        kwargs: dict[str, Any] = {"partition": partition, "headers": headers or []}
        if timestamp_ms is not None:
            kwargs["timestamp"] = timestamp_ms
        producer.produce(topic, value, key, **kwargs)
        assert producer.flush(scaled(10)) == 0

    return send


def read_topic(settings: PlatformSettings, topic: str, count: int) -> list[Message]:
    """The topic's messages once ``count`` are there, read on to its end: one more would be in the answer."""
    return read_topic_to_end(settings.kafka_bootstrap, topic, count, base_s=DEADLINE_S)


def records(entry: dict[str, Any]) -> list[Record]:
    return [
        (r["partition"], r["offset"], None if r["value"] is None else base64.b64decode(r["value"]))
        for rs in entry["event"]["records"].values()
        for r in rs
    ]


def delivered(entries: list[dict[str, Any]], outcome: str = "ok") -> list[Record]:
    return [r for e in entries if e["outcome"] == outcome for r in records(e)]


def headers_of(message: Message) -> dict[str, bytes]:
    headers = message.headers() or []
    pairs = headers.items() if isinstance(headers, dict) else headers
    return {name: value.encode() if isinstance(value, str) else value or b"" for name, value in pairs}


def signed(data: bytes) -> list[int]:
    return [b - 256 if b > 127 else b for b in data]


# --- the event ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ["SelfManagedKafka", "MSK"])
def test_the_event_has_awss_exact_shape_field_by_field(
    esm: EmulatorFactory,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    produce: Callable[..., None],
    settings: PlatformSettings,
    event_type: str,
) -> None:
    # Given a keyed record with repeated and non-ASCII headers, a record with a null key, on two partitions
    topic = kafka_topic(2)
    at = 1_790_000_000_000
    headers = [("traceparent", b"00-4bf92f-00f067-01"), ("name", "ë".encode()), ("name", b"\xff\x00")]
    produce(topic, b'{"event_type":"signup"}', key=b"tenant-1", partition=0, headers=headers, timestamp_ms=at)
    produce(topic, b"\x00\x01binary", key=None, partition=0, timestamp_ms=at + 1)
    produce(topic, b"third", key=b"k3", partition=1, timestamp_ms=at + 2)
    # When the emulator delivers them (one batch: BatchSize 3, the longest window)
    emulator = esm.start(
        topic,
        consumer_group,
        event_type=event_type,
        properties={"BatchSize": 3, "MaximumBatchingWindowInSeconds": 300},
        args=("--param", f"ClusterArn={CLUSTER_ARN}"),
    )
    (entry,) = emulator.wait_for(lambda es: len(es) == 1, "one invocation")
    # Then the event is AWS's, field by field
    event = entry["event"]
    if event_type == "MSK":
        assert event.pop("eventSource") == "aws:kafka"
        assert event.pop("eventSourceArn") == CLUSTER_ARN
    else:
        assert event.pop("eventSource") == "SelfManagedKafka"
        assert "eventSourceArn" not in event
    assert event.pop("bootstrapServers") == settings.kafka_bootstrap

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    assert event.pop("records") == {
        f"{topic}-0": [
            {
                "topic": topic,
                "partition": 0,
                "offset": 0,
                "timestamp": at,
                "timestampType": "CREATE_TIME",
                "key": b64(b"tenant-1"),
                "value": b64(b'{"event_type":"signup"}'),
                "headers": [{"traceparent": list(b"00-4bf92f-00f067-01")}, {"name": [-61, -85]}, {"name": [-1, 0]}],
            },
            {
                "topic": topic,
                "partition": 0,
                "offset": 1,
                "timestamp": at + 1,
                "timestampType": "CREATE_TIME",
                "value": b64(b"\x00\x01binary"),
                "headers": [],
            },
        ],
        f"{topic}-1": [
            {
                "topic": topic,
                "partition": 1,
                "offset": 0,
                "timestamp": at + 2,
                "timestampType": "CREATE_TIME",
                "key": b64(b"k3"),
                "value": b64(b"third"),
                "headers": [],
            },
        ],
    }
    assert event == {}
    assert signed("ë".encode()) == [-61, -85]
    # And the context is Lambda's, from the template (Timeout 30, MemorySize 256), with its environment
    context = entry["context"]
    assert (context["function_name"], context["memory_limit_in_mb"]) == ("Fn", "256")
    assert context["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:Fn"
    assert 0 < context["remaining_ms"] <= 30_000
    assert str(uuid.UUID(context["aws_request_id"])) == context["aws_request_id"]
    assert entry["env"] == "marker-local"  # !Sub with Stage=local, the local default


# --- batching and ordering -----------------------------------------------------------------------------


def test_each_partition_is_delivered_in_order_one_invocation_at_a_time(
    esm: EmulatorFactory, kafka_topic: Callable[[int], str], consumer_group: str, produce: Callable[..., None]
) -> None:
    topic = kafka_topic(3)
    for i in range(45):
        produce(topic, f"v{i}".encode(), partition=i % 3)
    emulator = esm.start(topic, consumer_group, properties={"BatchSize": 7})
    entries = emulator.wait_for(lambda es: len(delivered(es)) >= 45, "all 45 records")
    seen = delivered(entries)
    assert sorted((p, o) for p, o, _ in seen) == [(p, o) for p in range(3) for o in range(15)]  # each once
    for partition in range(3):
        offsets = [o for p, o, _ in seen if p == partition]
        assert offsets == sorted(offsets)
    assert all(len(records(e)) <= 7 for e in entries)
    for before, after in itertools.pairwise(entries):
        assert before["end"] <= after["start"]  # never two invocations at once


def test_a_batch_is_invoked_when_batch_size_is_reached_without_waiting_for_the_window(
    esm: EmulatorFactory, kafka_topic: Callable[[int], str], consumer_group: str, produce: Callable[..., None]
) -> None:
    topic = kafka_topic(1)
    for i in range(6):
        produce(topic, f"v{i}".encode())
    emulator = esm.start(topic, consumer_group, properties={"BatchSize": 3, "MaximumBatchingWindowInSeconds": 300})
    entries = emulator.wait_for(lambda es: len(delivered(es)) >= 6, "two full batches")
    assert [[o for _, o, _ in records(e)] for e in entries] == [[0, 1, 2], [3, 4, 5]]


def test_the_window_closes_a_batch_smaller_than_batch_size(
    esm: EmulatorFactory, kafka_topic: Callable[[int], str], consumer_group: str, produce: Callable[..., None]
) -> None:
    topic = kafka_topic(1)
    produce(topic, b"a")
    produce(topic, b"b")
    emulator = esm.start(topic, consumer_group, properties={"BatchSize": 100, "MaximumBatchingWindowInSeconds": 1})
    entries = emulator.wait_for(lambda es: len(delivered(es)) >= 2, "the two records")
    assert [len(records(e)) for e in entries] == [2]


# --- commits and shutdown --------------------------------------------------------------------------------


def test_offsets_are_committed_only_after_success_so_sigkill_redelivers_and_sigterm_does_not(
    esm: EmulatorFactory, kafka_topic: Callable[[int], str], consumer_group: str, produce: Callable[..., None]
) -> None:
    topic = kafka_topic(1)
    for i in range(5):
        produce(topic, f"v{i}".encode())
    properties = {"BatchSize": 5, "MaximumBatchingWindowInSeconds": 300}
    # Given an invocation that never returns, killed with SIGKILL
    first = esm.start(topic, consumer_group, "hang_once", properties=properties)
    (hung,) = first.wait_for(lambda es: len(es) == 1, "the hanging invocation")
    first.signal_and_wait(signal.SIGKILL)
    # When the emulator starts again, Then the same batch is delivered again (nothing was committed)
    second = esm.start(topic, consumer_group, "hang_once", properties={"BatchSize": 1})
    entries = second.wait_for(lambda es: len(delivered(es)) >= 5, "the re-delivered batch")
    assert sorted(delivered(entries)) == sorted(records(hung))
    second.wait_status(lambda s: s.get("committed", {}).get(f"{topic}-0") == 5, "the commit of offset 5")
    # And after a graceful SIGTERM, a third run delivers only what is new
    assert second.signal_and_wait(signal.SIGTERM) == 0
    third = esm.start(topic, consumer_group, "hang_once", properties={"BatchSize": 1})
    third.wait_status(lambda s: bool(s.get("assigned")), "the assignment")
    produce(topic, b"sentinel")
    entries = third.wait_for(lambda es: any(v == b"sentinel" for _, _, v in delivered(es)), "the sentinel")
    assert delivered(entries) == [(0, 5, b"sentinel")]


def test_sigterm_lets_the_running_invocation_finish_commits_and_exits_0(
    esm: EmulatorFactory, kafka_topic: Callable[[int], str], consumer_group: str, produce: Callable[..., None]
) -> None:
    topic = kafka_topic(1)
    for i in range(4):
        produce(topic, f"v{i}".encode())
    properties = {"BatchSize": 4, "MaximumBatchingWindowInSeconds": 300}
    emulator = esm.start(topic, consumer_group, "slow_once", properties=properties)
    emulator.wait_for(lambda es: [e["outcome"] for e in es] == ["started"], "the slow invocation to start")
    # When SIGTERM arrives mid-invocation (the invocation runs until the emulator has acknowledged the signal)
    emulator.process.send_signal(signal.SIGTERM)
    emulator.wait_stderr("SIGTERM: finishing the running invocation")
    (emulator.workdir / "release").touch()
    code = emulator.process.wait(timeout=scaled(DEADLINE_S))
    # Then the invocation finished, the process exited 0, and the batch was committed
    assert code == 0, emulator.stderr
    assert [e["outcome"] for e in emulator.entries()] == ["started", "finished"]
    assert "SIGTERM: finishing the running invocation" in emulator.stderr
    assert emulator.status()["state"] == "stopped"
    assert emulator.poller_status()["committed"] == {f"{topic}-0": 4}
    again = esm.start(topic, consumer_group, "slow_once", properties={"BatchSize": 1})
    again.wait_status(lambda s: bool(s.get("assigned")), "the assignment")
    produce(topic, b"sentinel")
    entries = again.wait_for(lambda es: len(es) >= 1, "the sentinel")
    assert delivered(entries) == [(0, 4, b"sentinel")]


# --- failures ----------------------------------------------------------------------------------------------


def test_retries_then_the_failed_records_go_to_the_kafka_on_failure_topic(
    esm: EmulatorFactory,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    produce: Callable[..., None],
    settings: PlatformSettings,
) -> None:
    topic, dlq = kafka_topic(1), kafka_topic(1)
    for value in (b"ok-0", b"poison", b"ok-2"):
        produce(topic, value, key=value + b"-key", headers=[("trace", b"t-" + value)])
    properties = {
        "BatchSize": 3,
        "MaximumBatchingWindowInSeconds": 300,
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {"Type": "Kafka", "Destination": f"kafka://{dlq}"}},
    }
    emulator = esm.start(topic, consumer_group, "fail_on_poison", properties=properties)
    # Then the batch is tried 3 times (the first invocation and 2 retries), whole each time
    emulator.wait_status(lambda s: s.get("to_destination") == 3, "the hand-over to the on-failure topic")
    failed = [records(e) for e in emulator.entries()]
    assert failed == [[(0, 0, b"ok-0"), (0, 1, b"poison"), (0, 2, b"ok-2")]] * 3
    # And the records, with their keys and headers, went to the on-failure topic with the failure metadata
    messages = read_topic(settings, dlq, 3)
    assert [(m.key(), m.value()) for m in messages] == [(v + b"-key", v) for v in (b"ok-0", b"poison", b"ok-2")]
    for offset, message in enumerate(messages):
        headers = headers_of(message)
        assert headers["trace"] == b"t-" + (message.value() or b"")
        assert headers["esm-condition"] == b"RetryAttemptsExhausted"
        assert headers["esm-approximate-invoke-count"] == b"3"
        assert headers["esm-error"] == b"ValueError: poison record"
        assert (headers["esm-source-topic"], headers["esm-source-offset"]) == (topic.encode(), str(offset).encode())
    # And the partition moved on: its offset is committed past the failed batch
    emulator.wait_status(lambda s: s.get("committed") == {f"{topic}-0": 3}, "the commit past the batch")


def test_bisect_isolates_the_one_bad_record(
    esm: EmulatorFactory,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    produce: Callable[..., None],
    settings: PlatformSettings,
) -> None:
    topic, dlq = kafka_topic(1), kafka_topic(1)
    values = [b"poison" if i == 5 else f"ok-{i}".encode() for i in range(8)]
    for value in values:
        produce(topic, value)
    properties = {
        "BatchSize": 8,
        "MaximumBatchingWindowInSeconds": 300,
        "MaximumRetryAttempts": 0,
        "BisectBatchOnFunctionError": True,
        "DestinationConfig": {"OnFailure": {"Type": "Kafka", "Destination": f"kafka://{dlq}"}},
    }
    emulator = esm.start(topic, consumer_group, "fail_on_poison", properties=properties)
    emulator.wait_status(lambda s: s.get("committed") == {f"{topic}-0": 8}, "the batch to be settled")
    ok = delivered(emulator.entries())
    assert ok == [(0, i, v) for i, v in enumerate(values) if v != b"poison"]  # each good record once, in order
    assert [m.value() for m in read_topic(settings, dlq, 1)] == [b"poison"]


def test_a_partial_batch_response_resumes_at_the_reported_offset(
    esm: EmulatorFactory, kafka_topic: Callable[[int], str], consumer_group: str, produce: Callable[..., None]
) -> None:
    topic = kafka_topic(2)
    for i in range(5):
        produce(topic, f"p0-{i}".encode(), partition=0)
    for i in range(3):
        produce(topic, f"p1-{i}".encode(), partition=1)
    properties = {
        "BatchSize": 8,
        "MaximumBatchingWindowInSeconds": 300,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    emulator = esm.start(topic, consumer_group, "partial_once", properties=properties)
    entries = emulator.wait_for(lambda es: len(es) >= 2, "the retry after the partial response")
    # The first invocation reported partition 0 offset 2 failed; the retry holds exactly offsets 2..4 of it
    assert entries[0]["outcome"] == f"partial:{topic}-0:2"
    assert [(p, o) for p, o, _ in records(entries[1])] == [(0, 2), (0, 3), (0, 4)]
    emulator.wait_status(lambda s: s.get("committed") == {f"{topic}-0": 5, f"{topic}-1": 3}, "both commits")


def test_records_older_than_the_maximum_record_age_are_not_sent_but_handed_over(
    esm: EmulatorFactory,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    produce: Callable[..., None],
    settings: PlatformSettings,
) -> None:
    topic, dlq = kafka_topic(1), kafka_topic(1)
    now_ms = int(time.time() * 1000)
    produce(topic, b"an hour old", timestamp_ms=now_ms - 3_600_000)
    produce(topic, b"fresh", timestamp_ms=now_ms)
    properties = {
        "BatchSize": 2,
        "MaximumBatchingWindowInSeconds": 300,
        "MaximumRecordAgeInSeconds": 60,
        "DestinationConfig": {"OnFailure": {"Type": "Kafka", "Destination": f"kafka://{dlq}"}},
    }
    emulator = esm.start(topic, consumer_group, properties=properties)
    entries = emulator.wait_for(lambda es: len(es) >= 1, "the fresh record")
    assert delivered(entries) == [(0, 1, b"fresh")]
    (message,) = read_topic(settings, dlq, 1)
    assert message.value() == b"an hour old"
    assert headers_of(message)["esm-condition"] == b"RecordAgeExceeded"


# --- starting positions ------------------------------------------------------------------------------------


def test_latest_starts_at_the_end_of_the_partition(
    esm: EmulatorFactory, kafka_topic: Callable[[int], str], consumer_group: str, produce: Callable[..., None]
) -> None:
    topic = kafka_topic(1)
    produce(topic, b"before")
    emulator = esm.start(topic, consumer_group, properties={"StartingPosition": "LATEST", "BatchSize": 1})
    emulator.wait_status(lambda s: s.get("assigned") == {f"{topic}-0": 1}, "the assignment at the end")
    produce(topic, b"after")
    entries = emulator.wait_for(lambda es: len(es) >= 1, "the new record")
    assert delivered(entries) == [(0, 1, b"after")]


def test_at_timestamp_starts_at_the_first_record_at_or_after_it(
    esm: EmulatorFactory, kafka_topic: Callable[[int], str], consumer_group: str, produce: Callable[..., None]
) -> None:
    topic = kafka_topic(1)
    now_ms = int(time.time() * 1000)
    for age_h in (3, 2, 1):
        produce(topic, f"{age_h}h".encode(), timestamp_ms=now_ms - age_h * 3_600_000)
    properties = {
        "StartingPosition": "AT_TIMESTAMP",
        "StartingPositionTimestamp": (now_ms - 9_000_000) // 1000,
        "BatchSize": 2,
        "MaximumBatchingWindowInSeconds": 300,
    }
    emulator = esm.start(topic, consumer_group, properties=properties)
    entries = emulator.wait_for(lambda es: len(es) >= 1, "the records after the timestamp")
    assert delivered(entries) == [(0, 1, b"2h"), (0, 2, b"1h")]


def test_an_existing_groups_committed_offset_wins_over_starting_position(
    esm: EmulatorFactory,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    produce: Callable[..., None],
    settings: PlatformSettings,
) -> None:
    topic = kafka_topic(1)
    for i in range(4):
        produce(topic, f"v{i}".encode())
    group = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": consumer_group})
    group.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
    group.close()
    emulator = esm.start(topic, consumer_group, properties={"BatchSize": 2, "MaximumBatchingWindowInSeconds": 300})
    entries = emulator.wait_for(lambda es: len(es) >= 1, "the records after the committed offset")
    assert delivered(entries) == [(0, 2, b"v2"), (0, 3, b"v3")]


# --- operator errors ---------------------------------------------------------------------------------------


def test_an_unreachable_broker_says_to_run_make_services(esm: EmulatorFactory, tmp_path: Path) -> None:
    template = esm.template("record", {}, "SelfManagedKafka", {})
    dead = f"127.0.0.1:{free_port()}"
    result = subprocess.run(
        [sys.executable, "-m", "customersignal.local.esm", "--template", str(template)],
        env={**os.environ, "CS_KAFKA_BOOTSTRAP": dead},
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )
    assert result.returncode == 2
    assert f"Kafka at {dead} does not answer" in result.stderr
    assert "make services" in result.stderr


def test_a_missing_topic_is_named(esm: EmulatorFactory, consumer_group: str) -> None:
    emulator = esm.start(f"never-created-{uuid.uuid4().hex[:8]}", consumer_group)
    assert emulator.process.wait(timeout=scaled(60)) == 2
    assert "does not exist" in emulator.stderr


# --- the local stack service -------------------------------------------------------------------------------


def stack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([STACK, *args], env=env, capture_output=True, text=True, check=False, timeout=scaled(180))


def test_the_esm_service_starts_reports_and_stops_only_its_own_process(
    esm: EmulatorFactory,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    produce: Callable[..., None],
    tmp_path: Path,
) -> None:
    # Given a scratch state folder and a template whose source is a fresh topic
    topic = kafka_topic(1)
    template = esm.template("record", {"Topics": [topic], "ConsumerGroupId": consumer_group}, "SelfManagedKafka", {})
    state = tmp_path / "state"
    env = {**os.environ, "CS_STATE_DIR": str(state), "CS_ESM_TEMPLATE": str(template), "CS_ESM_LOG_LEVEL": "debug"}
    try:
        # When `stack.sh up esm` runs (twice: the second changes nothing)
        up = stack(env, "up", "esm")
        assert up.returncode == 0, up.stdout + up.stderr
        pid = (state / "run" / "esm.pid").read_text().strip()
        assert "already up" in stack(env, "up", "esm").stdout
        assert (state / "run" / "esm.pid").read_text().strip() == pid
        # Then status reports it healthy, naming what it polls, and the pid file names the emulator itself
        status = stack(env, "status", "esm")
        assert status.returncode == 0, status.stdout
        assert f"Fn.Source on {topic} as {consumer_group}" in status.stdout
        assert b"customersignal.local.esm" in Path(f"/proc/{pid}/cmdline").read_bytes()
        # And it delivers, logging each invocation to .state/logs/esm.log at debug
        produce(topic, b"via-the-stack")
        log = state / "logs" / "esm.log"
        wait_until(lambda: "invoke" in log.read_text(), f"an invocation in {log}", base_s=DEADLINE_S)
        assert f"1 records ({topic}-0@0..0)" in log.read_text()
    finally:
        down = stack(env, "down", "esm")
    # And down stops it gracefully (its final summary is in the log), after which status says so
    assert down.returncode == 0
    assert process_gone(pid)
    assert "final: Fn.Source" in (state / "logs" / "esm.log").read_text()
    assert stack(env, "status", "esm").returncode == 1


def test_the_esm_service_fails_to_start_with_the_emulators_own_message(esm: EmulatorFactory, tmp_path: Path) -> None:
    template = tmp_path / "no-kafka.yaml"
    template.write_text(yaml.safe_dump({"Resources": {}}), encoding="utf-8")
    env = {**os.environ, "CS_STATE_DIR": str(tmp_path / "state"), "CS_ESM_TEMPLATE": str(template)}
    up = stack(env, "up", "esm")
    assert up.returncode == 1
    assert "no Kafka event source" in up.stderr
    assert not (tmp_path / "state" / "run" / "esm.pid").exists()


def test_an_sqs_on_failure_destination_receives_the_failure_metadata_over_http(
    esm: EmulatorFactory,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    produce: Callable[..., None],
    moto_clients: AwsClients,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an SQS queue on a real AWS endpoint (a moto server on its own port), named as the destination
    queue = f"esm-failures-{uuid.uuid4().hex[:8]}"
    queue_url = moto_clients.sqs().create_queue(QueueName=queue)["QueueUrl"]
    monkeypatch.setenv("CS_AWS_ENDPOINT_URL", moto_clients.endpoint_url or "")
    topic = kafka_topic(1)
    produce(topic, b"poison")
    properties = {
        "BatchSize": 1,
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {
            "OnFailure": {"Type": "SQS", "Destination": f"arn:aws:sqs:us-east-1:123456789012:{queue}"}
        },
    }
    # When the batch fails its invocation and its retry
    emulator = esm.start(topic, consumer_group, "fail_on_poison", properties=properties)
    emulator.wait_status(lambda s: s.get("to_destination") == 1, "the hand-over to the SQS destination")
    # Then the queue holds one metadata document naming the condition and the partition's offsets
    messages = moto_clients.sqs().receive_message(QueueUrl=queue_url, WaitTimeSeconds=5).get("Messages", [])
    assert len(messages) == 1
    document = json.loads(messages[0]["Body"])
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["approximateInvokeCount"] == 2
    emulator.wait_status(lambda s: s.get("committed") == {f"{topic}-0": 1}, "the commit past the batch")
