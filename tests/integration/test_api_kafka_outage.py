"""While Kafka is down the API answers 503 with Retry-After and acknowledges nothing; once Kafka is back it
accepts again, and every acknowledged event is in the topic. Runs its own broker so others are untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from customersignal.domain.auth import Scope
from customersignal.domain.envelope import Envelope
from tests.fixtures.api import ApiServer
from tests.fixtures.aws import free_port
from tests.fixtures.services import STACK
from tests.integration.test_api_ingest import event, post
from tests.support.waits import Deadline

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def scratch_kafka() -> Iterator[dict[str, str]]:
    state = Path(tempfile.mkdtemp(prefix="cs-kafka-outage-", dir="/var/tmp"))
    env = {
        **os.environ,
        "CS_STATE_DIR": str(state),
        "CS_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "CS_KAFKA_CONTROLLER_PORT": str(free_port()),
    }
    started = subprocess.run([STACK, "up", "kafka"], env=env, capture_output=True, text=True, check=False)
    assert started.returncode == 0, started.stdout + started.stderr
    yield env
    subprocess.run([STACK, "down", "kafka"], env=env, capture_output=True, check=False)
    shutil.rmtree(state, ignore_errors=True)


def post_with_retries(api: ApiServer, body: dict[str, object], key: str, base_s: float = 60.0) -> int:
    """What a well-behaved client does: retry a 503 after Retry-After, with the same event id; it gives up
    after a budget that scales with the machine's load (the producer's reconnect is slower on a busy one)."""
    deadline = Deadline(base_s)
    while True:
        status, headers, _ = post(api, body, key=key)
        if status != 503 or deadline.expired():
            return status
        time.sleep(int({k.lower(): v for k, v in headers.items()}["retry-after"]))


def kafka(env: dict[str, str], action: str) -> None:
    result = subprocess.run([STACK, action, "kafka"], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kafka_outage_means_503_and_nothing_acknowledged_then_recovery(
    scratch_kafka: dict[str, str], api_server_factory: Callable[[dict[str, str]], ApiServer]
) -> None:
    api = api_server_factory(
        {"CS_KAFKA_BOOTSTRAP": scratch_kafka["CS_KAFKA_BOOTSTRAP"], "CS_KAFKA_PRODUCE_TIMEOUT_MS": "1500"}
    )
    key = api.key(api.new_tenant(), Scope.INGEST)
    acknowledged: set[str] = set()
    # Given a healthy pipeline
    before = event()
    assert post(api, before, key=key)[0] == 200
    acknowledged.add(before["event_id"])
    # When the broker goes down
    kafka(scratch_kafka, "down")
    during = [event() for _ in range(3)]
    answers = [post(api, {"events": [e]}, key=key) for e in during]
    # Then every request is refused as retryable, and none claims an accepted event
    for status, headers, body in answers:
        assert status == 503, body
        assert body["error"]["code"] == "kafka_unavailable"
        assert int({k.lower(): v for k, v in headers.items()}["retry-after"]) >= 1
        assert "results" not in body
    # And when it comes back, the client's retries (same event ids, honouring Retry-After) are accepted
    kafka(scratch_kafka, "up")
    for retried in during:
        assert post_with_retries(api, retried, key) == 200
        acknowledged.add(retried["event_id"])
    # Finally, every acknowledged event is in Kafka (a refused one may be there too: dedup absorbs it)
    in_kafka = api.messages_for(acknowledged)
    assert acknowledged <= {str(Envelope.model_validate_json(m.value() or b"").event.event_id) for m in in_kafka}
