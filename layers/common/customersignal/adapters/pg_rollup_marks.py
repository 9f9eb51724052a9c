"""``RollupMarkStore`` on Postgres: mark and unmark property rollups, under the tenant's row-level security.

One transaction per change. A transaction-scoped advisory lock per (tenant, type) serializes markings of a
type, so two requests cannot both pass the 5 + 5 cap. Unmarking deletes the rollup and every hourly row
that depends on it (a dimension's rows and its pairs with measures; a measure's rows); deleting the
rollup row waits for a batch that is writing it (the batch holds it FOR KEY SHARE, see pg_rollup_sql).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.dashboard_models import PropertyRollup, RollupState
from customersignal.domain.rollups import ACTIVATION_MARGIN, Role, RollupChange, TypeRollups

LOCK_TYPE = "SELECT pg_advisory_xact_lock(hashtextextended(CAST(:tenant AS text) || '/' || :name, 18))"
PROPERTY = """
SELECT observed_types FROM event_type_properties
WHERE tenant_id = :tenant AND event_type = :name AND property_name = :prop
"""
TYPE_ROLLUPS = "SELECT property_name, role FROM property_rollups WHERE tenant_id = :tenant AND event_type = :name"
DELETE_ROLLUP = """
DELETE FROM property_rollups WHERE tenant_id = :tenant AND event_type = :name AND property_name = :prop AND role = :role
"""
DELETE_ROWS = {
    "dimension": """
DELETE FROM property_rollup_hour WHERE tenant_id = :tenant AND event_type = :name AND dimension = :prop
""",
    "measure": """
DELETE FROM property_rollup_hour WHERE tenant_id = :tenant AND event_type = :name AND measure = :prop
""",
}
ADD_ROLLUP = """
INSERT INTO property_rollups (tenant_id, event_type, property_name, role, active_from)
VALUES (:tenant, :name, :prop, :role, now() + CAST(:margin AS interval))
"""
STATES = """
SELECT property_name, role, active_from, backfilled_at, capped_at FROM property_rollups
WHERE tenant_id = :tenant AND event_type = :name AND (CAST(:prop AS text) IS NULL OR property_name = :prop)
"""


def rollup_states(rows: Sequence[Sequence[Any]]) -> dict[str, PropertyRollup]:
    """property name -> its rollup state, from STATES rows."""
    states: dict[str, PropertyRollup] = {}
    for prop, role, active_from, backfilled_at, capped_at in rows:
        state = RollupState(active_from=active_from, backfilled_at=backfilled_at, capped_at=capped_at)
        setattr(states.setdefault(prop, PropertyRollup()), role, state)
    return states


class PostgresRollupMarks:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def change(
        self, tenant_id: uuid.UUID, event_type: str, prop: str, decide: Callable[[TypeRollups], RollupChange]
    ) -> PropertyRollup | None:
        keys = {"tenant": tenant_id, "name": event_type}
        with self._db.transaction(tenant_id) as db:
            db.run(LOCK_TYPE, tenant=str(tenant_id), name=event_type)
            found = db.run(PROPERTY, prop=prop, **keys)
            if not found:
                return None
            marked = frozenset((str(p), _role(r)) for p, r in db.run(TYPE_ROLLUPS, **keys))
            change = decide(TypeRollups(frozenset(found[0][0]), marked))
            for role in sorted(change.remove):
                db.run(DELETE_ROLLUP, prop=prop, role=role, **keys)  # first: it waits for a batch writing it
                db.run(DELETE_ROWS[role], prop=prop, **keys)
            for role in sorted(change.add):
                db.run(ADD_ROLLUP, prop=prop, role=role, margin=f"{ACTIVATION_MARGIN.total_seconds()} seconds", **keys)
            states = rollup_states(db.run(STATES, prop=prop, **keys))
        return states.get(prop, PropertyRollup())


def _role(value: str) -> Role:
    return "dimension" if value == "dimension" else "measure"
