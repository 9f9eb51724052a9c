"""pg8000 connections over a socket with TCP_NODELAY.

pg8000 writes through a buffered socket file and never sets TCP_NODELAY, so any message over about
8 KB (large Bind parameters, COPY data) can wait ~40 ms for the peer's delayed ACK. We open the
socket ourselves and hand it over.
"""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING

import pg8000.native
from pydantic import BaseModel, Field, SecretStr

from customersignal.settings import PostgresSettings

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class _RdsSecret(BaseModel):
    """The JSON shape RDS and Secrets Manager rotation use for database credentials."""

    host: str
    port: int = 5432
    username: str
    password: SecretStr
    dbname: str = Field(default="customersignal")


def resolve_credentials(settings: PostgresSettings, secrets: SecretsManagerClient) -> PostgresSettings:
    """On AWS the credentials live in Secrets Manager (``CS_PG_SECRET_ARN``); locally they are plain settings.

    Call once per container, in the composition root: a rotated secret is picked up by the next cold start.
    """
    if settings.pg_secret_arn is None:
        return settings
    raw = secrets.get_secret_value(SecretId=settings.pg_secret_arn)["SecretString"]
    secret = _RdsSecret.model_validate(json.loads(raw))
    return settings.model_copy(
        update={
            "pg_host": secret.host,
            "pg_port": secret.port,
            "pg_user": secret.username,
            "pg_password": secret.password,
            "pg_database": secret.dbname,
        }
    )


def open_socket(host: str, port: int, timeout_s: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout_s)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(None)
    return sock


def connect(settings: PostgresSettings, *, database: str | None = None) -> pg8000.native.Connection:
    sock = open_socket(settings.pg_host, settings.pg_port, settings.pg_connect_timeout_s)
    try:
        return pg8000.native.Connection(
            user=settings.pg_user,
            password=settings.pg_password.get_secret_value(),
            database=database or settings.pg_database,
            sock=sock,
            application_name=f"customersignal-{settings.stage}",
        )
    except BaseException:
        sock.close()
        raise
