"""``EventReader`` on Postgres: explorer pages and single events from the raw-event table, under RLS.

A page is ORDER BY occurred_at DESC, event_id DESC with a keyset condition. With one event type (or
none) that is a backward scan of an index; with several, Postgres cannot merge the per-type index
orders itself, so each type gets its own LIMITed branch and the union is sorted: at most
types x limit rows are read instead of every matching row in the range.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson

from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.dashboard_models import EventDetail, EventRow, KafkaPosition
from customersignal.domain.explorer import EventFilter

PREVIEW_CHARS = 200
ROW_COLUMNS = (
    f"event_id, event_type, user_id, anonymous_id, occurred_at, received_at, is_late, "
    f"left(properties::text, {PREVIEW_CHARS})"
)
ORDER = "ORDER BY occurred_at DESC, event_id DESC LIMIT :limit"
DETAIL = """
SELECT event_id, event_type, project_id, user_id, anonymous_id, occurred_at, client_timestamp, sent_at,
       received_at, is_late, properties, context, trace_id, kafka_partition, kafka_offset
FROM events
WHERE tenant_id = :tenant AND occurred_at = :at AND event_id = :event_id
"""


def page_query(where: EventFilter, limit: int) -> tuple[str, dict[str, Any]]:
    conditions = ["tenant_id = :tenant", "occurred_at >= :start", "occurred_at < :end"]
    params: dict[str, Any] = {"start": where.start, "end": where.end, "limit": limit}
    if where.user_id is not None:
        conditions.append("user_id = :user_id")
        params["user_id"] = where.user_id
    if where.property_match is not None:
        conditions.append("properties @> CAST(:property AS jsonb)")
        params["property"] = orjson.dumps(where.property_match).decode()
    if where.after is not None:
        conditions.append("(occurred_at, event_id) < (:after_at, CAST(:after_id AS uuid))")
        params["after_at"], params["after_id"] = where.after[0], str(where.after[1])
    common = " AND ".join(conditions)
    if len(where.event_types) <= 1:
        if where.event_types:
            common += " AND event_type = :type_0"
            params["type_0"] = where.event_types[0]
        return f"SELECT {ROW_COLUMNS} FROM events WHERE {common} {ORDER}", params
    branches = []
    for index, event_type in enumerate(where.event_types):
        params[f"type_{index}"] = event_type
        branches.append(f"(SELECT {ROW_COLUMNS} FROM events WHERE {common} AND event_type = :type_{index} {ORDER})")
    return f"SELECT * FROM ({' UNION ALL '.join(branches)}) per_type {ORDER}", params


def event_row(row: list[Any]) -> EventRow:
    """A row selected as ``ROW_COLUMNS``."""
    return EventRow(
        event_id=row[0],
        event_type=row[1],
        user_id=row[2],
        anonymous_id=row[3],
        occurred_at=row[4],
        received_at=row[5],
        is_late=row[6],
        properties_preview=row[7],
    )


class PostgresEventReader:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def page(self, tenant_id: uuid.UUID, where: EventFilter, limit: int) -> list[EventRow]:
        sql, params = page_query(where, limit)
        with self._db.transaction(tenant_id) as db:
            rows = db.run(sql, tenant=tenant_id, **params)
        return [event_row(row) for row in rows]

    def detail(self, tenant_id: uuid.UUID, event_id: uuid.UUID, occurred_at: datetime) -> EventDetail | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(DETAIL, tenant=tenant_id, at=occurred_at, event_id=event_id)
        if not rows:
            return None
        (
            ident,
            event_type,
            project,
            user,
            anon,
            occurred,
            client_ts,
            sent,
            received,
            late,
            props,
            context,
            trace,
            partition,
            offset,
        ) = rows[0]
        return EventDetail(
            event_id=ident,
            event_type=event_type,
            project_id=project,
            user_id=user,
            anonymous_id=anon,
            occurred_at=occurred,
            client_timestamp=client_ts,
            sent_at=sent,
            received_at=received,
            is_late=late,
            properties=props,
            context=context,
            trace_id=trace,
            kafka=None if partition is None else KafkaPosition(partition=partition, offset=offset),
        )
