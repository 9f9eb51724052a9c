"""On-failure destinations: where records go when retries or record age run out.

AWS (kafka-on-failure): "Each record sent to the destination is a JSON document containing metadata
about the failed invocation." (SQS, SNS) and, for a Kafka topic (kafka-on-failure-destination), "Lambda
acts as a Kafka producer and writes failed records to the destination topic" and "Kafka destinations
receive the actual failed records along with failure metadata."

Docs silent (or not read), our choices:
* SQS/SNS get one message per partition of the failed records, shaped like Lambda's stream invocation
  records: ``requestContext`` (requestId, functionArn, condition, approximateInvokeCount),
  ``responseContext``, ``version``, ``timestamp`` and ``KafkaBatchInfo`` (batchSize, topic, partition,
  firstOffset, lastOffset, approximateArrivalOfFirstRecord/LastRecord, eventSourceArn or
  bootstrapServers). The Kafka example on AWS's page was not readable here, so treat field names as ours.
* A Kafka destination gets each record with its key, value and headers, plus ``esm-*`` headers:
  condition, error, function ARN, approximate invoke count, source topic, partition, offset and
  timestamp (ms), failure time (ms). It is produced with a fresh timestamp.
* A destination that cannot be reached raises ``DestinationError``; the poller keeps the records (their
  partition is not committed) and tries again, so nothing is lost while the destination is down.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from confluent_kafka import KafkaError, Message, Producer

from customersignal.adapters.aws import AwsClients
from customersignal.local.esm.events import RecordData
from customersignal.local.esm.failures import Failure

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

FLUSH_TIMEOUT_S = 10.0


class DestinationError(RuntimeError):
    """The on-failure destination did not take the records; they stay pending."""


class Destination(Protocol):
    uri: str

    def send(self, records: Sequence[RecordData], failure: Failure, function_arn: str) -> None: ...


def _iso(epoch_ms: float) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def by_partition(records: Sequence[RecordData]) -> list[list[RecordData]]:
    groups: dict[tuple[str, int], list[RecordData]] = {}
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        groups.setdefault((record.topic, record.partition), []).append(record)
    return list(groups.values())


def invocation_record(
    records: Sequence[RecordData], failure: Failure, function_arn: str, source: dict[str, str], now_ms: float
) -> dict[str, Any]:
    """The metadata document for one partition's failed records (``source``: eventSourceArn or bootstrapServers)."""
    first, last = records[0], records[-1]
    document: dict[str, Any] = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": failure.condition,
            "approximateInvokeCount": failure.invoke_count,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": _iso(now_ms),
        "KafkaBatchInfo": {
            "batchSize": len(records),
            "topic": first.topic,
            "partition": first.partition,
            "firstOffset": first.offset,
            "lastOffset": last.offset,
            "approximateArrivalOfFirstRecord": _iso(first.timestamp_ms),
            "approximateArrivalOfLastRecord": _iso(last.timestamp_ms),
            **source,
        },
    }
    if failure.invoke_count == 0:  # expired before any invocation: there is no response to describe
        del document["responseContext"]
    return document


def failure_headers(
    record: RecordData, failure: Failure, function_arn: str, now_ms: int
) -> list[tuple[str, str | bytes | None]]:
    values = {
        "esm-condition": failure.condition,
        "esm-error": (failure.error or "")[:1000],
        "esm-function-arn": function_arn,
        "esm-approximate-invoke-count": str(failure.invoke_count),
        "esm-source-topic": record.topic,
        "esm-source-partition": str(record.partition),
        "esm-source-offset": str(record.offset),
        "esm-source-timestamp": str(record.timestamp_ms),
        "esm-failed-at": str(now_ms),
    }
    return [*record.headers, *((name, value.encode()) for name, value in values.items())]


class KafkaTopicDestination:
    def __init__(self, topic: str, bootstrap: str) -> None:
        self.uri = f"kafka://{topic}"
        self.topic = topic
        self._producer = Producer(
            {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "message.timeout.ms": 8000}
        )

    def send(self, records: Sequence[RecordData], failure: Failure, function_arn: str) -> None:
        errors: list[KafkaError] = []

        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                errors.append(error)

        now_ms = int(time.time() * 1000)
        for record in records:
            headers = failure_headers(record, failure, function_arn, now_ms)
            self._producer.produce(self.topic, record.value, record.key, headers=headers, on_delivery=delivered)
        left = self._producer.flush(FLUSH_TIMEOUT_S)
        if errors or left:
            raise DestinationError(f"{self.uri}: {left} record(s) undelivered, errors: {errors[:3]}")


class AwsDestination:
    """SQS queue or SNS topic, through the same client factory the application uses."""

    def __init__(self, arn: str, clients: AwsClients, source: dict[str, str]) -> None:
        self.uri = arn
        self.service = arn.split(":")[2]
        self._clients = clients
        self._source = source
        self._queue_url: str | None = None
        self._sns: SNSClient | None = None
        self._sqs: SQSClient | None = None

    def _send_one(self, body: str) -> None:
        # clients are built on first use: a kafka:// or absent destination never needs the AWS endpoint
        if self.service == "sns":
            self._sns = self._sns or self._clients.sns()
            self._sns.publish(TopicArn=self.uri, Message=body)
            return
        self._sqs = self._sqs or self._clients.sqs()
        if self._queue_url is None:
            _, _, _, _, account, name = self.uri.split(":", 5)
            self._queue_url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=body)

    def send(self, records: Sequence[RecordData], failure: Failure, function_arn: str) -> None:
        try:
            for group in by_partition(records):
                document = invocation_record(group, failure, function_arn, self._source, time.time() * 1000)
                self._send_one(json.dumps(document))
        except Exception as exc:  # any client error means "not delivered, try again"
            raise DestinationError(f"{self.uri}: {exc}") from exc
