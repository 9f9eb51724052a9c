"""Deployed functions read Postgres credentials from Secrets Manager; local ones from settings."""

from __future__ import annotations

import json

import pytest

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.postgres import resolve_credentials
from customersignal.settings import PostgresSettings

pytestmark = pytest.mark.unit


@pytest.fixture
def clients(mocked_aws: AwsClients) -> AwsClients:
    return mocked_aws


def test_local_settings_pass_through_untouched(clients: AwsClients) -> None:
    settings = PostgresSettings()
    assert resolve_credentials(settings, clients.secretsmanager()) is settings


def test_an_rds_style_secret_replaces_the_connection_fields(clients: AwsClients) -> None:
    # Given an RDS-managed secret
    secret = {"engine": "postgres", "host": "db.internal", "port": 5432, "username": "cs", "password": "s3cr3t"}
    arn = clients.secretsmanager().create_secret(Name="cs/pg", SecretString=json.dumps(secret))["ARN"]
    # When the settings name it
    resolved = resolve_credentials(PostgresSettings(pg_secret_arn=arn), clients.secretsmanager())
    # Then the connection fields come from the secret, and the password stays secret
    assert (resolved.pg_host, resolved.pg_port, resolved.pg_user) == ("db.internal", 5432, "cs")
    assert resolved.pg_password.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(resolved)


def test_a_malformed_secret_fails_loudly(clients: AwsClients) -> None:
    arn = clients.secretsmanager().create_secret(Name="cs/bad", SecretString='{"host": "x"}')["ARN"]
    with pytest.raises(ValueError, match="username"):
        resolve_credentials(PostgresSettings(pg_secret_arn=arn), clients.secretsmanager())
