"""The rules of marking property rollups, and which rows a backfill owns. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from customersignal.domain.dashboard_models import PropertyRollup
from customersignal.domain.errors import MalformedRequest, NotFound, Unprocessable
from customersignal.domain.rollups import (
    QUIET_TENANT_WAIT,
    Role,
    Rollup,
    RollupChange,
    RollupMarks,
    TypeRollups,
    backfill_cells,
    backfill_ready,
    mark_rollup,
    plan_marks,
)

pytestmark = pytest.mark.unit
T = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def current(types: set[str], *marked: tuple[str, Role]) -> TypeRollups:
    return TypeRollups(frozenset(types), frozenset(marked))


FIVE_DIMENSIONS: list[tuple[str, Role]] = [(f"d{i}", "dimension") for i in range(5)]
FIVE_MEASURES: list[tuple[str, Role]] = [(f"m{i}", "measure") for i in range(5)]


@pytest.mark.parametrize(
    ("marks", "state", "add", "remove"),
    [
        ((True, False), current({"string"}), {"dimension"}, set()),
        ((True, True), current({"number"}), {"dimension", "measure"}, set()),
        ((True, True), current({"number"}, ("p", "dimension")), {"measure"}, set()),  # already a dimension
        ((False, False), current({"number"}, ("p", "dimension"), ("p", "measure")), set(), {"dimension", "measure"}),
        ((False, True), current({"number"}, ("p", "dimension"), ("p", "measure")), set(), {"dimension"}),
        ((False, False), current({"string"}), set(), set()),  # nothing to do
        ((False, False), current({"string"}, *FIVE_DIMENSIONS), set(), set()),  # unmarking needs no room
        ((True, False), current({"string"}, *FIVE_DIMENSIONS[:4], *FIVE_MEASURES), {"dimension"}, set()),  # 5th
        ((False, True), current({"number"}, *FIVE_DIMENSIONS, *FIVE_MEASURES[:4]), {"measure"}, set()),
        ((True, False), current({"string"}, ("p", "dimension"), *FIVE_DIMENSIONS[:4]), set(), set()),  # is one
    ],
)
def test_plan_marks(marks: tuple[bool, bool], state: TypeRollups, add: set[str], remove: set[str]) -> None:
    change = plan_marks("p", RollupMarks(dimension=marks[0], measure=marks[1]), state)
    assert change == RollupChange(frozenset(add), frozenset(remove))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("marks", "state", "code", "field"),
    [
        ((True, False), current({"string"}, *FIVE_DIMENSIONS), "too_many_rollups", "dimension"),
        ((False, True), current({"number"}, *FIVE_MEASURES), "too_many_rollups", "measure"),
        ((False, True), current({"number", "string"}), "not_numeric", "measure"),
        ((False, True), current({"number", "null"}), "not_numeric", "measure"),
        ((False, True), current(set()), "not_numeric", "measure"),
        ((True, True), current({"string"}), "not_numeric", "measure"),  # nothing is half applied
    ],
)
def test_plan_marks_refuses(marks: tuple[bool, bool], state: TypeRollups, code: str, field: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        plan_marks("p", RollupMarks(dimension=marks[0], measure=marks[1]), state)
    assert (refused.value.code, refused.value.field) == (code, field)


class Store:
    def __init__(self, state: TypeRollups | None) -> None:
        self.state = state

    def change(
        self, tenant_id: uuid.UUID, event_type: str, prop: str, decide: Callable[[TypeRollups], RollupChange]
    ) -> PropertyRollup | None:
        if self.state is None:
            return None
        decide(self.state)
        return PropertyRollup()


OK = b'{"dimension": true, "measure": false}'


@pytest.mark.parametrize(
    ("name", "prop", "body", "code", "field"),
    [
        ("checkout", "plan", b'{"dimension": true}', "invalid_missing", "measure"),
        ("checkout", "plan", b'{"dimension": 1, "measure": false}', "invalid_bool_type", "dimension"),
        ("checkout", "plan", b'{"dimension": true, "measure": false, "x": 1}', "invalid_extra_forbidden", "x"),
        ("checkout", "plan", b"[]", "invalid_body", None),
        ("checkout", "p" * 256, OK, "invalid_property", "property"),
        ("checkout", "a\x00b", OK, "invalid_property", "property"),
        ("", "plan", OK, "invalid_name", "name"),
    ],
)
def test_mark_rollup_names_the_field_of_a_bad_request(
    name: str, prop: str, body: bytes, code: str, field: str | None
) -> None:
    with pytest.raises(MalformedRequest) as refused:
        mark_rollup(uuid.uuid4(), name, prop, body, Store(current({"number"})))
    assert (refused.value.code, refused.value.field) == (code, field)


def test_mark_rollup_of_a_property_the_catalog_does_not_have_is_404() -> None:
    with pytest.raises(NotFound) as refused:
        mark_rollup(uuid.uuid4(), "checkout", "plan", OK, Store(None))
    assert (refused.value.code, refused.value.field) == ("property_not_found", "property")


@pytest.mark.parametrize(
    ("watermark", "now", "ready"),
    [
        (None, T + timedelta(minutes=1), False),  # the tenant has counted nothing yet
        (T - timedelta(seconds=1), T + timedelta(minutes=1), False),  # an event before the mark may be on its way
        (T, T + timedelta(seconds=1), True),  # everything received before the mark is counted
        (T + timedelta(minutes=5), T + timedelta(minutes=5), True),
        (None, T + QUIET_TENANT_WAIT, True),  # quiet for an hour: nothing can still be on its way
        (T - timedelta(days=1), T + QUIET_TENANT_WAIT - timedelta(seconds=1), False),
    ],
)
def test_backfill_ready(watermark: datetime | None, now: datetime, ready: bool) -> None:
    assert backfill_ready(T, watermark, now) is ready


def r(name: str, role: Role, minutes: int, capped: bool = False) -> Rollup:
    return Rollup(name, role, T + timedelta(minutes=minutes), capped)


@pytest.mark.parametrize(
    ("target", "others", "cells"),
    [
        (r("plan", "dimension", 0), [], [("plan", "")]),
        (r("amount", "measure", 0), [], [("", "amount")]),
        # the pair belongs to the later of the two; the measure on a tie
        (r("plan", "dimension", 5), [r("amount", "measure", 0)], [("plan", ""), ("plan", "amount")]),
        (r("plan", "dimension", 0), [r("amount", "measure", 5)], [("plan", "")]),
        (r("plan", "dimension", 0), [r("amount", "measure", 0)], [("plan", "")]),
        (r("amount", "measure", 0), [r("plan", "dimension", 0)], [("", "amount"), ("plan", "amount")]),
        (r("amount", "measure", 0), [r("plan", "dimension", 5)], [("", "amount")]),
        # several, and a capped dimension is left alone
        (
            r("amount", "measure", 9),
            [r("plan", "dimension", 1), r("os", "dimension", 2), r("sku", "dimension", 3, capped=True)],
            [("", "amount"), ("os", "amount"), ("plan", "amount")],
        ),
        (
            r("plan", "dimension", 9),
            [r("other", "dimension", 1), r("tax", "measure", 1)],
            [("plan", ""), ("plan", "tax")],
        ),
    ],
)
def test_backfill_cells(target: Rollup, others: list[Rollup], cells: list[tuple[str, str]]) -> None:
    assert backfill_cells(target, [target, *others]) == cells
