"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Write explicit SQL, one statement per op.execute() (pg8000 prepares each one). Avoid ":word" in SQL text:
SQLAlchemy would read it as a bind parameter. downgrade() must undo upgrade() exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
${imports if imports else ""}
revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}

UPGRADE: list[str] = [
    ${upgrades if upgrades else ""}
]

DOWNGRADE: list[str] = [
    ${downgrades if downgrades else ""}
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
