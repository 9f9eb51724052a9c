"""Rollup marks from the dashboard: the tenant role may delete its own property_rollup_hour rows.

Revision ID: 0012_rollup_unmark
Revises: 0011_insights
Create Date: 2026-12-07

Unmarking a rollup (``PUT /v1/catalog/{name}/properties/{property}/rollup``) deletes the rollup and its
hourly rows in one transaction under the tenant's row-level security: rows left behind would be added to
again if the property were marked anew, and counted twice. 0011 granted the tenant role SELECT only.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_rollup_unmark"
down_revision: str | None = "0011_insights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("GRANT DELETE ON property_rollup_hour TO cs_tenant")


def downgrade() -> None:
    op.execute("REVOKE DELETE ON property_rollup_hour FROM cs_tenant")
