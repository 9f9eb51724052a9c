"""The scheduled maintenance function (template.yaml's MaintenanceFunction), imported and invoked as Lambda
would, against a real migrated database: partitions added, old dedup claims pruned, and raw-event
partitions past CS_EVENTS_RETENTION_DAYS dropped while the counts stay."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pg8000.native
import pytest

from customersignal.adapters.pipeline_maintenance import EVENT_PARTITIONS
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.local.runtime import LambdaContext, import_handler
from customersignal.local.template import function_spec, load_template
from customersignal.settings import PostgresSettings
from tests.fixtures.aggregator import add_tenant, envelope, records
from tests.fixtures.services import ROOT

pytestmark = pytest.mark.integration


@pytest.fixture(params=["10"])
def maintenance_handler(
    pg_settings: PostgresSettings, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """The handler from template.yaml, with this test's database and a 10-day retention (or the
    parameter's: 0 is the template's default, keep every raw event)."""
    monkeypatch.setenv("CS_PG_DATABASE", pg_settings.pg_database)
    monkeypatch.setenv("CS_EVENTS_RETENTION_DAYS", request.param)
    spec = function_spec(load_template(ROOT / "template.yaml"), "MaintenanceFunction", base_dir=ROOT)
    handler = import_handler(spec)
    import maintain_deps  # on sys.path now, as in Lambda

    maintain_deps.get_settings.cache_clear()
    maintain_deps._postgres.cache_clear()
    yield handler
    maintain_deps.get_settings.cache_clear()
    maintain_deps._postgres.cache_clear()


def test_a_run_prunes_expires_and_keeps_the_counts(
    maintenance_handler: Any, agg_db: pg8000.native.Connection, make_ports: Callable[..., AggregatorPorts]
) -> None:
    # Given partitions from 20 days ago, an event counted 15 days ago and one today
    today = datetime.now(UTC).date()
    agg_db.run("SELECT ensure_event_partitions(:a, :b)", a=today - timedelta(days=20), b=today - timedelta(days=1))
    ref = add_tenant(agg_db)
    old, now = datetime.now(UTC) - timedelta(days=15), datetime.now(UTC)
    apply_batch(records([envelope(ref, at=old, received=old), envelope(ref, at=now, received=now)]), make_ports(), now)
    # When the scheduled function runs
    context = LambdaContext("MaintenanceFunction", timeout_s=900, memory_mb=512, log_stream_name="test")
    result = maintenance_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, context)
    # Then the old event's claim is pruned, days before today - 10 are dropped, and the counts are whole
    assert result["pruned"]["event_dedup"] == 1
    assert f"events_p{old:%Y%m%d}" in result["partitions_dropped"]
    left = {name for (name,) in agg_db.run(EVENT_PARTITIONS)}
    assert f"events_p{today - timedelta(days=10):%Y%m%d}" in left
    assert f"events_p{today + timedelta(days=2):%Y%m%d}" in left  # and the coming days exist
    assert agg_db.run("SELECT count(*)::int FROM events") == [[1]]
    assert agg_db.run("SELECT sum(event_count)::int FROM metrics_day") == [[2]]
    # And a second run has nothing left to do
    again = maintenance_handler({}, context)
    assert (again["pruned"]["event_dedup"], again["partitions_dropped"]) == (0, [])


@pytest.mark.parametrize("maintenance_handler", ["0"], indirect=True)
def test_the_default_retention_keeps_every_raw_event(
    maintenance_handler: Any, agg_db: pg8000.native.Connection, make_ports: Callable[..., AggregatorPorts]
) -> None:
    # Given an event from 15 days ago, under the template's default EventsRetentionDays (0)
    today = datetime.now(UTC).date()
    agg_db.run("SELECT ensure_event_partitions(:a, :b)", a=today - timedelta(days=20), b=today - timedelta(days=1))
    old = datetime.now(UTC) - timedelta(days=15)
    apply_batch(records([envelope(add_tenant(agg_db), at=old, received=old)]), make_ports(), old)
    # When the scheduled function runs
    context = LambdaContext("MaintenanceFunction", timeout_s=900, memory_mb=512, log_stream_name="test")
    result = maintenance_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, context)
    # Then it prunes but drops no partition, and the event is still there
    assert result["partitions_dropped"] == []
    assert agg_db.run("SELECT count(*)::int FROM events") == [[1]]
