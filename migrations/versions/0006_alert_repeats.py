"""Repeat notifications live in alert_history too: a FIRING -> FIRING row of kind 'repeat'.

Revision ID: 0006_alert_repeats
Revises: 0005_minute_series
Create Date: 2026-11-27

A rule that stays FIRING is re-notified every repeat interval. Giving each reminder a history row (kind
'repeat', its own deterministic transition_key) puts it on the same exactly-once path as a transition -
unique key, outbox status, deliveries - and shows it in the rule's history. Transitions keep their rule:
a state change, from_state <> to_state.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_alert_repeats"
down_revision: str | None = "0005_minute_series"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "('OK', 'PENDING', 'FIRING', 'RESOLVED', 'NODATA')"


def upgrade() -> None:
    op.execute("ALTER TABLE alert_history ADD COLUMN kind text NOT NULL DEFAULT 'transition'")
    op.execute("ALTER TABLE alert_history DROP CONSTRAINT alert_history_states_check")
    op.execute(
        "ALTER TABLE alert_history ADD CONSTRAINT alert_history_states_check CHECK ("
        f"from_state IN {STATES} AND to_state IN {STATES} AND ("
        "(kind = 'transition' AND from_state <> to_state)"
        " OR (kind = 'repeat' AND from_state = 'FIRING' AND to_state = 'FIRING')))"
    )
    op.execute(
        "ALTER TABLE alert_history ADD CONSTRAINT alert_history_kind_check CHECK (kind IN ('transition', 'repeat'))"
    )


def downgrade() -> None:
    op.execute("DELETE FROM alert_history WHERE kind = 'repeat'")
    op.execute("ALTER TABLE alert_history DROP CONSTRAINT alert_history_kind_check")
    op.execute("ALTER TABLE alert_history DROP CONSTRAINT alert_history_states_check")
    op.execute(
        "ALTER TABLE alert_history ADD CONSTRAINT alert_history_states_check"
        f" CHECK (from_state IN {STATES} AND to_state IN {STATES} AND from_state <> to_state)"
    )
    op.execute("ALTER TABLE alert_history DROP COLUMN kind")
