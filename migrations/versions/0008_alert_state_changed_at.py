"""alert_states.changed_at: when the state last changed, as recorded (not the window that caused it).

Revision ID: 0008_alert_state_changed_at
Revises: 0007_catalog_event_time
Create Date: 2026-12-07

``since`` is the end of the window whose value caused the transition: deterministic across runs, which the
evaluator needs, but it can lie in the future of the moment the change was recorded (a window that has not
closed yet), so "FIRING since 14:38:00" was shown for a transition recorded at 14:37:05. ``changed_at`` is
set in the same transaction as the transition's history row, to the same ``now()``, so the two agree.
Existing states take their latest transition's time, else ``since``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_alert_state_changed_at"
down_revision: str | None = "0007_catalog_event_time"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
UPDATE alert_states s
SET changed_at = COALESCE(
    (SELECT max(h.created_at) FROM alert_history h
     WHERE h.tenant_id = s.tenant_id AND h.rule_id = s.rule_id AND h.kind = 'transition' AND h.to_state = s.state),
    s.since)
"""


def upgrade() -> None:
    op.execute("ALTER TABLE alert_states ADD COLUMN changed_at timestamptz")
    op.execute(BACKFILL)
    op.execute(
        "ALTER TABLE alert_states ALTER COLUMN changed_at SET DEFAULT now(), ALTER COLUMN changed_at SET NOT NULL"
    )
    op.execute(
        "COMMENT ON COLUMN alert_states.changed_at IS $$When the state last changed, recorded in the transaction"
        " that wrote the transition's history row (equal to its created_at). since is that transition's window end.$$"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE alert_states DROP COLUMN changed_at")
