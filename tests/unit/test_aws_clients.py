"""The AWS client factory, against moto's in-process mock (no server, no network)."""

from __future__ import annotations

import json

import pytest

from customersignal.adapters.aws import AwsClients
from customersignal.settings import AwsSettings

pytestmark = pytest.mark.unit


@pytest.fixture
def deployed_clients(mocked_aws: AwsClients) -> AwsClients:
    return mocked_aws


def test_emulated_clients_target_the_configured_endpoint() -> None:
    clients = AwsClients(AwsSettings(aws_endpoint_url="http://127.0.0.1:4599", stage="local"))
    assert clients.sns().meta.endpoint_url == "http://127.0.0.1:4599"
    assert clients.ssm().meta.region_name == "us-east-1"


def test_deployed_clients_use_the_regional_aws_endpoint(deployed_clients: AwsClients) -> None:
    assert deployed_clients.endpoint_url is None
    assert deployed_clients.sns().meta.endpoint_url == "https://sns.eu-west-1.amazonaws.com"


def test_sns_to_sqs_fan_out_through_the_factory(deployed_clients: AwsClients) -> None:
    # Given an SNS topic with an SQS subscription that filters on the tenant attribute
    sns, sqs = deployed_clients.sns(), deployed_clients.sqs()
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="tenant-a")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"tenant_id": ["a"]}), "RawMessageDelivery": "true"},
    )
    # When one message per tenant is published
    for tenant in ("a", "b"):
        sns.publish(
            TopicArn=topic_arn,
            Message=f"for {tenant}",
            MessageAttributes={"tenant_id": {"DataType": "String", "StringValue": tenant}},
        )
    # Then only tenant a's message reaches tenant a's queue
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in messages] == ["for a"]


def test_ssm_and_secrets_manager_round_trip(deployed_clients: AwsClients) -> None:
    deployed_clients.ssm().put_parameter(Name="/cs/dev/flag", Value="on", Type="String")
    deployed_clients.secretsmanager().create_secret(Name="cs/pg", SecretString='{"password": "p"}')
    assert deployed_clients.ssm().get_parameter(Name="/cs/dev/flag")["Parameter"]["Value"] == "on"
    secret = deployed_clients.secretsmanager().get_secret_value(SecretId="cs/pg")["SecretString"]
    assert json.loads(secret) == {"password": "p"}
