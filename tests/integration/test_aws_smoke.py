"""SNS publish delivered over HTTP to a local receiver, on moto and on LocalStack.

Only LocalStack behaves like AWS on the wire (SubscriptionConfirmation first, x-amz-sns-* headers,
MessageAttributes in the body); moto auto-confirms and posts a bare notification.
"""

from __future__ import annotations

import json
import uuid

import pytest

from customersignal.adapters.aws import AwsClients
from tests.fixtures.aws import HttpReceiver

pytestmark = pytest.mark.integration


def test_moto_delivers_an_sns_publish_over_http(moto_clients: AwsClients, http_receiver: HttpReceiver) -> None:
    # Given a topic with an HTTP subscription pointing at a local receiver
    sns = moto_clients.sns()
    topic_arn = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=http_receiver.url)
    # When a message is published
    message = json.dumps({"rule": "signups-drop", "state": "FIRING"})
    sns.publish(TopicArn=topic_arn, Message=message, Subject="alert")
    # Then the receiver gets the notification with the message intact
    notification = http_receiver.wait_for("Notification").json()
    assert notification["TopicArn"] == topic_arn
    assert notification["Message"] == message


@pytest.mark.localstack
def test_localstack_confirms_then_delivers_with_aws_headers_and_attributes(
    localstack_clients: AwsClients, http_receiver: HttpReceiver
) -> None:
    # Given an HTTP subscription, which LocalStack (like AWS) leaves pending until confirmed
    sns = localstack_clients.sns()
    topic_arn = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    try:
        sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=http_receiver.url)
        confirmation = http_receiver.wait_for("SubscriptionConfirmation")
        assert confirmation.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        token = confirmation.json()["Token"]
        assert isinstance(token, str)
        sns.confirm_subscription(TopicArn=topic_arn, Token=token)
        # When a message with tenant attributes is published
        message = json.dumps({"rule": "signups-drop", "state": "FIRING"})
        sns.publish(
            TopicArn=topic_arn,
            Message=message,
            MessageAttributes={"tenant_id": {"DataType": "String", "StringValue": "t-1"}},
        )
        # Then it arrives signed, with SNS's headers and the attributes in the body
        delivered = http_receiver.wait_for("Notification")
        body = delivered.json()
        assert delivered.headers["x-amz-sns-message-type"] == "Notification"
        assert delivered.headers["x-amz-sns-topic-arn"] == topic_arn
        assert body["Message"] == message
        assert body["MessageAttributes"] == {"tenant_id": {"Type": "String", "Value": "t-1"}}
        assert body["Signature"]
        assert body["SigningCertURL"]
    finally:
        sns.delete_topic(TopicArn=topic_arn)
