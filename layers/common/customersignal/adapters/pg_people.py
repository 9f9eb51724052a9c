"""``PeopleReader`` on Postgres: the identity map and a person's events, under row-level security.

The timeline is the union of index-ordered branches, each LIMITed, then sorted and cut: the user's events
from ``events_user_time_idx`` and, per linked anonymous id, its events that carry no user id from
``events_anonymous_time_idx`` (a LATERAL join, so one statement serves any number of ids). Each branch
is a backward scan that stops after ``limit`` rows, so the first page reads at most
(1 + anonymous ids) x limit index entries, however long the person's history.

With no time bound, every daily partition takes part, and planning those scans costs more than running
them (about 5 of 7 ms on the bench's 30 days). So the timeline runs as a prepared statement, kept per
connection: Postgres plans it once (a generic plan after its first few runs) and reuses the plan; a new
partition invalidates it, and it is planned again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pg8000.native

from customersignal.adapters.pg_explorer import ROW_COLUMNS, event_row
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.dashboard_models import EventRow
from customersignal.domain.people_models import Identity, TypeStats

PREPARED = "_customersignal_prepared"
ORDER = "ORDER BY occurred_at DESC, event_id DESC LIMIT :limit"
KEYSET = "(occurred_at, event_id) < (:after_at, CAST(:after_id AS uuid))"
USER_OF = "SELECT user_id FROM person_aliases WHERE tenant_id = :tenant AND anonymous_id = :anonymous"
ANONYMOUS_IDS = "SELECT anonymous_id FROM person_aliases WHERE tenant_id = :tenant AND user_id = :user ORDER BY 1"
# An event with a user id is that user's (the person key's COALESCE), so the anonymous branches take only
# the events that carry none.
STATS = """
SELECT event_type, count(*), min(occurred_at), max(occurred_at)
FROM (
    SELECT event_type, occurred_at FROM events WHERE tenant_id = :tenant AND user_id = :user
    UNION ALL
    SELECT event_type, occurred_at FROM events
    WHERE tenant_id = :tenant AND anonymous_id = ANY(CAST(:anonymous AS text[])) AND user_id IS NULL
) person
GROUP BY event_type
"""


def prepared(db: pg8000.native.Connection, sql: str) -> Any:
    """``sql`` prepared on this connection, once. The statements live on the connection itself, so one the
    pool drops takes them along (a pooled connection serves one transaction at a time)."""
    statements: dict[str, Any] | None = getattr(db, PREPARED, None)
    if statements is None:
        statements = {}
        setattr(db, PREPARED, statements)
    if sql not in statements:
        statements[sql] = db.prepare(sql)
    return statements[sql]


def timeline_query(who: Identity, after: tuple[datetime, uuid.UUID] | None, limit: int) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"limit": limit}
    keyset = ""
    if after is not None:
        keyset = f" AND {KEYSET}"
        params["after_at"], params["after_id"] = after[0], str(after[1])
    branches = []
    if who.user_id is not None:
        params["user"] = who.user_id
        branches.append(
            f"(SELECT {ROW_COLUMNS} FROM events WHERE tenant_id = :tenant AND user_id = :user{keyset} {ORDER})"
        )
    if who.anonymous_ids:
        params["anonymous"] = list(who.anonymous_ids)
        branches.append(
            f"(SELECT anon.* FROM unnest(CAST(:anonymous AS text[])) AS ids(id) CROSS JOIN LATERAL ("
            f"SELECT {ROW_COLUMNS} FROM events WHERE tenant_id = :tenant AND anonymous_id = ids.id"
            f" AND user_id IS NULL{keyset} {ORDER}) anon)"
        )
    return f"SELECT * FROM ({' UNION ALL '.join(branches)}) person {ORDER}", params


class PostgresPeopleReader:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def user_of(self, tenant_id: uuid.UUID, anonymous_id: str) -> str | None:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(USER_OF, tenant=tenant_id, anonymous=anonymous_id)
        return str(rows[0][0]) if rows else None

    def anonymous_ids_of(self, tenant_id: uuid.UUID, user_id: str) -> list[str]:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(ANONYMOUS_IDS, tenant=tenant_id, user=user_id)
        return [str(row[0]) for row in rows]

    def stats(self, tenant_id: uuid.UUID, who: Identity) -> list[TypeStats]:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(STATS, tenant=tenant_id, user=who.user_id, anonymous=list(who.anonymous_ids))
        return [TypeStats(event_type=r[0], count=r[1], first_seen=r[2], last_seen=r[3]) for r in rows]

    def events(
        self, tenant_id: uuid.UUID, who: Identity, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[EventRow]:
        sql, params = timeline_query(who, after, limit)
        with self._db.transaction(tenant_id) as db:
            rows = prepared(db, sql).run(tenant=tenant_id, **params)
        return [event_row(row) for row in rows]
