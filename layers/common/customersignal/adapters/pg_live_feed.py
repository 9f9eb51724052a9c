"""``LiveReader`` on Postgres: the events stored since a live-feed cursor (``domain/live_feed.py``).

Both statements read the tenant's recent events through the primary key (tenant_id, occurred_at, event_id)
from ``floor`` on, which partition pruning keeps to the newest daily partitions; the Kafka position is
checked on the rows, since indexing it would tax every insert. The cursor's offsets go in as one jsonb
object ({"partition": offset}), so the statement is the same whatever the number of partitions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from customersignal.adapters.pg_explorer import ROW_COLUMNS, event_row
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.explorer import EventFilter
from customersignal.domain.people_models import LiveRow

POSITIONS = """
SELECT kafka_partition, max(kafka_offset) FROM events
WHERE tenant_id = :tenant AND occurred_at >= :since AND kafka_partition IS NOT NULL
GROUP BY kafka_partition
"""


def arrived_query(
    where: EventFilter, floor: datetime, after: Mapping[int, int], limit: int
) -> tuple[str, dict[str, Any]]:
    conditions = [
        "tenant_id = :tenant",
        "occurred_at >= :floor",
        "kafka_partition IS NOT NULL",
        "kafka_offset > COALESCE((CAST(:after AS jsonb) ->> kafka_partition::text)::bigint, -1)",
    ]
    params: dict[str, Any] = {
        "floor": floor,
        "after": orjson.dumps({str(p): o for p, o in after.items()}).decode(),
        "limit": limit,
    }
    if where.event_types:
        conditions.append("event_type = ANY(CAST(:event_types AS text[]))")
        params["event_types"] = list(where.event_types)
    if where.user_id is not None:
        conditions.append("user_id = :user_id")
        params["user_id"] = where.user_id
    if where.property_match is not None:
        conditions.append("properties @> CAST(:property AS jsonb)")
        params["property"] = orjson.dumps(where.property_match).decode()
    # Ranking within each partition and taking ranks in turn keeps every partition's rows a prefix of its
    # offsets, so the cursor can move to the last one given without stepping over one left out.
    sql = f"""
SELECT * FROM (
    SELECT {ROW_COLUMNS}, kafka_partition, kafka_offset,
           row_number() OVER (PARTITION BY kafka_partition ORDER BY kafka_offset) AS turn
    FROM events WHERE {" AND ".join(conditions)}
) fresh
ORDER BY turn, kafka_partition
LIMIT :limit
"""
    return sql, params


class PostgresLiveReader:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def positions(self, tenant_id: uuid.UUID, since: datetime) -> dict[int, int]:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(POSITIONS, tenant=tenant_id, since=since)
        return {int(partition): int(offset) for partition, offset in rows}

    def arrived(
        self, tenant_id: uuid.UUID, where: EventFilter, floor: datetime, after: Mapping[int, int], limit: int
    ) -> list[LiveRow]:
        sql, params = arrived_query(where, floor, after, limit)
        with self._db.transaction(tenant_id) as db:
            rows = db.run(sql, tenant=tenant_id, **params)
        return [LiveRow(row=event_row(row), partition=int(row[8]), offset=int(row[9])) for row in rows]
