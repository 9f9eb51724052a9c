"""API keys in Postgres: the authoritative lookup behind the key cache, and the connection it runs on.

Lambda keeps one connection per container (opened lazily on first use, reused across warm
invocations). Postgres may drop it while the container is frozen (idle timeout, failover, restart),
and the first sign is an error on the next query. ``PgSession`` then discards the connection and, for
statements that are safe to repeat, reconnects and retries once. A query that still fails, or a
connection that cannot be opened, becomes ``Unavailable`` so the API answers 503 with Retry-After.

Key authentication runs as the owner role, not ``cs_tenant``: the tenant is unknown until the hash is
resolved (see migrations/versions/0001_tenancy.py). Every query here filters by the hash or key id.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from customersignal.domain.auth import ApiKeyRecord, Scope
from customersignal.domain.errors import Unavailable

log = logging.getLogger(__name__)

POSTGRES_RETRY_AFTER_S = 5

# SQLSTATEs that mean "this connection is gone", not "this statement is wrong": class 08 (connection
# exception) and the operator-intervention codes Postgres sends before it closes a session.
_CONNECTION_LOST_STATES = {"57P01", "57P02", "57P03"}

FIND_BY_HASH = """
SELECT k.id, k.tenant_id, k.project_id, k.scopes, k.revoked_at, p.rate_limit_per_s, p.burst, t.kafka_spread
FROM api_keys k
JOIN projects p ON p.tenant_id = k.tenant_id AND p.id = k.project_id
JOIN tenants t ON t.id = k.tenant_id
WHERE k.key_hash = :key_hash
"""

# The WHERE clause keeps the write coarse even if several containers call at once.
TOUCH_LAST_USED = """
UPDATE api_keys SET last_used_at = now()
WHERE id = :key_id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
"""


def sqlstate(error: DatabaseError) -> str:
    """The SQLSTATE of a server error (pg8000 passes the ErrorResponse fields as a dict)."""
    fields = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return str(fields.get("C", ""))


def error_field(error: DatabaseError, field: str) -> str:
    """One ErrorResponse field: ``n`` constraint, ``M`` message, ``D`` detail, ..."""
    fields = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return str(fields.get(field, ""))


def connection_lost(error: Exception) -> bool:
    if isinstance(error, InterfaceError | OSError):
        return True
    code = sqlstate(error) if isinstance(error, DatabaseError) else ""
    return code.startswith("08") or code in _CONNECTION_LOST_STATES


class PgSession:
    """One lazily opened pg8000 connection with reconnect-on-broken-connection.

    Statements run in autocommit mode (pg8000.native without BEGIN), one statement per operation, so a
    lost connection never leaves a transaction half done. ``idempotent=True`` allows one retry on a
    fresh connection; writes that are not safe to repeat (plain INSERTs) pass ``idempotent=False`` and
    surface the failure instead, because the first attempt may have committed.

    One statement at a time: a pg8000 connection must not be used by two threads at once (their messages
    interleave on the socket, and one thread can read the other's rows: a request authenticated as another
    key). Lambda runs one invocation per container, but the local gateway runs several per process.
    """

    def __init__(
        self, connect: Callable[[], pg8000.native.Connection], *, statement_timeout_ms: int | None = None
    ) -> None:
        self._connect = connect
        self._statement_timeout_ms = statement_timeout_ms
        self._connection: pg8000.native.Connection | None = None
        self._prepared: dict[str, Any] = {}
        self._lock = threading.RLock()

    def run(self, sql: str, *, idempotent: bool, prepare: bool = False, **params: Any) -> list[list[Any]]:
        """Run one statement; ``prepare=True`` for hot statements (one round trip instead of three)."""
        with self._lock:
            return self._run(sql, idempotent=idempotent, prepare=prepare, **params)

    def _run(self, sql: str, *, idempotent: bool, prepare: bool, **params: Any) -> list[list[Any]]:
        attempts = 2 if idempotent else 1
        for attempt in range(attempts):
            connection = self._ensure_connection()
            try:
                if prepare:
                    return self._prepared_statement(connection, sql).run(**params)  # type: ignore[no-any-return]
                return connection.run(sql, **params)  # type: ignore[no-any-return]
            except (InterfaceError, OSError, DatabaseError) as error:
                if not connection_lost(error):
                    raise
                self.close()
                if attempt + 1 == attempts:
                    raise self._unavailable(error) from error
                log.warning("postgres connection lost; reconnecting", extra={"error": str(error)})
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
            self._prepared.clear()
            if connection is not None:
                with contextlib.suppress(InterfaceError, OSError, DatabaseError):  # it was broken already
                    connection.close()

    def _ensure_connection(self) -> pg8000.native.Connection:
        if self._connection is None:
            try:
                connection = self._connect()
            except (InterfaceError, OSError) as error:
                raise self._unavailable(error) from error
            if self._statement_timeout_ms is not None:
                try:
                    connection.run(f"SET statement_timeout = {int(self._statement_timeout_ms)}")
                except (InterfaceError, OSError, DatabaseError) as error:
                    connection.close()
                    raise self._unavailable(error) from error
            self._connection = connection
        return self._connection

    def _prepared_statement(self, connection: pg8000.native.Connection, sql: str) -> Any:
        statement = self._prepared.get(sql)
        if statement is None:
            statement = self._prepared[sql] = connection.prepare(sql)
        return statement

    @staticmethod
    def _unavailable(error: Exception) -> Unavailable:
        return Unavailable(
            code="postgres_unavailable",
            message=f"cannot reach Postgres ({error}); retry shortly",
            retry_after_s=POSTGRES_RETRY_AFTER_S,
        )


def record_from_row(row: Sequence[Any]) -> ApiKeyRecord:
    key_id, tenant_id, project_id, scopes, revoked_at, rate_per_s, burst, spread = row
    return ApiKeyRecord(
        key_id=key_id,
        tenant_id=tenant_id,
        project_id=project_id,
        scopes=frozenset(Scope(s) for s in scopes),
        revoked_at=revoked_at,
        rate_limit_per_s=float(rate_per_s),
        rate_limit_burst=int(burst),
        kafka_spread=int(spread),
    )


class PostgresKeyStore:
    """``KeyLookup`` over Postgres, plus the coarse ``last_used_at`` write.

    Returns revoked keys too (with ``revoked_at`` set): the caller answers 403 for those and 401 for
    unknown ones. Raises ``Unavailable(code="key_store_unavailable")`` when Postgres cannot be reached.
    """

    def __init__(
        self, connect: Callable[[], pg8000.native.Connection], *, statement_timeout_ms: int | None = 2000
    ) -> None:
        """``connect`` opens a connection; it is called lazily, and again only after a connection broke.

        Build one store per Lambda container (in the composition root) so warm invocations reuse the
        connection. The statement timeout bounds how long a request can wait on a sick database.
        """
        self._session = PgSession(connect, statement_timeout_ms=statement_timeout_ms)

    def find_by_hash(self, key_hash: bytes) -> ApiKeyRecord | None:
        rows = self._run(FIND_BY_HASH, key_hash=key_hash)
        return record_from_row(rows[0]) if rows else None

    def touch_last_used(self, key_id: uuid.UUID) -> None:
        """Record that the key was used. Callers throttle this to about once a minute per key."""
        self._run(TOUCH_LAST_USED, key_id=key_id)

    def _run(self, sql: str, **params: Any) -> list[list[Any]]:
        try:
            return self._session.run(sql, idempotent=True, prepare=True, **params)
        except Unavailable as error:
            raise _key_store_unavailable(error.retry_after_s) from error
        except DatabaseError as error:  # statement timeout, schema not migrated, ...: the server's problem
            log.error("key store query failed", extra={"sqlstate": sqlstate(error), "error": error_field(error, "M")})
            raise _key_store_unavailable(POSTGRES_RETRY_AFTER_S) from error

    def close(self) -> None:
        self._session.close()


def _key_store_unavailable(retry_after_s: int) -> Unavailable:
    return Unavailable(
        code="key_store_unavailable",
        message="API keys cannot be checked right now; retry after a few seconds",
        retry_after_s=retry_after_s,
    )
