"""``DeadLetterStore`` for the dashboard: a tenant's dead letters under RLS, and their replay.

Replay reuses the operator's path (``dead_letter_admin``): produce the original records back to
events_raw, wait for Kafka, then mark the letters replayed. Letters whose tenant is unknown (the key
named no tenant we have) belong to no tenant: only the operator's CLI sees and replays them.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence

from customersignal.adapters.dead_letter_admin import LetterFilter as StoredFilter
from customersignal.adapters.dead_letter_admin import LetterReplayer, find_letters, mark_replayed
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.dashboard_models import DeadLetterOut, SourcePosition
from customersignal.domain.errors import Conflict
from customersignal.domain.explorer import LetterFilter

PREVIEW_BYTES = 2048
PAGE = f"""
SELECT id, reason_code, error_text, source_topic, source_partition, source_offset, received_at, status,
       replayed_at, substring(value FROM 1 FOR {PREVIEW_BYTES}), headers
FROM dead_letters
WHERE tenant_id = :tenant
  AND (CAST(:status AS text) IS NULL OR status = :status)
  AND (CAST(:reason AS text) IS NULL OR reason_code = :reason)
  AND (CAST(:after AS bigint) IS NULL OR id < :after)
ORDER BY id DESC
LIMIT :limit
"""
COUNTS = """
SELECT reason_code, count(*) FROM dead_letters
WHERE tenant_id = :tenant AND (CAST(:status AS text) IS NULL OR status = :status)
GROUP BY reason_code ORDER BY reason_code
"""


def _header_text(header: dict[str, str]) -> tuple[str, str]:
    return header["key"], base64.b64decode(header["value"]).decode("utf-8", errors="replace")


class PostgresDeadLetterStore:
    def __init__(self, db: TenantDatabase, replayer: Callable[[], LetterReplayer]) -> None:
        self._db = db
        self._replayer = replayer

    def page(self, tenant_id: uuid.UUID, where: LetterFilter, limit: int) -> list[DeadLetterOut]:
        with self._db.transaction(tenant_id) as db:
            rows = db.run(
                PAGE, tenant=tenant_id, status=where.status, reason=where.reason, after=where.after_id, limit=limit
            )
        return [
            DeadLetterOut(
                id=ident,
                reason_code=reason,
                error_text=error,
                source=SourcePosition(topic=topic, partition=partition, offset=offset),
                received_at=received,
                status=status,
                replayed_at=replayed,
                value_preview=bytes(value or b"").decode("utf-8", errors="replace"),
                headers=[_header_text(h) for h in headers],
            )
            for ident, reason, error, topic, partition, offset, received, status, replayed, value, headers in rows
        ]

    def counts_by_reason(self, tenant_id: uuid.UUID, status: str | None) -> dict[str, int]:
        with self._db.transaction(tenant_id) as db:
            return {reason: int(n) for reason, n in db.run(COUNTS, tenant=tenant_id, status=status)}

    def replay(self, tenant_id: uuid.UUID, ids: Sequence[int]) -> list[int]:
        wanted = sorted(set(ids))
        where = StoredFilter(status="new", tenant_id=str(tenant_id), ids=wanted)
        with self._db.transaction(tenant_id) as db:
            letters = find_letters(db, where, limit=len(wanted))
        missing = sorted(set(wanted) - {letter.id for letter in letters})
        if missing:
            raise Conflict(
                code="not_replayable",
                message="these dead letters are not new letters of this tenant (replayed already, or not yours): "
                + ", ".join(map(str, missing)),
                field="ids",
            )
        self._replayer().replay(letters)  # returns once Kafka holds them all, or raises Unavailable
        with self._db.transaction(tenant_id) as db:
            mark_replayed(db, wanted)
        return wanted
