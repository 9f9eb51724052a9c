"""``CatalogStore`` on Postgres: the event catalog (event_types, event_type_properties) under RLS."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from customersignal.adapters.pg_rollup_marks import STATES, rollup_states
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.dashboard_models import (
    CatalogDetail,
    CatalogItem,
    CatalogPatch,
    PropertyOut,
    PropertyRollup,
)

ITEM_COLUMNS = """t.name, t.status, t.description, t.owner, t.first_seen_at, t.last_seen_at, t.first_event_at,
       t.last_event_at, t.volume_total,
       (SELECT count(*) FROM event_type_properties p WHERE p.tenant_id = t.tenant_id AND p.event_type = t.name)"""
LIST = f"""
SELECT {ITEM_COLUMNS}
FROM event_types t
WHERE t.tenant_id = :tenant
  AND (CAST(:status AS text) IS NULL OR t.status = :status)
  AND (CAST(:q AS text) IS NULL OR strpos(lower(t.name), lower(:q)) > 0)
ORDER BY t.last_seen_at DESC NULLS LAST, t.name
LIMIT 5000
"""
DETAIL = f"""
SELECT {ITEM_COLUMNS}, t.created_at, t.updated_at FROM event_types t WHERE t.tenant_id = :tenant AND t.name = :name
"""
PROPERTIES = """
SELECT property_name, observed_types, first_seen_at, last_seen_at
FROM event_type_properties WHERE tenant_id = :tenant AND event_type = :name ORDER BY property_name
"""
EDITABLE = ("description", "owner", "status")


def _item(row: Sequence[Any]) -> dict[str, Any]:
    names = (
        "name",
        "status",
        "description",
        "owner",
        "first_seen_at",
        "last_seen_at",
        "first_event_at",
        "last_event_at",
        "volume_total",
        "property_count",
    )
    return dict(zip(names, row[: len(names)], strict=True))


def _rollup(rollups: dict[str, PropertyRollup], name: str) -> dict[str, PropertyRollup]:
    return {"rollup": rollups[name]} if name in rollups else {}


class PostgresCatalogStore:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def list(self, tenant_id: uuid.UUID, status: str | None, name_contains: str | None) -> list[CatalogItem]:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(LIST, tenant=tenant_id, status=status, q=name_contains)
        return [CatalogItem(**_item(row)) for row in rows]

    def detail(self, tenant_id: uuid.UUID, name: str) -> CatalogDetail | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(DETAIL, tenant=tenant_id, name=name)
            properties = db.run(PROPERTIES, tenant=tenant_id, name=name) if rows else []
            rollups = rollup_states(db.run(STATES, tenant=tenant_id, name=name, prop=None)) if rows else {}
        if not rows:
            return None
        return CatalogDetail(
            **_item(rows[0]),
            created_at=rows[0][10],
            updated_at=rows[0][11],
            properties=[
                PropertyOut(name=n, types=list(t), first_seen_at=f, last_seen_at=la, **_rollup(rollups, n))
                for n, t, f, la in properties
            ],
        )

    def update(self, tenant_id: uuid.UUID, name: str, patch: CatalogPatch) -> bool:
        changes = {field: getattr(patch, field) for field in EDITABLE if field in patch.model_fields_set}
        assignments = ", ".join(f"{field} = :{field}" for field in changes)  # names from EDITABLE only
        sql = f"UPDATE event_types SET {assignments}{', ' if changes else ''}updated_at = now() " + (
            "WHERE tenant_id = :tenant AND name = :name RETURNING 1"
        )
        with self._db.transaction(tenant_id) as db:
            rows = db.run(sql, tenant=tenant_id, name=name, **changes)
        return bool(rows)
