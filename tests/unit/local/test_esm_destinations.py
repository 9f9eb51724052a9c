"""On-failure destinations of the ESM emulator: SQS and SNS get metadata (through AwsClients, here against
moto's in-process mock), a Kafka topic gets the records with failure headers (see the integration test)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from customersignal.adapters.aws import AwsClients
from customersignal.local.esm.destinations import (
    AwsDestination,
    DestinationError,
    failure_headers,
    invocation_record,
)
from customersignal.local.esm.events import RecordData
from customersignal.local.esm.failures import RECORD_AGE_EXCEEDED, RETRY_ATTEMPTS_EXHAUSTED, Failure

pytestmark = pytest.mark.unit

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Fn"
FAILURE = Failure(RETRY_ATTEMPTS_EXHAUSTED, "ValueError: boom", 3)
RECORDS = (
    RecordData("orders", 1, 7, 1_700_000_000_000, b"a", headers=(("trace", b"t1"),)),
    RecordData("orders", 0, 4, 1_700_000_001_000, b"b"),
    RecordData("orders", 1, 8, 1_700_000_002_000, b"c"),
)


def test_each_record_sent_to_the_destination_is_a_json_document_containing_metadata_about_the_failed_invocation() -> (
    None
):
    group = [RECORDS[0], RECORDS[2]]
    document = invocation_record(group, FAILURE, FUNCTION_ARN, {"bootstrapServers": "b:1"}, 1_700_000_003_000)
    assert document["requestContext"]["condition"] == RETRY_ATTEMPTS_EXHAUSTED
    assert document["requestContext"]["approximateInvokeCount"] == 3
    assert document["requestContext"]["functionArn"] == FUNCTION_ARN
    assert document["responseContext"]["functionError"] == "Unhandled"
    assert document["timestamp"] == "2023-11-14T22:13:23.000Z"
    assert document["KafkaBatchInfo"] == {
        "batchSize": 2,
        "topic": "orders",
        "partition": 1,
        "firstOffset": 7,
        "lastOffset": 8,
        "approximateArrivalOfFirstRecord": "2023-11-14T22:13:20.000Z",
        "approximateArrivalOfLastRecord": "2023-11-14T22:13:22.000Z",
        "bootstrapServers": "b:1",
    }


def test_records_expired_before_any_invocation_have_no_response_context() -> None:
    expired = Failure(RECORD_AGE_EXCEEDED, "older than 60s", 0)
    document = invocation_record([RECORDS[1]], expired, FUNCTION_ARN, {"eventSourceArn": "arn:x"}, 0)
    assert "responseContext" not in document
    assert document["KafkaBatchInfo"]["eventSourceArn"] == "arn:x"


def test_a_kafka_destination_keeps_the_records_headers_and_adds_the_failure_metadata() -> None:
    headers = dict(failure_headers(RECORDS[0], FAILURE, FUNCTION_ARN, 1_700_000_009_000))
    assert headers["trace"] == b"t1"
    assert headers["esm-condition"] == b"RetryAttemptsExhausted"
    assert headers["esm-error"] == b"ValueError: boom"
    assert headers["esm-approximate-invoke-count"] == b"3"
    assert (headers["esm-source-topic"], headers["esm-source-partition"], headers["esm-source-offset"]) == (
        b"orders",
        b"1",
        b"7",
    )


def test_an_sqs_destination_gets_one_metadata_message_per_partition(mocked_aws: AwsClients) -> None:
    sqs = mocked_aws.sqs()
    url = sqs.create_queue(QueueName="esm-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    AwsDestination(arn, mocked_aws, {"bootstrapServers": "b:1"}).send(RECORDS, FAILURE, FUNCTION_ARN)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    infos = sorted((json.loads(m["Body"])["KafkaBatchInfo"] for m in messages), key=lambda i: int(i["partition"]))
    assert [(i["partition"], i["firstOffset"], i["lastOffset"], i["batchSize"]) for i in infos] == [
        (0, 4, 4, 1),
        (1, 7, 8, 2),
    ]


def test_an_sns_destination_publishes_the_metadata(mocked_aws: AwsClients) -> None:
    sns, sqs = mocked_aws.sns(), mocked_aws.sqs()
    topic = sns.create_topic(Name="esm-failures")["TopicArn"]
    url = sqs.create_queue(QueueName="esm-sub")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    AwsDestination(topic, mocked_aws, {"eventSourceArn": "arn:x"}).send(RECORDS[1:2], FAILURE, FUNCTION_ARN)
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    body: dict[str, Any] = json.loads(message["Body"])
    assert body["KafkaBatchInfo"]["eventSourceArn"] == "arn:x"


def test_a_destination_that_does_not_take_the_records_raises_so_they_stay_pending(mocked_aws: AwsClients) -> None:
    missing = "arn:aws:sqs:eu-west-1:123456789012:no-such-queue"
    with pytest.raises(DestinationError, match="no-such-queue"):
        AwsDestination(missing, mocked_aws, {}).send(RECORDS, FAILURE, FUNCTION_ARN)
