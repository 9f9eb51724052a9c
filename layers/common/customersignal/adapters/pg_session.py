"""Who a dashboard key is: its tenant's and project's names. (The alert list is ``pg_alert_admin``'s.)"""

from __future__ import annotations

import uuid

from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.dashboard_models import Named

NAMES = """
SELECT t.id, t.slug, t.name, p.id, p.slug, p.name
FROM tenants t JOIN projects p ON p.tenant_id = t.id
WHERE t.id = :tenant AND p.id = :project
"""


class PostgresSessionReader:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def names(self, tenant_id: uuid.UUID, project_id: uuid.UUID) -> tuple[Named, Named] | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(NAMES, tenant=tenant_id, project=project_id)
        if not rows:
            return None
        t_id, t_slug, t_name, p_id, p_slug, p_name = rows[0]
        return Named(id=t_id, slug=t_slug, name=t_name), Named(id=p_id, slug=p_slug, name=p_name)
