"""The benchmarks' own databases: created next to the development one and built by the migrations, as
every test database is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
