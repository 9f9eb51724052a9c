"""pg8000 connections over a socket with TCP_NODELAY, converting each statement's parameters once.

pg8000 writes through a buffered socket file and never sets TCP_NODELAY, so any message over about
8 KB (large Bind parameters, COPY data) can wait ~40 ms for the peer's delayed ACK. We open the
socket ourselves and hand it over.

pg8000's ``run`` turns ``:name`` parameters into ``$n`` with a Python loop over every character of the
SQL, on every call. The aggregator's batch statement is thousands of characters run once per batch, so
``Connection`` keeps the conversion per SQL text (a bounded cache: the texts are the code's constants and a
few shapes built from them).
"""

from __future__ import annotations

import functools
import json
import socket
import ssl
from typing import TYPE_CHECKING, Any, TypedDict

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


def ssl_context(settings: PostgresSettings) -> ssl.SSLContext | None:
    """pg8000's ``ssl_context`` for ``pg_sslmode``. None is pg8000's own default, libpq's "prefer": it asks for
    TLS and takes it unverified when the server offers it (RDS does), plaintext otherwise (the local stack).
    pg8000 refuses the connection when a context is given and the server has no TLS ("require")."""
    if settings.pg_sslmode == "prefer":
        return None
    if settings.pg_sslmode == "require":
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        return unverified
    root = settings.pg_sslrootcert
    return ssl.create_default_context(cafile=str(root) if root is not None else None)


class ConnectionArguments(TypedDict):
    user: str
    password: str
    host: str
    ssl_context: ssl.SSLContext | None


def connection_arguments(settings: PostgresSettings) -> ConnectionArguments:
    """What every pg8000 connection of ours is opened with, but the socket and the database."""
    return {
        "user": settings.pg_user,
        "password": settings.pg_password.get_secret_value(),
        # with a socket given, pg8000 uses the host only for TLS: the name the certificate must carry
        "host": settings.pg_host,
        "ssl_context": ssl_context(settings),
    }


_converted = functools.lru_cache(maxsize=512)(pg8000.native.to_statement)


class Connection(pg8000.native.Connection):  # type: ignore[misc]  # pg8000 ships no type information
    """pg8000's native connection; ``run`` converts each SQL text's parameters once (module docstring)."""

    def run(self, sql: str, stream: Any = None, types: Any = None, **params: Any) -> Any:
        if types is not None or (not params and stream is None):
            return super().run(sql, stream=stream, types=types, **params)
        statement, make_vals = _converted(sql)
        self._context = self.execute_unnamed(statement, make_vals(params), oids=(), stream=stream)
        return self._context.rows


def connect(settings: PostgresSettings, *, database: str | None = None) -> pg8000.native.Connection:
    sock = open_socket(settings.pg_host, settings.pg_port, settings.pg_connect_timeout_s)
    try:
        return Connection(
            **connection_arguments(settings),
            database=database or settings.pg_database,
            sock=sock,
            application_name=f"customersignal-{settings.stage}",
        )
    except BaseException:
        sock.close()
        raise
