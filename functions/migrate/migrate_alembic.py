"""Alembic against the deployment's Postgres, with the migrations packaged beside this module.

``migrations`` in this folder is a symlink to the repository's ``migrations/``: `sam build` copies the
files it points at into the function (and its build cache hashes them too), so the scripts deployed are
the ones `make migrate` runs, with the same alembic.ini and env.py.
"""

from __future__ import annotations

from pathlib import Path

import pg8000.dbapi
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from migrate_plan import AheadOfCode, Migrated, migrations_hash
from sqlalchemy import Engine, create_engine, pool

from customersignal.adapters.postgres import connection_arguments, open_socket
from customersignal.settings import PostgresSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def packaged_hash(root: Path = MIGRATIONS) -> str:
    return migrations_hash({p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.py")})


class AlembicMigrator:
    """``alembic upgrade head``, refusing to touch a database that is ahead of these scripts."""

    def __init__(self, settings: PostgresSettings, root: Path = MIGRATIONS) -> None:
        self._settings = settings
        self._config = Config(str(root / "alembic.ini"))
        self._config.attributes["configure_logger"] = False  # Powertools owns the function's logging

    def upgrade(self) -> Migrated | AheadOfCode:
        engine = self._engine()
        try:
            before = self._current(engine)
            if before is not None and not self._known(before):
                return AheadOfCode(before)
            # a connection outside any transaction: env.py then commits each revision on its own, so a
            # failing revision leaves the database at the one before it, as `make migrate` does
            with engine.connect() as connection:
                self._config.attributes["connection"] = connection
                command.upgrade(self._config, "head")
            return Migrated(before, self._current(engine))
        finally:
            self._config.attributes.pop("connection", None)
            engine.dispose()

    def _engine(self) -> Engine:
        # our own socket: the connect timeout bounds only the connect (pg8000's `timeout` would also cut
        # off a long-running DDL statement)
        settings = self._settings

        def connect() -> pg8000.dbapi.Connection:
            return pg8000.dbapi.connect(
                **connection_arguments(settings),
                database=settings.pg_database,
                sock=open_socket(settings.pg_host, settings.pg_port, settings.pg_connect_timeout_s),
                application_name=f"customersignal-{settings.stage}-migrate",
            )

        return create_engine("postgresql+pg8000://", creator=connect, poolclass=pool.NullPool)

    @staticmethod
    def _current(engine: Engine) -> str | None:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def _known(self, revision: str) -> bool:
        try:
            return ScriptDirectory.from_config(self._config).get_revision(revision) is not None
        except CommandError:
            return False
