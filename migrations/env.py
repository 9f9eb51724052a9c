"""Alembic environment for CustomerSignal: explicit-SQL revisions, pg8000 as the driver.

The database is resolved in this order:

1. ``-x url=postgresql+pg8000://...`` on the command line (programmatically: ``cmd_opts.x``);
2. a SQLAlchemy ``Connection`` passed in ``config.attributes["connection"]`` (tests, a migrate Lambda);
   the caller owns it and its transaction (``with engine.begin() as conn: ...``);
3. ``PostgresSettings().sqlalchemy_url()``: the same ``CS_PG_*`` settings the application reads.

Each revision runs in its own transaction (Postgres DDL is transactional), so a failed revision leaves
the database at the previous one. There is no ORM metadata: autogenerate is not used.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from customersignal.adapters.postgres import ssl_context
from customersignal.settings import PostgresSettings

config = context.config

# Callers that own logging (pytest, a Lambda) set attributes["configure_logger"] = False.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url_from_x_argument() -> str | None:
    return context.get_x_argument(as_dictionary=True).get("url") or None


def _configure_and_run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: render the SQL for a DBA instead of running it."""
    context.configure(
        url=_url_from_x_argument() or PostgresSettings().sqlalchemy_url(),
        target_metadata=None,
        literal_binds=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url_from_x_argument()
    passed = config.attributes.get("connection")
    if url is None and isinstance(passed, Connection):
        _configure_and_run(passed)
        return
    settings = PostgresSettings()
    # TLS as every other connection of ours (pg_sslmode); an explicit -x url is taken as it is
    tls = {} if url else {"connect_args": {"ssl_context": ssl_context(settings)}}
    engine = create_engine(url or settings.sqlalchemy_url(), poolclass=pool.NullPool, **tls)
    try:
        with engine.connect() as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
