"""The one factory for AWS clients, so the same code talks to LocalStack, moto or real AWS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from customersignal.settings import AwsSettings

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

# Emulators accept any credentials; these are localstack-client's defaults.
_EMULATOR_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


class AwsClients:
    """Builds boto3 clients bound to one endpoint and region. Create once per container."""

    def __init__(self, settings: AwsSettings, *, timeout_s: float = 5.0) -> None:
        self._settings = settings
        self._session = boto3.session.Session()
        self._config = Config(
            region_name=settings.aws_region,
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"mode": "standard", "max_attempts": 3},
        )

    @property
    def endpoint_url(self) -> str | None:
        return self._settings.aws_endpoint_url

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"config": self._config, "region_name": self._settings.aws_region}
        if self._settings.is_emulated:
            kwargs["endpoint_url"] = self._settings.aws_endpoint_url
            if self._session.get_credentials() is None:
                kwargs.update(_EMULATOR_CREDENTIALS)
        return kwargs

    def sns(self) -> SNSClient:
        return self._session.client("sns", **self._kwargs())

    def sqs(self) -> SQSClient:
        return self._session.client("sqs", **self._kwargs())

    def ssm(self) -> SSMClient:
        return self._session.client("ssm", **self._kwargs())

    def secretsmanager(self) -> SecretsManagerClient:
        return self._session.client("secretsmanager", **self._kwargs())
