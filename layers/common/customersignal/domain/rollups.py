"""Property rollups: which properties of an event type are pre-aggregated, and the rules of marking them. Pure.

A *dimension* breaks a type's counts down by the property's values; a *measure* is a numeric property
whose count, sum, min and max are kept (over all the type's events, and per value of each dimension).
At most ``MAX_PER_ROLE`` of each per type; a measure must be a property the catalog has only ever seen as
a JSON number. The aggregator adds events received at or after ``active_from``; the backfill adds those
received before, once (see adapters/pg_rollup_backfill.py, migration 0011).

A (dimension, measure) pair's rows belong to whichever of the two was marked last (the later
``active_from``; the measure on a tie): the aggregator adds events received after that, and that rollup's
backfill adds the ones before, so every event is in each row exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, Field, StrictBool

from customersignal.domain.dashboard import parse_body
from customersignal.domain.dashboard_models import PropertyRollup
from customersignal.domain.errors import MalformedRequest, NotFound, Unprocessable

Role = Literal["dimension", "measure"]
ROLES: tuple[Role, ...] = ("dimension", "measure")
MAX_PER_ROLE = 5
VALUE_CAP = 1_000  # distinct values of a dimension before it is capped
PROPERTY_NAME_MAX_LENGTH = 255
# A rollup's active_from is set this far past the marking transaction's start, so it commits before any
# event it covers can be counted: a batch that did not see the mark counted only events received earlier,
# which the backfill adds. Far more than a one-row transaction takes.
ACTIVATION_MARGIN = timedelta(seconds=5)
# The backfill waits until the tenant's freshness passes active_from (every event received before it is
# counted). A tenant that receives nothing has no freshness to wait for: past this, it goes ahead.
QUIET_TENANT_WAIT = timedelta(hours=1)


class RollupMarks(BaseModel):
    """PUT /v1/catalog/{name}/properties/{property}/rollup: the property's whole rollup state."""

    model_config = {"extra": "forbid"}

    dimension: StrictBool = Field(description="Break this type's counts down by the property's values.")
    measure: StrictBool = Field(description="Keep count, sum, min and max of the property (numbers only).")


class RollupMarked(BaseModel):
    event_type: str
    property: str
    rollup: PropertyRollup


@dataclass(frozen=True)
class TypeRollups:
    """What a marking decision reads, in the same transaction that applies it."""

    property_types: frozenset[str]  # the catalog's observed JSON types of the property (empty: never seen)
    marked: frozenset[tuple[str, Role]]  # every (property, role) rolled up for the type


@dataclass(frozen=True)
class RollupChange:
    add: frozenset[Role]
    remove: frozenset[Role]


class RollupMarkStore(Protocol):
    def change(
        self, tenant_id: uuid.UUID, event_type: str, prop: str, decide: Callable[[TypeRollups], RollupChange]
    ) -> PropertyRollup | None:
        """Apply ``decide``'s change atomically (one marking of a type at a time); None: the catalog has no
        such property of the type."""
        ...


def plan_marks(prop: str, marks: RollupMarks, current: TypeRollups) -> RollupChange:
    """What to add and remove so the property's roles are ``marks``; raises ``Unprocessable`` past a rule."""
    wanted = {"dimension": marks.dimension, "measure": marks.measure}
    add = frozenset(r for r in ROLES if wanted[r] and (prop, r) not in current.marked)
    remove = frozenset(r for r in ROLES if not wanted[r] and (prop, r) in current.marked)
    for role in sorted(add):
        if sum(1 for _, r in current.marked if r == role) >= MAX_PER_ROLE:
            raise Unprocessable(
                "too_many_rollups",
                f"an event type can have at most {MAX_PER_ROLE} {role}s; unmark one first",
                role,
            )
    if "measure" in add and current.property_types != {"number"}:
        seen = ", ".join(sorted(current.property_types)) or "never seen"
        raise Unprocessable(
            "not_numeric", f"a measure must be a property only ever seen as a number; '{prop}' is: {seen}", "measure"
        )
    return RollupChange(add, remove)


def mark_rollup(tenant_id: uuid.UUID, name: str, prop: str, raw: bytes, store: RollupMarkStore) -> RollupMarked:
    name, prop = _path_text(name, "name", 128), _path_text(prop, "property", PROPERTY_NAME_MAX_LENGTH)
    marks = parse_body(RollupMarks, raw)
    state = store.change(tenant_id, name, prop, lambda current: plan_marks(prop, marks, current))
    if state is None:
        raise NotFound("property_not_found", f"the catalog has no property '{prop}' of event type '{name}'", "property")
    return RollupMarked(event_type=name, property=prop, rollup=state)


def _path_text(value: str, field: str, max_length: int) -> str:
    if not 1 <= len(value) <= max_length:
        raise MalformedRequest(f"invalid_{field}", f"'{field}' must be 1 to {max_length} characters", field)
    if "\x00" in value:  # no Postgres text can hold it
        raise MalformedRequest(f"invalid_{field}", f"'{field}' holds a NUL character", field)
    return value


# -- backfill -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollup:
    property_name: str
    role: Role
    active_from: datetime
    capped: bool = False


def backfill_ready(active_from: datetime, watermark: datetime | None, now: datetime) -> bool:
    """Every event received before ``active_from`` is counted (the tenant's freshness says so), or the
    tenant has been quiet so long that none can still be on its way."""
    return (watermark is not None and watermark >= active_from) or now - active_from >= QUIET_TENANT_WAIT


def _owns_pair(dimension: Rollup, measure: Rollup) -> Role:
    return "dimension" if dimension.active_from > measure.active_from else "measure"


def backfill_cells(target: Rollup, rollups: Iterable[Rollup]) -> list[tuple[str, str]]:
    """The (dimension, measure) cells a backfill of ``target`` adds to: its own rows, and the pairs it owns.
    ('', m): a measure over all events; (d, ''): a dimension's rows."""
    others = [r for r in rollups if r.role != target.role and not r.capped]
    if target.role == "dimension":
        pairs = [(target.property_name, m.property_name) for m in others if _owns_pair(target, m) == "dimension"]
        return [(target.property_name, ""), *sorted(pairs)]
    pairs = [(d.property_name, target.property_name) for d in others if _owns_pair(d, target) == "measure"]
    return [("", target.property_name), *sorted(pairs)]


@dataclass(frozen=True)
class BackfillResult:
    tenant_id: uuid.UUID
    event_type: str
    property_name: str
    role: Role
    rows: int  # rollup rows written (inserted or merged)
    done: bool  # False: skipped (not ready yet, or another backfill holds it)
