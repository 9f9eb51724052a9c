"""Alerts over SNS: each registered webhook endpoint is an HTTP(S) subscription of the one alerts topic,
with a filter policy on its tenant and its own endpoint id, and each notification is published once per
endpoint (its Standard-Webhooks signature is per endpoint, so the message body differs per endpoint).

Scale. A topic takes 200 filter policies by default (10,000 per account, both raisable), so one topic
serves 200 endpoints; past that, endpoints are spread over several topics by a hash of the tenant (one
more attribute to route on), which this adapter's ``topic_for`` is the place for. Publishing costs one
request per endpoint per transition; a transition is rare next to the event stream.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from customersignal.domain.errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

RETRY_AFTER_S = 30


LOCAL_TOPIC = "customersignal-local-alerts"


def alerts_topic_arn(configured: str | None, stage: str, sns: SNSClient) -> str:
    """The configured topic (template.yaml passes it); on the local stack, the local topic, created if missing
    (CreateTopic is idempotent). Anywhere else a missing topic is a configuration error."""
    if configured:
        return configured
    if stage == "local":
        return str(sns.create_topic(Name=LOCAL_TOPIC, Attributes={"SignatureVersion": "2"})["TopicArn"])
    raise RuntimeError("CS_ALERTS_TOPIC_ARN is not set: alerts have no SNS topic")


def filter_policy(tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> str:
    return json.dumps({"tenant": [str(tenant_id)], "endpoint": [str(endpoint_id)]})


class SnsAlertChannel:
    def __init__(self, sns: SNSClient, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def topic_for(self, tenant_id: uuid.UUID) -> str:
        return self._topic_arn

    def subscribe(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, url: str) -> str:
        """The subscription's ARN ("pending confirmation" until the endpoint confirms it)."""
        try:
            answer = self._sns.subscribe(
                TopicArn=self.topic_for(tenant_id),
                Protocol="https" if url.startswith("https://") else "http",
                Endpoint=url,
                Attributes={
                    "FilterPolicy": filter_policy(tenant_id, endpoint_id),
                    "FilterPolicyScope": "MessageAttributes",
                },
                ReturnSubscriptionArn=True,
            )
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(error) from error
        return str(answer["SubscriptionArn"])

    def confirmed(self, subscription_arn: str) -> bool:
        """Has the endpoint confirmed its subscription (GET on the SubscribeURL SNS sent it)?"""
        try:
            attributes = self._sns.get_subscription_attributes(SubscriptionArn=subscription_arn)["Attributes"]
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(error) from error
        return attributes.get("PendingConfirmation") == "false"

    def unsubscribe(self, subscription_arn: str) -> None:
        try:
            self._sns.unsubscribe(SubscriptionArn=subscription_arn)
        except self._sns.exceptions.NotFoundException:
            return
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(error) from error

    def publish(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, message: str, attributes: Mapping[str, str]) -> str:
        """SNS's message id, once SNS holds the message."""
        message_attributes: dict[str, Any] = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in {**attributes, "tenant": str(tenant_id), "endpoint": str(endpoint_id)}.items()
        }
        try:
            answer = self._sns.publish(
                TopicArn=self.topic_for(tenant_id), Message=message, MessageAttributes=message_attributes
            )
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(error) from error
        return str(answer["MessageId"])


def _unavailable(error: Exception) -> Unavailable:
    return Unavailable(code="sns_unavailable", message=f"SNS did not answer ({error})", retry_after_s=RETRY_AFTER_S)
