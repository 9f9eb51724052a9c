"""pg8000 connections over a socket with TCP_NODELAY.

pg8000 writes through a buffered socket file and never sets TCP_NODELAY, so any message over about
8 KB (large Bind parameters, COPY data) can wait ~40 ms for the peer's delayed ACK. We open the
socket ourselves and hand it over.
"""

from __future__ import annotations

import socket

import pg8000.native

from customersignal.settings import PostgresSettings


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
