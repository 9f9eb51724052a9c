"""Kafka client settings per deployment: plaintext locally, MSK IAM, self-managed SCRAM."""

from __future__ import annotations

import json

import pytest

from customersignal.adapters import kafka_auth
from customersignal.adapters.aws import AwsClients
from customersignal.settings import KafkaSettings

pytestmark = pytest.mark.unit


@pytest.fixture
def aws(mocked_aws: AwsClients) -> AwsClients:
    return mocked_aws


def test_local_is_plaintext_with_no_credentials() -> None:
    settings = KafkaSettings()  # whatever bootstrap a developer's .env names, the local default is plaintext
    config = kafka_auth.client_config(settings, region="us-east-1")
    assert config == {"bootstrap.servers": settings.kafka_bootstrap, "security.protocol": "PLAINTEXT"}


def test_msk_iam_token_expiry_is_handed_to_librdkafka_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the signer returns (token, expiry in ms), as aws-msk-iam-sasl-signer does
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    monkeypatch.setattr(MSKAuthTokenProvider, "generate_auth_token", staticmethod(lambda region: ("tok", 1_800_000)))
    settings = KafkaSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="OAUTHBEARER")
    # When librdkafka calls the configured callback
    config = kafka_auth.client_config(settings, region="eu-west-1")
    token, expiry = config["oauth_cb"]("")
    # Then it gets seconds (it multiplies by 1000 itself)
    assert config["sasl.mechanisms"] == "OAUTHBEARER"
    assert (token, expiry) == ("tok", 1800.0)


def test_scram_credentials_come_from_secrets_manager(aws: AwsClients) -> None:
    secret = {"username": "cs-producer", "password": "pw"}
    arn = aws.secretsmanager().create_secret(Name="AmazonMSK_cs", SecretString=json.dumps(secret))["ARN"]
    settings = KafkaSettings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512", kafka_secret_arn=arn
    )
    config = kafka_auth.client_config(settings, region="us-east-1", secrets=aws.secretsmanager)
    assert (config["sasl.mechanisms"], config["sasl.username"], config["sasl.password"]) == (
        "SCRAM-SHA-512",
        "cs-producer",
        "pw",
    )


def test_scram_without_a_secret_is_a_configuration_error() -> None:
    settings = KafkaSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512")
    with pytest.raises(ValueError, match="CS_KAFKA_SECRET_ARN"):
        kafka_auth.client_config(settings, region="us-east-1")
