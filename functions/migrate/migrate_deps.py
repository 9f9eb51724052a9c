"""The migration function's composition root: settings read and credentials resolved once per container.

Built only when a request needs the database, so a Delete answers even if the secret or the database
is gone.
"""

from __future__ import annotations

import functools

from migrate_alembic import AlembicMigrator

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.postgres import resolve_credentials
from customersignal.settings import AwsSettings, PostgresSettings


class MigrationSettings(PostgresSettings, AwsSettings):
    """Exactly what the migration function reads: the database (CS_PG_SECRET_ARN on AWS) and the region."""


@functools.cache
def get_migrator() -> AlembicMigrator:
    settings = MigrationSettings()
    return AlembicMigrator(resolve_credentials(settings, AwsClients(settings).secretsmanager()))
