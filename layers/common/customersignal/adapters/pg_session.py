"""Who a dashboard key is (tenant and project names) and the tenant's alert rules with their states.

A rule's ``since`` is when its state last changed as recorded (``alert_states.changed_at``), not the end of the
window that caused the change (``alert_states.since``), which may not have closed yet at that moment."""

from __future__ import annotations

import uuid

from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.dashboard_models import AlertRuleState, Named

NAMES = """
SELECT t.id, t.slug, t.name, p.id, p.slug, p.name
FROM tenants t JOIN projects p ON p.tenant_id = t.id
WHERE t.id = :tenant AND p.id = :project
"""
RULES = """
SELECT r.id, r.name, r.event_type, r.metric, r.condition_kind, r.severity, r.enabled,
       COALESCE(s.state, 'OK'), s.changed_at
FROM alert_rules r LEFT JOIN alert_states s ON s.tenant_id = r.tenant_id AND s.rule_id = r.id
WHERE r.tenant_id = :tenant
ORDER BY (COALESCE(s.state, 'OK') = 'FIRING') DESC, r.name
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

    def rules(self, tenant_id: uuid.UUID) -> list[AlertRuleState]:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(RULES, tenant=tenant_id)
        names = ("id", "name", "event_type", "metric", "condition_kind", "severity", "enabled", "state", "since")
        return [AlertRuleState(**dict(zip(names, row, strict=True))) for row in rows]
