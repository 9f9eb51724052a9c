"""Rollup upkeep against real Postgres: the backfill is all or nothing and runs once per rollup, the value
cap stops a runaway dimension, and both run from the maintenance function and the CLI."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pg8000.native
import pytest
from pg8000.exceptions import DatabaseError

from customersignal.adapters.pg_rollup_backfill import backfill_rollups
from customersignal.adapters.postgres import connect
from customersignal.cli import main
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.domain.rollups import VALUE_CAP, BackfillResult
from customersignal.local.runtime import LambdaContext, import_handler
from customersignal.local.template import function_spec, load_template
from customersignal.settings import PostgresSettings
from tests.fixtures.aggregator import TenantRef, add_tenant, records
from tests.fixtures.services import ROOT
from tests.integration.test_rollups_batch import AFTER, BEFORE, H1, checkout, mark, rollup_cells
from tests.support.waits import scaled, wait_for

pytestmark = pytest.mark.integration
MakePorts = Callable[..., AggregatorPorts]
PENDING = "SELECT property_name, backfilled_at IS NOT NULL FROM property_rollups ORDER BY 1"


def marked_with_history(db: pg8000.native.Connection, make_ports: MakePorts, partition: int = 0) -> TenantRef:
    """A tenant with two checkouts received before plan was marked, and one after (freshness passes the mark),
    at offsets 0-2 of ``partition``."""
    ref = add_tenant(db)
    ports = make_ports()
    before = [checkout(ref, "u1", H1, BEFORE, plan="pro"), checkout(ref, "u2", H1 - timedelta(days=1), BEFORE)]
    apply_batch(records(before, partition=partition), ports, BEFORE)
    mark(db, ref, "plan", "dimension")
    after = [checkout(ref, "u3", H1, AFTER, plan="pro")]
    apply_batch(records(after, partition=partition, first_offset=2), ports, AFTER)
    return ref


BACKFILLED = {
    ("plan", '"pro"', "", H1): (2, 2, 0, 0.0, None, None),
    ("plan", "null", "", H1 - timedelta(days=1)): (1, 1, 0, 0.0, None, None),
}


def test_a_backfill_that_fails_adds_nothing_and_the_next_run_adds_it_once(
    agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given a pending rollup, and a stamp that fails after the rows are written (a crash at the end)
    ref = marked_with_history(agg_db, make_ports)
    agg_db.run(
        "CREATE FUNCTION no_stamp() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'crash before the commit'; END $$"
    )
    agg_db.run("CREATE TRIGGER no_stamp BEFORE UPDATE ON property_rollups FOR EACH ROW EXECUTE FUNCTION no_stamp()")
    # When the backfill runs Then it fails, and leaves the rollup pending and only the aggregator's rows
    with pytest.raises(DatabaseError, match="crash before the commit"):
        list(backfill_rollups(agg_db, datetime.now(UTC)))
    assert agg_db.run(PENDING) == [["plan", False]]
    assert rollup_cells(agg_db, ref) == {("plan", '"pro"', "", H1): (1, 1, 0, 0.0, None, None)}
    # When it runs again, fixed
    agg_db.run("DROP TRIGGER no_stamp ON property_rollups")
    assert [r.done for r in backfill_rollups(agg_db, datetime.now(UTC))] == [True]
    # Then the events before the mark are added once
    assert agg_db.run(PENDING) == [["plan", True]]
    assert rollup_cells(agg_db, ref) == BACKFILLED


def test_two_backfills_of_one_rollup_do_not_both_run(
    agg_db: pg8000.native.Connection, make_ports: MakePorts, pg_settings: PostgresSettings
) -> None:
    # Given a pending rollup whose rows another session holds locked, as a running backfill does
    ref = marked_with_history(agg_db, make_ports)
    holder = connect(pg_settings)
    second = connect(pg_settings)
    try:
        holder.run("BEGIN")
        holder.run("SELECT 1 FROM property_rollups WHERE tenant_id = :t FOR NO KEY UPDATE", t=ref.tenant_id)
        # When a second backfill starts
        results: list[BackfillResult] = []
        runner = threading.Thread(target=lambda: results.extend(backfill_rollups(second, datetime.now(UTC))))
        runner.start()
        # Then it waits on the lock
        wait_for(
            lambda: agg_db.run(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )[0][0],
            lambda waiting: waiting >= 1,
            "the second backfill to wait for the first one's lock",
        )
        # And when the first one finishes (stamps the rollup) the second finds it done and adds nothing
        holder.run("UPDATE property_rollups SET backfilled_at = now() WHERE tenant_id = :t", t=ref.tenant_id)
        holder.run("COMMIT")
        runner.join(timeout=scaled(30))
        assert not runner.is_alive()
        assert [r.done for r in results] == [False]
        assert rollup_cells(agg_db, ref) == {("plan", '"pro"', "", H1): (1, 1, 0, 0.0, None, None)}
    finally:
        holder.close()
        second.close()


@pytest.fixture
def maintenance_handler(pg_settings: PostgresSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The handler from template.yaml, with this test's database."""
    monkeypatch.setenv("CS_PG_DATABASE", pg_settings.pg_database)
    spec = function_spec(load_template(ROOT / "template.yaml"), "MaintenanceFunction", base_dir=ROOT)
    handler = import_handler(spec)
    import maintain_deps  # on sys.path now, as in Lambda

    maintain_deps.get_settings.cache_clear()
    maintain_deps._postgres.cache_clear()
    yield handler
    maintain_deps.get_settings.cache_clear()
    maintain_deps._postgres.cache_clear()


def test_maintenance_caps_a_runaway_dimension_and_backfills_the_rest(
    maintenance_handler: Any, agg_db: pg8000.native.Connection, make_ports: MakePorts
) -> None:
    # Given plan, pending backfill, and sku, a dimension that has seen one value more than the cap
    ref = marked_with_history(agg_db, make_ports)
    mark(agg_db, ref, "sku", "dimension", BEFORE - timedelta(minutes=1))
    skus = [checkout(ref, "u1", H1, AFTER, sku=f"s{i}") for i in range(VALUE_CAP + 1)]
    apply_batch(records(skus, first_offset=3), make_ports(), AFTER)
    # When the scheduled function runs
    context = LambdaContext("MaintenanceFunction", timeout_s=900, memory_mb=512, log_stream_name="test")
    result = maintenance_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, context)
    # Then sku is capped (and not backfilled), plan is backfilled
    assert (result["rollups_capped"], result["rollups_backfilled"], result["rollups_waiting"]) == (
        ["checkout.sku"],
        1,
        0,
    )
    capped = agg_db.run("SELECT property_name, capped_at IS NOT NULL, backfilled_at IS NOT NULL FROM property_rollups")
    assert sorted(capped) == [["plan", False, True], ["sku", True, False]]
    # And a second run changes nothing
    again = maintenance_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, context)
    assert (again["rollups_capped"], again["rollups_backfilled"]) == ([], 0)


def test_a_dimension_at_the_cap_is_not_capped(agg_db: pg8000.native.Connection, make_ports: MakePorts) -> None:
    from customersignal.adapters.pg_rollup_backfill import cap_dimensions

    ref = add_tenant(agg_db)
    apply_batch(records([checkout(ref, "u1", H1, BEFORE)]), make_ports(), BEFORE)
    mark(agg_db, ref, "sku", "dimension", BEFORE - timedelta(minutes=1))
    skus = [checkout(ref, "u1", H1, AFTER, sku=f"s{i}") for i in range(VALUE_CAP)]
    apply_batch(records(skus, first_offset=1), make_ports(), AFTER)
    assert cap_dimensions(agg_db) == []


def test_the_cli_backfills_one_tenant_with_progress_and_a_summary(
    agg_db: pg8000.native.Connection,
    make_ports: MakePorts,
    pg_settings: PostgresSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given two tenants with a pending rollup each
    monkeypatch.setenv("CS_PG_DATABASE", pg_settings.pg_database)
    ref, other = marked_with_history(agg_db, make_ports), marked_with_history(agg_db, make_ports, partition=1)
    slug = agg_db.run("SELECT slug FROM tenants WHERE id = :t", t=ref.tenant_id)[0][0]
    # When the CLI backfills one of them
    code = main(["insights", "backfill", "--tenant", slug])
    out, err = capsys.readouterr()
    # Then only that tenant's rollup is backfilled, with a progress line and a summary
    assert code == 0
    assert f"checkout.plan (dimension, tenant {ref.tenant_id}): 2 rows" in err
    assert out.strip() == "backfilled 1 rollups, 2 rollup rows written"
    assert rollup_cells(agg_db, ref) == BACKFILLED
    assert rollup_cells(agg_db, other) == {("plan", '"pro"', "", H1): (1, 1, 0, 0.0, None, None)}
