"""What a batch sends to the catalog's properties: only what committed batches have not recorded, and
everything once a minute per event type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.domain.event_row import EventRow
from customersignal.domain.property_catalog import REFRESH_AFTER_S, KnownProperties, json_type

pytestmark = pytest.mark.unit
T = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TENANT = "0b9a8f8e-6d4f-4c1e-9a57-2f9b1d3c4e5f"


def row(event_type: str = "checkout", at: datetime = T, **properties: Any) -> EventRow:
    return EventRow(
        TENANT, TENANT, TENANT, event_type, "u1", None, at, at, None, None, False, "0" * 32, "{}", "{}", properties, ""
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "null"), (True, "boolean"), (0, "number"), (1.5, "number"), ("x", "string"), ({}, "object"), ([], "array")],
)
def test_json_type(value: Any, expected: str) -> None:
    assert json_type(value) == expected


def test_a_first_batch_sends_every_name_and_type_and_its_latest_receive_time() -> None:
    known = KnownProperties()
    sightings = known.sightings([row(plan="pro", seats=3), row(at=T + timedelta(seconds=5), plan=None)])
    assert sightings.kinds == {(TENANT, "checkout"): {"plan": {"string", "null"}, "seats": {"number"}}}
    assert sightings.seen_at == {(TENANT, "checkout"): T + timedelta(seconds=5)}


def test_once_committed_only_new_names_and_types_are_sent_until_the_refresh() -> None:
    clock = [1000.0]
    known = KnownProperties(clock=lambda: clock[0])
    known.remember(known.sightings([row(plan="pro")]))
    # Within the minute (of the container's clock, whatever the events' times): the same shape sends
    # nothing; a new type of a known name, and a new name, do
    clock[0] += 30
    assert known.sightings([row(plan="team", at=T + timedelta(hours=5))]).kinds == {}
    assert known.sightings([row(plan=1, coupon=True)]).kinds == {
        (TENANT, "checkout"): {"plan": {"number"}, "coupon": {"boolean"}}
    }
    # After a minute: everything seen again, so last_seen_at moves on
    clock[0] += REFRESH_AFTER_S
    assert known.sightings([row(plan="team")]).kinds == {(TENANT, "checkout"): {"plan": {"string"}}}


def test_sightings_of_a_rolled_back_batch_are_sent_again() -> None:
    known = KnownProperties()
    known.sightings([row(plan="pro")])  # never remembered: its transaction did not commit
    assert known.sightings([row(plan="pro")]).kinds == {(TENANT, "checkout"): {"plan": {"string"}}}


def test_names_outside_the_catalog_limits_are_not_sent() -> None:
    outside: dict[str, Any] = {"": 1, "p" * 256: 2, "ok": 3}
    sightings = KnownProperties().sightings([row(**outside)])
    assert sightings.kinds == {(TENANT, "checkout"): {"ok": {"number"}}}


def test_memory_is_bounded() -> None:
    known = KnownProperties(max_types=2)
    for name in ("a", "b", "c"):
        known.remember(known.sightings([row(name, plan="pro")]))
    assert known.sightings([row("a", plan="pro")]).kinds  # forgotten, so sent again
