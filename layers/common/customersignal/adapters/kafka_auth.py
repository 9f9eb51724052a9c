"""librdkafka client settings for each way of reaching Kafka: plaintext locally, IAM on MSK, SCRAM on
self-managed clusters (credentials from Secrets Manager)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from customersignal.settings import KafkaSettings

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


def msk_iam_token_callback(region: str) -> Callable[[str], tuple[str, float]]:
    def oauth_cb(_config: str) -> tuple[str, float]:
        from aws_msk_iam_sasl_signer import MSKAuthTokenProvider  # only deployed functions need it

        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        # the signer returns milliseconds; confluent-kafka expects seconds (and multiplies by 1000)
        return token, expiry_ms / 1000

    return oauth_cb


def client_config(
    settings: KafkaSettings, *, region: str, secrets: Callable[[], SecretsManagerClient] | None = None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "security.protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism == "OAUTHBEARER":
        config |= {"sasl.mechanisms": "OAUTHBEARER", "oauth_cb": msk_iam_token_callback(region)}
    elif settings.kafka_sasl_mechanism == "SCRAM-SHA-512":
        if settings.kafka_secret_arn is None or secrets is None:
            raise ValueError("SCRAM-SHA-512 needs CS_KAFKA_SECRET_ARN (a secret with username and password)")
        raw = secrets().get_secret_value(SecretId=settings.kafka_secret_arn)["SecretString"]
        credentials = json.loads(raw)
        config |= {
            "sasl.mechanisms": "SCRAM-SHA-512",
            "sasl.username": credentials["username"],
            "sasl.password": credentials["password"],
        }
    return config
