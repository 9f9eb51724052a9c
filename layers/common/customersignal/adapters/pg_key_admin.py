"""``KeyAdmin`` on Postgres for the dashboard: a tenant's API keys under RLS (list, create, revoke).

A revocation also drops the key from the shared Redis key cache (``on_revoke``), so the API refuses it
within the cache's 60 s bound everywhere and at once in this container.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.auth import generate_key
from customersignal.domain.dashboard_models import KeyOut, KeyProject
from customersignal.domain.errors import NotFound

KEY_COLUMNS = (
    "k.id, k.name, k.display_prefix, k.scopes, k.project_id, p.slug, k.created_at, k.last_used_at, k.revoked_at"
)
LIST = f"""
SELECT {KEY_COLUMNS} FROM api_keys k JOIN projects p ON p.tenant_id = k.tenant_id AND p.id = k.project_id
WHERE k.tenant_id = :tenant ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC, k.id
"""
FIND_PROJECT = """
SELECT id FROM projects
WHERE tenant_id = :tenant AND (slug = :slug OR id = CAST(:project_id AS uuid))
"""
INSERT = f"""
WITH k AS (
    INSERT INTO api_keys (tenant_id, project_id, name, key_hash, display_prefix, scopes)
    VALUES (:tenant, :project_id, :name, CAST(:key_hash AS bytea), :display_prefix, CAST(:scopes AS text[]))
    RETURNING *
)
SELECT {KEY_COLUMNS} FROM k JOIN projects p ON p.tenant_id = k.tenant_id AND p.id = k.project_id
"""
REVOKE = f"""
WITH k AS (
    UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
    WHERE tenant_id = :tenant AND id = :key_id
    RETURNING *
)
SELECT {KEY_COLUMNS}, k.key_hash FROM k JOIN projects p ON p.tenant_id = k.tenant_id AND p.id = k.project_id
"""


def _key(row: Sequence[Any]) -> KeyOut:
    ident, name, prefix, scopes, project_id, project_slug, created, used, revoked = row[:9]
    return KeyOut(
        id=ident,
        name=name,
        display_prefix=prefix,
        scopes=sorted(scopes),
        project=KeyProject(id=project_id, slug=project_slug),
        created_at=created,
        last_used_at=used,
        revoked_at=revoked,
        status="revoked" if revoked is not None else "active",
    )


class PostgresKeyAdmin:
    def __init__(self, db: TenantDatabase, on_revoke: Callable[[bytes], object] | None = None) -> None:
        self._db = db
        self._on_revoke = on_revoke

    def list(self, tenant_id: uuid.UUID) -> list[KeyOut]:
        with self._db.transaction(tenant_id) as db:
            return [_key(row) for row in db.run(LIST, tenant=tenant_id)]

    def create(
        self, tenant_id: uuid.UUID, project: str | uuid.UUID, name: str, scopes: Sequence[str]
    ) -> tuple[KeyOut, str]:
        new = generate_key()
        by_id = isinstance(project, uuid.UUID)
        with self._db.transaction(tenant_id) as db:
            found = db.run(
                FIND_PROJECT,
                tenant=tenant_id,
                slug=None if by_id else project,
                project_id=str(project) if by_id else None,
            )
            if not found:
                raise NotFound(
                    code="project_not_found", message=f"this tenant has no project '{project}'", field="project"
                )
            rows = db.run(
                INSERT,
                tenant=tenant_id,
                project_id=found[0][0],
                name=name,
                key_hash=new.key_hash,
                display_prefix=new.display_prefix,
                scopes=sorted(set(scopes)),
            )
        return _key(rows[0]), new.secret

    def revoke(self, tenant_id: uuid.UUID, key_id: uuid.UUID) -> KeyOut | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(REVOKE, tenant=tenant_id, key_id=key_id)
        if not rows:
            return None
        if self._on_revoke is not None:
            self._on_revoke(bytes(rows[0][9]))
        return _key(rows[0])
