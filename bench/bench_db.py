"""The benchmarks' own databases: created next to the development one and built by the migrations, as
every test database is."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pg8000.native

from customersignal.adapters.postgres import connect
from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]


def migrated_database(settings: PlatformSettings, name: str, *, fresh: bool) -> PlatformSettings:
    """Settings for database ``name`` at the newest migration; ``fresh`` drops it first (else it is kept)."""
    admin = connect(settings, database="postgres")
    try:
        if fresh:
            admin.run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not admin.run("SELECT 1 FROM pg_database WHERE datname = :d", d=name):
            admin.run(f"CREATE DATABASE {name}")
    finally:
        admin.close()
    bench = settings.model_copy(update={"pg_database": name})
    command = [sys.executable, "-m", "alembic", "-c", "migrations/alembic.ini", "-x", f"url={bench.sqlalchemy_url()}"]
    subprocess.run([*command, "upgrade", "head"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return bench


# Set up before a run and read by the aggregator, never written by it: kept by ``reset``. Every other
# table in the schema is emptied, so a table a migration adds is emptied without being listed here.
KEPT_TABLES = frozenset({"alembic_version", "tenants", "projects", "api_keys", "alert_rules", "webhook_endpoints"})
SCHEMA_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""


def tables_to_reset(tables: Iterable[str]) -> list[str]:
    return sorted(set(tables) - KEPT_TABLES)


def reset(db: pg8000.native.Connection) -> None:
    """Empty every table the aggregator (or a baseline) writes; partitions go with their parent. No CASCADE:
    a kept table that came to reference an emptied one fails the TRUNCATE instead of being emptied too."""
    names = tables_to_reset(str(row[0]) for row in db.run(SCHEMA_TABLES))
    db.run("TRUNCATE " + ", ".join(pg8000.native.identifier(name) for name in names))
