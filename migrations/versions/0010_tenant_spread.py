"""Tenant spread: one tenant's events over several partitions, and a freshness watermark per slot.

Revision ID: 0010_tenant_spread
Revises: 0009_unique_user_sketches
Create Date: 2026-12-07

``tenants.kafka_spread`` (1..64, default 1 = keyed by tenant alone, as before) is how many slots, and so
partitions, the API spreads the tenant's events over (``domain/spread.py``). ``kafka_spread_changed_at``
dates the last change, so the aggregator can tell when slots retired by a lowered spread have drained.

``tenant_slot_freshness`` holds one watermark per (tenant, slot): each slot is one ordered stream (one key
on one partition), so "every event of this slot received before complete_up_to is counted" holds per
slot, and ``tenant_freshness`` becomes the minimum over the slots (``domain/freshness.py``). Existing
watermarks become slot 0's, so a tenant at spread 1 carries on where it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_tenant_spread"
down_revision: str | None = "0009_unique_user_sketches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def comment(target: str, text: str) -> str:
    """COMMENT ON target, reflowed to one paragraph: line breaks in the source are layout only."""
    return f"COMMENT ON {target} IS $${' '.join(text.split())}$$"


UPGRADE = [
    """
ALTER TABLE tenants
    ADD COLUMN kafka_spread smallint NOT NULL DEFAULT 1
        CONSTRAINT tenants_kafka_spread_range CHECK (kafka_spread BETWEEN 1 AND 64),
    ADD COLUMN kafka_spread_changed_at timestamptz
""",
    comment(
        "COLUMN tenants.kafka_spread",
        """How many slots (partitions of events_raw) the API spreads this tenant's events over: 1 keeps them
        on one partition, in order. Set with `customersignal tenant spread`; the API reads it with the key.""",
    ),
    comment(
        "COLUMN tenants.kafka_spread_changed_at",
        """When kafka_spread last changed: slots above a lowered spread count towards the tenant's freshness
        until their partition has applied events received well after this (domain/freshness.py).""",
    ),
    """
CREATE TABLE tenant_slot_freshness (
    tenant_id       uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slot            smallint    NOT NULL CHECK (slot BETWEEN 0 AND 63),
    topic           text,
    partition       integer,
    complete_up_to  timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, slot)
) WITH (fillfactor = 70)
""",
    "CREATE INDEX tenant_slot_freshness_partition ON tenant_slot_freshness (topic, partition)",
    comment(
        "TABLE tenant_slot_freshness",
        """Freshness per (tenant, slot): every event of the slot received before complete_up_to is counted.
        topic and partition are where the slot's latest applied record came from (NULL for rows carried
        over from tenant_freshness by migration 0010). tenant_freshness is the minimum over the slots.""",
    ),
    "ALTER TABLE tenant_slot_freshness ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY tenant_isolation ON tenant_slot_freshness USING ({TENANT_PREDICATE})"
    f" WITH CHECK ({TENANT_PREDICATE})",
    """
INSERT INTO tenant_slot_freshness (tenant_id, slot, complete_up_to)
SELECT tenant_id, 0, complete_up_to FROM tenant_freshness
""",
]

DOWNGRADE = [
    "DROP TABLE tenant_slot_freshness",
    "ALTER TABLE tenants DROP COLUMN kafka_spread_changed_at, DROP COLUMN kafka_spread",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
