"""Settings: local defaults that work with nothing set, and the localstack-client endpoint conventions."""

from __future__ import annotations

import os

import pytest

from customersignal.settings import AwsSettings, PlatformSettings, PostgresSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("AWS_ENDPOINT_URL", "LOCALSTACK_HOST", "USE_SSL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env file


def test_defaults_point_at_the_native_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CS_") or n in ("LOCALSTACK_HOST", "AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)  # the defaults, not this developer's environment or .env
    settings = PlatformSettings(_env_file=None)
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert (settings.pg_host, settings.pg_port) == ("127.0.0.1", 5433)
    assert settings.redis_url.get_secret_value() == "redis://127.0.0.1:6380/0"
    assert settings.aws_endpoint_url == "http://127.0.0.1:4566"


def test_cs_prefixed_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_KAFKA_BOOTSTRAP", "broker:19092")
    monkeypatch.setenv("CS_PG_PORT", "6543")
    settings = PlatformSettings()
    assert settings.kafka_bootstrap == "broker:19092"
    assert settings.pg_port == 6543


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:4566"),
        ({"LOCALSTACK_HOST": "aws.local:4570"}, "http://aws.local:4570"),
        (
            {"LOCALSTACK_HOST": "aws.local"},
            "http://aws.local:4566",
        ),  # port defaults to 4566, as in localstack-client
        ({"LOCALSTACK_HOST": "aws.local", "USE_SSL": "1"}, "https://aws.local:4566"),
        ({"AWS_ENDPOINT_URL": "http://10.0.0.9:5000"}, "http://10.0.0.9:5000"),  # wins over everything
        ({"CS_AWS_ENDPOINT_URL": "http://moto:5000", "LOCALSTACK_HOST": "x"}, "http://moto:5000"),
    ],
)
def test_local_endpoint_follows_localstack_client_conventions(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert AwsSettings().aws_endpoint_url == expected


def test_a_deployed_stage_talks_to_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_STAGE", "prod")
    monkeypatch.setenv("CS_AWS_ENDPOINT_URL", "")  # what the template sets
    settings = AwsSettings()
    assert settings.aws_endpoint_url is None
    assert not settings.is_emulated


def test_secrets_never_appear_in_repr() -> None:
    settings = PostgresSettings(pg_password="hunter2")  # type: ignore[arg-type]
    assert "hunter2" not in repr(settings)
    assert "hunter2" in settings.sqlalchemy_url()
    assert settings.sqlalchemy_url().startswith("postgresql+pg8000://")
