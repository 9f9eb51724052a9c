"""A trend while events land, on both of its paths: fed by the real aggregator, every answer is one snapshot
(whole batches only, never less later than earlier), from the rollups (hour buckets of a marked dimension)
and from the raw events (minute buckets, which rollups do not serve)."""

from __future__ import annotations

import threading
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.adapters.postgres import connect
from tests.fixtures.aggregator import TenantRef, envelope
from tests.fixtures.dashboard import Dashboard

pytestmark = pytest.mark.integration

T0 = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
BATCHES = 30


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def mark_plan_as_a_dimension(dashboard: Dashboard, ref: TenantRef) -> None:
    """Marked and backfilled before the tenant's first event: the aggregator alone fills the rollup."""
    db = connect(dashboard.api.database)
    try:
        db.run("INSERT INTO event_types (tenant_id, name) VALUES (:t, 'checkout')", t=ref.tenant_id)
        db.run(
            "INSERT INTO property_rollups (tenant_id, event_type, property_name, role, active_from, backfilled_at)"
            " VALUES (:t, 'checkout', 'plan', 'dimension', :since, now())",
            t=ref.tenant_id,
            since=T0 - timedelta(days=1),  # before every event's receive time
        )
    finally:
        db.close()


def totals(dashboard: Dashboard, key: str, interval: str) -> tuple[str, dict[str, int]]:
    span = {"start": iso(T0), "end": iso(T0 + timedelta(hours=2))}
    query = {"type": "checkout", "breakdown": "plan", "interval": interval, **span}
    status, body = dashboard.get("/v1/insights/trend?" + urllib.parse.urlencode(query), key)
    assert status == 200, body
    answer: dict[str, Any] = body
    return answer["source"], {series["key"]: series["total"] for series in answer["series"]}


def test_every_answer_is_one_snapshot_while_batches_land(dashboard: Dashboard) -> None:
    # Given a tenant whose 'plan' is rolled up, and batches of one pro and one free checkout landing meanwhile
    ref, key = dashboard.tenant()
    mark_plan_as_a_dimension(dashboard, ref)
    done = threading.Event()

    def land() -> None:
        try:
            for i in range(BATCHES):
                at = T0 + timedelta(minutes=i)
                dashboard.ingest(
                    [
                        envelope(ref, "checkout", user=f"p{i}", at=at, properties={"plan": "pro"}),
                        envelope(ref, "checkout", user=f"f{i}", at=at, properties={"plan": "free"}),
                    ]
                )
        finally:
            done.set()

    writer = threading.Thread(target=land)
    writer.start()
    seen: dict[str, list[dict[str, int]]] = {"rollup": [], "raw": []}
    while not done.is_set():
        for interval in ("1h", "1m"):
            source, answer = totals(dashboard, key, interval)
            seen[source].append(answer)
    writer.join()
    for interval in ("1h", "1m"):
        source, answer = totals(dashboard, key, interval)
        seen[source].append(answer)

    # Then hours came from the rollups and minutes from the raw events, each answer held whole batches only,
    # and no answer saw fewer events than one before it
    assert seen["rollup"]
    assert seen["raw"]
    for answers in seen.values():
        assert all(a.get("pro", 0) == a.get("free", 0) for a in answers), answers
        pros = [a.get("pro", 0) for a in answers]
        assert pros == sorted(pros), pros
        assert answers[-1] == {"pro": BATCHES, "free": BATCHES}
