"""The maintenance function's composition root: settings and credentials read once per container."""

from __future__ import annotations

import functools

import pg8000.native

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.postgres import connect, resolve_credentials
from customersignal.settings import MaintenanceSettings, PostgresSettings


@functools.cache
def get_settings() -> MaintenanceSettings:
    return MaintenanceSettings()


@functools.cache
def _postgres() -> PostgresSettings:
    settings = get_settings()
    return resolve_credentials(settings, AwsClients(settings).secretsmanager())


def get_database() -> pg8000.native.Connection:
    """A connection per run: the schedule is hours apart, so nothing is worth keeping open between runs."""
    return connect(_postgres())
