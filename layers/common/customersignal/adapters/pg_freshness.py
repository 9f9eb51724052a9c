"""Freshness inside the aggregator's batch transaction: slot watermarks, then each tenant's minimum.

Three statements, each one jsonb (or array) parameter, in this order: move the batch's slot marks forward;
read every slot of the batch's tenants with each tenant's spread; move ``tenant_freshness`` forward to
the minimum ``domain/freshness.py`` computes from them. The rule itself is pure and lives there.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
import pg8000.native

from customersignal.domain.freshness import SlotMark, SlotState, TenantSpread, tenant_watermarks

# Rows sorted, so concurrent batches lock shared rows in one order. A slot is fed by one partition, and
# the event-source mapping runs one batch per partition at a time, so slot rows are rarely contended.
ADVANCE_SLOTS = """
INSERT INTO tenant_slot_freshness AS f (tenant_id, slot, topic, partition, complete_up_to)
SELECT t, s, tp, p, w
FROM jsonb_to_recordset(CAST(:marks AS jsonb)) AS r(t uuid, s smallint, tp text, p integer, w timestamptz)
ORDER BY t, s
ON CONFLICT (tenant_id, slot) DO UPDATE
SET complete_up_to = GREATEST(f.complete_up_to, EXCLUDED.complete_up_to),
    topic = CASE WHEN EXCLUDED.complete_up_to >= f.complete_up_to THEN EXCLUDED.topic ELSE f.topic END,
    partition = CASE WHEN EXCLUDED.complete_up_to >= f.complete_up_to THEN EXCLUDED.partition ELSE f.partition END,
    updated_at = now()
"""

# Other slots' marks as last committed: at most what they are, so the minimum is never too high.
# partition_progress only for slots a lowered spread retired (whether they have drained).
SLOT_STATES = """
SELECT t.id::text, t.kafka_spread, t.kafka_spread_changed_at, s.slot, s.complete_up_to,
       CASE WHEN s.slot >= t.kafka_spread THEN
           (SELECT max(o.complete_up_to) FROM tenant_slot_freshness o
            WHERE o.topic = s.topic AND o.partition = s.partition)
       END
FROM tenants t LEFT JOIN tenant_slot_freshness s ON s.tenant_id = t.id
WHERE t.id = ANY(CAST(:ids AS uuid[]))
"""

ADVANCE_TENANTS = """
INSERT INTO tenant_freshness AS f (tenant_id, complete_up_to)
SELECT t, w FROM jsonb_to_recordset(CAST(:marks AS jsonb)) AS r(t uuid, w timestamptz) ORDER BY t
ON CONFLICT (tenant_id) DO UPDATE
SET complete_up_to = GREATEST(f.complete_up_to, EXCLUDED.complete_up_to), updated_at = now()
RETURNING tenant_id::text, complete_up_to
"""


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def advance_freshness(
    db: pg8000.native.Connection, marks: Mapping[tuple[uuid.UUID, int], SlotMark]
) -> dict[uuid.UUID, datetime]:
    """Apply a batch's slot marks; return the tenant watermarks that resulted (tenants with one only)."""
    if not marks:
        return {}
    rows = [
        {"t": str(tenant), "s": slot, "tp": m.topic, "p": m.partition, "w": m.received_at.isoformat()}
        for (tenant, slot), m in sorted(marks.items())
    ]
    db.run(ADVANCE_SLOTS, marks=_json(rows))
    tenants = _tenant_spreads(db.run(SLOT_STATES, ids=sorted({str(tenant) for tenant, _ in marks})))
    watermarks = tenant_watermarks(tenants)
    if not watermarks:
        return {}
    moved = _json([{"t": str(t), "w": w.isoformat()} for t, w in sorted(watermarks.items())])
    return {uuid.UUID(t): w for t, w in db.run(ADVANCE_TENANTS, marks=moved)}


def _tenant_spreads(rows: list[list[Any]]) -> dict[uuid.UUID, TenantSpread]:
    spreads: dict[uuid.UUID, tuple[int, datetime | None]] = {}
    slots: dict[uuid.UUID, list[SlotState]] = {}
    for tenant, spread, changed_at, slot, complete_up_to, progress in rows:
        tenant_id = uuid.UUID(tenant)
        spreads[tenant_id] = (int(spread), changed_at)
        if slot is not None:  # the LEFT JOIN's row for a tenant with no slot marks at all
            slots.setdefault(tenant_id, []).append(SlotState(int(slot), complete_up_to, progress))
    return {t: TenantSpread(spread, changed, tuple(slots.get(t, ()))) for t, (spread, changed) in spreads.items()}
