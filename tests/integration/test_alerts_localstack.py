"""The subscription-confirmation flow and both signatures against LocalStack (moto skips confirmation and
does not sign): our SNS channel subscribes a receiver built from ``customersignal.receiver``, the receiver
verifies LocalStack's signature and confirms, and then verifies the SNS signature and our HMAC on each
alert, running it once and dropping a replay."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.sns_alerts import SnsAlertChannel
from customersignal.domain.webhook_signing import envelope, new_secret
from customersignal.receiver.app import WebhookReceiver
from customersignal.receiver.sns_verify import LOCALSTACK_HOST_PATTERN
from tests.support.waits import scaled, wait_for, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.localstack]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def topic(localstack_clients: AwsClients) -> Iterator[str]:
    sns = localstack_clients.sns()
    arn = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}", Attributes={"SignatureVersion": "2"})["TopicArn"]
    yield arn
    sns.delete_topic(TopicArn=arn)


def test_a_receiver_confirms_and_verifies_both_signatures(localstack_clients: AwsClients, topic: str) -> None:
    sns = localstack_clients.sns()
    secret, received = new_secret(), []
    receiver = WebhookReceiver(
        topic_arns={topic},
        secret=secret,
        on_alert=lambda webhook_id, payload: received.append((webhook_id, payload)),
        http_get=lambda url: urllib.request.urlopen(url, timeout=scaled(5)).read(),  # noqa: S310 - LocalStack on loopback
        fetch_cert=lambda url: urllib.request.urlopen(url, timeout=scaled(5)).read(),  # noqa: S310
        local_sns_host_pattern=LOCALSTACK_HOST_PATTERN,
    )
    answered: list[str] = []  # the receiver's answer to each request it has finished handling

    def counting(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        answer = receiver(environ, start_response)
        answered.append(json.loads(answer[0])["status"])
        return answer

    server = make_server("127.0.0.1", 0, counting, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tenant, endpoint = uuid.uuid4(), uuid.uuid4()
        channel = SnsAlertChannel(sns, topic)
        arn = channel.subscribe(tenant, endpoint, f"http://127.0.0.1:{server.server_port}/hook")

        def confirmed() -> bool:
            attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
            return attributes.get("PendingConfirmation") == "false"

        wait_until(confirmed, "the receiver to confirm the subscription", base_s=20)
        handled = len(answered)
        payload = {"type": "customersignal.alert.transition", "state": "FIRING", "tenant_id": str(tenant)}
        message = envelope("rule-1:FIRING:2026-11-27T12:00:00Z", int(time.time()), payload, secret)
        channel.publish(tenant, endpoint, message, {"rule": "rule-1", "severity": "critical"})
        channel.publish(tenant, endpoint, message, {"rule": "rule-1", "severity": "critical"})  # a replay
        channel.publish(uuid.uuid4(), endpoint, message, {"rule": "x", "severity": "info"})  # another tenant: filtered
        # Then the receiver has handled both deliveries to this tenant's endpoint (the other tenant's message is
        # filtered out by SNS), and ran the alert once: the replay was dropped
        wait_for(lambda: answered[handled:], lambda got: len(got) >= 2, "the alert and its replay", base_s=20)
        assert received == [("rule-1:FIRING:2026-11-27T12:00:00Z", payload)]
    finally:
        server.shutdown()
