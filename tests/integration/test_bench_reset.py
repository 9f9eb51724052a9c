"""bench/bench_db.py's ``reset`` against the migrated schema: after the aggregator has written a batch (and a
dead letter), every table but the set-up ones is empty again, whatever tables the migrations have added."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pg8000.native
import pytest

from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from tests.fixtures.aggregator import NOW, add_tenant, envelope, records
from tests.support.bench_modules import load_bench

pytestmark = pytest.mark.integration

MakePorts = Callable[..., AggregatorPorts]


if TYPE_CHECKING:
    import bench_db
else:
    bench_db = load_bench("bench_db")


def row_counts(db: pg8000.native.Connection) -> dict[str, int]:
    tables = [str(row[0]) for row in db.run(bench_db.SCHEMA_TABLES)]
    return {t: int(db.run(f"SELECT count(*) FROM {pg8000.native.identifier(t)}")[0][0]) for t in tables}  # noqa: S608


def test_reset_empties_what_the_aggregator_wrote_and_keeps_the_tenants(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given a tenant and a batch the aggregator has applied, with a record it dead-letters
    ref = add_tenant(agg_db)
    batch = records([envelope(ref, event_type="signup"), envelope(ref, event_type="page_viewed"), b"not json"])
    assert apply_batch(batch, make_ports(), NOW).counted == 2
    written = {t for t, n in row_counts(agg_db).items() if n and t not in bench_db.KEPT_TABLES}
    assert {"events", "event_dedup", "metrics_minute", "metrics_minute_series", "dead_letters"} <= written
    # When the bench resets the database
    bench_db.reset(agg_db)
    # Then only the set-up rows are left: the tenant, its project and the schema version
    assert {t: n for t, n in row_counts(agg_db).items() if n} == {"tenants": 1, "projects": 1, "alembic_version": 1}
