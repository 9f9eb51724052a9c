"""Settings, read from the environment (prefix ``CS_``) and, locally, from a ``.env`` file.

Each function composes only the mixins it needs, so a missing variable fails at cold start rather than
mid-request. Every default works against the native local stack (`make services`) with nothing set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_STAGE = "local"


MIN_EVENTS_RETENTION_DAYS = 8  # the lateness horizon: a late event for a dropped day would have nowhere to go


class _Base(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CS_", env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

    stage: str = Field(default=LOCAL_STAGE, description="local, dev, prod, ...")


class KafkaSettings(_Base):
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = "PLAINTEXT"
    # MSK: OAUTHBEARER (IAM); self-managed: SCRAM-SHA-512 with the credentials in kafka_secret_arn
    kafka_sasl_mechanism: Literal["OAUTHBEARER", "SCRAM-SHA-512"] | None = None
    kafka_secret_arn: str | None = None
    kafka_events_topic: str = "events_raw"
    kafka_dlq_topic: str = "events_dlq"
    # the producer gives up (and the API answers 503) after this; keep it well below the 29 s API timeout
    kafka_produce_timeout_ms: int = Field(default=5000, ge=100, le=20000)
    # every request waits for its own acknowledgement, so lingering to batch only adds latency
    kafka_linger_ms: int = Field(default=0, ge=0, le=100)


class PostgresSettings(_Base):
    pg_host: str = "127.0.0.1"
    pg_port: int = 5433
    pg_user: str = "customersignal"
    pg_password: SecretStr = SecretStr("customersignal")
    pg_database: str = "customersignal"
    pg_connect_timeout_s: float = 5.0
    pg_sslmode: Literal["prefer", "require", "verify-full"] = Field(
        default="prefer",
        description="TLS to Postgres, as libpq's sslmode: prefer = TLS when the server offers it (unverified), "
        "require = TLS or no connection (unverified), verify-full = TLS with the certificate checked against "
        "pg_sslrootcert (or the system CAs) and the host name",
    )
    pg_sslrootcert: Path | None = Field(default=None, description="CA bundle for verify-full, e.g. RDS's")
    pg_secret_arn: str | None = Field(
        default=None,
        description="deployed stages: an RDS-style Secrets Manager secret that overrides the pg_* fields",
    )

    def sqlalchemy_url(self) -> str:
        """The URL Alembic uses (SQLAlchemy appears only in migrations; pg8000 is the driver)."""
        from sqlalchemy.engine import URL

        return URL.create(
            "postgresql+pg8000",
            username=self.pg_user,
            password=self.pg_password.get_secret_value(),
            host=self.pg_host,
            port=self.pg_port,
            database=self.pg_database,
        ).render_as_string(hide_password=False)


class RedisSettings(_Base):
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6380/0")


class AwsSettings(_Base):
    """Where AWS calls go. Follows the localstack-client conventions.

    On a local stage with no endpoint set, calls go to ``http://$LOCALSTACK_HOST`` (default
    ``127.0.0.1:4566``), which is LocalStack or moto. ``CS_AWS_ENDPOINT_URL`` or the standard
    ``AWS_ENDPOINT_URL`` override it; on a deployed stage, no endpoint means real AWS.
    """

    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("CS_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    aws_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CS_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL")
    )
    localstack_host: str = Field(default="127.0.0.1:4566", validation_alias="LOCALSTACK_HOST")
    use_ssl: bool = Field(default=False, validation_alias="USE_SSL")

    @model_validator(mode="after")
    def _local_endpoint(self) -> AwsSettings:
        if self.aws_endpoint_url == "":
            object.__setattr__(self, "aws_endpoint_url", None)
        if self.aws_endpoint_url is None and self.stage == LOCAL_STAGE:
            host = self.localstack_host if ":" in self.localstack_host else f"{self.localstack_host}:4566"
            scheme = "https" if self.use_ssl else "http"
            object.__setattr__(self, "aws_endpoint_url", f"{scheme}://{host}")
        return self

    @property
    def is_emulated(self) -> bool:
        return self.aws_endpoint_url is not None


class ConsumerGroupSettings(_Base):
    # the offset fences in Postgres are kept per consumer group: template.yaml's ConsumerGroupId
    aggregator_consumer_group: str = Field(default="customersignal-local-aggregator", min_length=1, max_length=200)


class WebhookSettings(_Base):
    webhook_key_secret_arn: str | None = Field(
        default=None, description="Secrets Manager secret with the AES key of webhook secrets (base64, 32 bytes)"
    )
    webhook_local_mode: bool = Field(
        default=False, description="allow http:// and loopback webhook URLs (a local stack only, never deployed)"
    )


class AlertTargetSettings(_Base):
    alerts_topic_arn: str | None = Field(default=None, description="the SNS topic alerts are published to")
    dashboard_url: str = Field(default="http://127.0.0.1:8000", description="links in notifications point here")


class TracingSettings(_Base):
    """Spans: OpenTelemetry SDK locally, Powertools Tracer (X-Ray) on AWS. Either way the W3C trace id the
    client gets back is the one in Kafka, the aggregate and the alert notifications."""

    tracing: Literal["otel", "xray", "off"] = Field(
        default="otel", description="otel: OpenTelemetry SDK; xray: Powertools Tracer (deployed); off: ids only"
    )
    tracing_exporter: Literal["none", "console", "otlp", "memory"] = Field(
        default="none",
        description="where OpenTelemetry spans go: console (a JSON line each), otlp (OTEL_EXPORTER_OTLP_ENDPOINT); "
        "none: no spans are made, only the W3C ids",
    )


class AggregatorSettings(
    KafkaSettings,
    PostgresSettings,
    RedisSettings,
    AwsSettings,
    ConsumerGroupSettings,
    WebhookSettings,
    AlertTargetSettings,
    TracingSettings,
):
    """Exactly what the aggregator function reads (template.yaml passes these); the alert settings are for its
    fast path (short threshold rules checked as counts change)."""


class AlertSettings(
    KafkaSettings,
    PostgresSettings,
    AwsSettings,
    WebhookSettings,
    ConsumerGroupSettings,
    AlertTargetSettings,
    TracingSettings,
):
    """Exactly what the alert evaluator reads (template.yaml passes these)."""


class MaintenanceSettings(PostgresSettings, AwsSettings):
    """Exactly what the maintenance function reads (template.yaml passes these)."""

    events_retention_days: int = Field(
        default=0, ge=0, description="drop raw-event partitions older than this many days (0: keep them all)"
    )

    @field_validator("events_retention_days")
    @classmethod
    def _past_the_lateness_horizon(cls, days: int) -> int:
        if 0 < days < MIN_EVENTS_RETENTION_DAYS:
            raise ValueError(f"at least {MIN_EVENTS_RETENTION_DAYS} days (late events may still arrive), or 0")
        return days


class PlatformSettings(
    KafkaSettings,
    PostgresSettings,
    RedisSettings,
    AwsSettings,
    ConsumerGroupSettings,
    WebhookSettings,
    AlertTargetSettings,
    TracingSettings,
):
    """Everything at once: for the CLI and the local runner, never for a single Lambda function."""
