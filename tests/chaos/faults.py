"""The faults, each applied to a ChaosStack under load, each returning what it observed."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from customersignal.domain.envelope import Envelope, EnvelopedEvent
from tests.chaos.stack import ChaosStack

# an aggregator batch transaction is open: its fence lock, the raw-event claim or a metrics upsert
OPEN_BATCH = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'customersignal-chaos'
  AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction')
  AND (query ILIKE '%consumer_offsets%' OR query ILIKE '%jsonb_to_recordset%' OR query ILIKE '%metrics_%')
"""


@dataclass
class FaultReport:
    name: str
    observed: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def kill_aggregator(stack: ChaosStack, kills: int, rng: random.Random) -> FaultReport:
    """SIGKILL the event-source mapping (the aggregator's host) inside an open batch transaction, then start
    it again, until ``kills`` kills have landed mid-batch. Postgres confirms each: it logs an unexpected
    EOF "with an open transaction" when the killed process's connection drops inside one."""
    report = FaultReport("aggregator SIGKILL mid-batch")
    db = stack.postgres()
    attempts = confirmed = 0
    try:
        while confirmed < kills and attempts < kills * 3:
            time.sleep(rng.uniform(0.5, 2.0))
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not db.run(OPEN_BATCH)[0][0]:
                time.sleep(0.002)
            before = _open_transaction_eofs(stack)
            stack.sigkill("esm")
            attempts += 1
            settle = time.monotonic() + 2
            while _open_transaction_eofs(stack) == before and time.monotonic() < settle:
                time.sleep(0.05)
            confirmed += _open_transaction_eofs(stack) > before
            stack.up("esm")
    finally:
        db.close()
    report.observed = {"SIGKILLs": attempts, "inside an open batch transaction (Postgres confirms)": confirmed}
    if confirmed < kills:
        report.problems.append(f"only {confirmed} of {attempts} kills landed inside a batch transaction")
    return report


def _open_transaction_eofs(stack: ChaosStack) -> int:
    text = stack.log("postgres").read_text(errors="replace")
    return text.count("unexpected EOF on client connection with an open transaction")


def _outage(stack: ChaosStack, service: str, key: str, down_s: float) -> Counter[str]:
    """Stop ``service``, probe the API for ``down_s`` seconds, start it again; the probes' answers."""
    stack.down(service)
    answers = _probe_while(stack, key, down_s)
    stack.up(service)
    return answers


def restart_broker(stack: ChaosStack, key: str, down_s: float) -> FaultReport:
    """Stop Kafka, probe the API while it is down (503 with Retry-After expected), start it again."""
    report = FaultReport("Kafka broker restart during ingest")
    answers = _outage(stack, "kafka", key, down_s)
    report.observed = {"probe answers while down": dict(answers)}
    if not any(status.startswith("503 retry-after=") for status in answers):
        report.problems.append(f"no 503 with Retry-After while Kafka was down: {dict(answers)}")
    if any(status.startswith("200") for status in answers):
        report.problems.append("the API acknowledged an event while Kafka was down")
    return report


def restart_postgres(stack: ChaosStack, key: str, down_s: float) -> FaultReport:
    """Stop Postgres under load; ingest may go on (cached keys) or answer 503, never another 5xx."""
    report = FaultReport("Postgres restart")
    answers = _outage(stack, "postgres", key, down_s)
    report.observed = {"probe answers while down": dict(answers)}
    if any(status.startswith("5") and not status.startswith("503") for status in answers):
        report.problems.append(f"a server error other than 503 while Postgres was down: {dict(answers)}")
    return report


def flush_and_rebuild_redis(stack: ChaosStack, gap_s: float) -> FaultReport:
    """Empty Redis (hot counts, key cache, rate buckets) under load; rebuild the hot window from Postgres."""
    report = FaultReport("Redis flushed, then rebuilt")
    client = stack.redis()
    try:
        keys_before = client.dbsize()
        client.flushall()
    finally:
        client.close()
    time.sleep(gap_s)  # the aggregator keeps adding to the emptied window meanwhile
    summary = stack.cli("rebuild-hot").strip()
    report.observed = {"keys flushed": keys_before, "rebuild": summary}
    return report


POISON_KINDS: dict[str, bytes] = {
    "not JSON": b"\x00\xff\xfe not json at all",
    "truncated JSON": b'{"tenant_id": "',
    "JSON, not an envelope": b'{"hello": "world"}',
    "wrong schema version": b'{"v": 99}',
}


def poison_records(tenant_id: uuid.UUID, project_id: uuid.UUID) -> list[tuple[str, bytes]]:
    """Records the API would never produce; each must end in the dead-letter table with its reason."""
    unknown = Envelope(
        tenant_id=uuid.uuid4(),
        project_id=project_id,
        received_at=datetime.now(UTC),
        occurred_at=datetime.now(UTC),
        trace_id=uuid.uuid4().hex,
        event=EnvelopedEvent(event_id=uuid.uuid4(), event_type="signup", user_id="u"),
    )
    kinds = [(kind, value) for kind, value in POISON_KINDS.items()]
    kinds.append(("envelope of an unknown tenant", unknown.model_dump_json().encode()))
    return kinds


def inject_poison(stack: ChaosStack, tenant_id: uuid.UUID, project_id: uuid.UUID) -> list[tuple[str, int, int]]:
    """Produce one record of each poison kind, keyed by the tenant (its partition, amid its events);
    returns (kind, partition, offset) of each."""
    producer = Producer({"bootstrap.servers": stack.env["CS_KAFKA_BOOTSTRAP"], "enable.idempotence": True})
    placed: list[tuple[str, int, int]] = []

    def delivered(kind: str) -> Callable[[KafkaError | None, Message], None]:
        def note(error: KafkaError | None, message: Message) -> None:
            if error is None:
                placed.append((kind, message.partition() or 0, message.offset() or 0))

        return note

    for kind, value in poison_records(tenant_id, project_id):
        producer.produce("events_raw", key=str(tenant_id).encode(), value=value, on_delivery=delivered(kind))
    producer.flush(30)
    return placed


def dead_letter_check(stack: ChaosStack, placed: list[tuple[str, int, int]]) -> FaultReport:
    report = FaultReport("poison records")
    db = stack.postgres()
    try:
        reasons: Counter[str] = Counter()
        for kind, partition, offset in placed:
            rows = db.run(
                "SELECT reason_code FROM dead_letters WHERE source_topic = 'events_raw'"
                " AND source_partition = :p AND source_offset = :o",
                p=partition,
                o=offset,
            )
            if len(rows) != 1:
                report.problems.append(f"{kind} at {partition}/{offset}: {len(rows)} dead letters, expected 1")
            for [reason] in rows:
                reasons[f"{kind} -> {reason}"] += 1
    finally:
        db.close()
    report.observed = {"produced": len(placed), "dead letters by kind and reason": dict(reasons)}
    return report


def _probe_while(stack: ChaosStack, key: str, seconds: float) -> Counter[str]:
    answers: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answers[_probe(stack, key)] += 1
        time.sleep(0.5)
    return answers


def _probe(stack: ChaosStack, key: str) -> str:
    """One event through the API; its answer as 'status retry-after=N'. ``key`` belongs to a tenant of its
    own, so an accepted probe never mixes with the audited load."""
    body = json.dumps({"event_id": str(uuid.uuid4()), "event_type": "chaos_probe", "user_id": "probe"}).encode()
    request = urllib.request.Request(f"{stack.api_url}/v1/events", data=body, method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - loopback
            return str(response.status)
    except urllib.error.HTTPError as error:
        retry_after = error.headers.get("Retry-After")
        return f"{error.code} retry-after={retry_after}" if retry_after else str(error.code)
    except OSError:
        return "no answer"
