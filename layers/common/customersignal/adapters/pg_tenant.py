"""Tenant-scoped Postgres access for the dashboard API: every statement runs under row-level security.

Each ``transaction(tenant_id)`` takes a pooled connection and opens::

    BEGIN; SET LOCAL ROLE cs_tenant; SET LOCAL app.tenant_id = '<uuid>'; SET LOCAL statement_timeout = ...

in one round trip (the tenant id is a ``uuid.UUID``, so inlining it is safe), so the role and the tenant end
with the transaction and a pooled connection never carries a tenant into the next request. Queries still
name ``tenant_id`` explicitly: the policy is the guarantee, the predicate is what the planner's index
choice needs.

The pool is small and thread-safe because the local gateway runs several invocations per process at once
(Lambda runs one per container, which then keeps one connection). A connection that breaks is dropped,
and the request answers 503 with Retry-After; one that is merely refused a statement is reused.
"""

from __future__ import annotations

import contextlib
import queue
import uuid
from collections.abc import Callable, Iterator

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from customersignal.adapters.key_store import sqlstate
from customersignal.domain.errors import Unavailable

RETRY_AFTER_S = 2
QUERY_CANCELED = "57014"


class TenantDatabase:
    def __init__(
        self,
        connect: Callable[[], pg8000.native.Connection],
        *,
        max_connections: int = 4,
        statement_timeout_ms: int = 10_000,
    ) -> None:
        self._connect = connect
        self._idle: queue.LifoQueue[pg8000.native.Connection] = queue.LifoQueue()
        self._slots = queue.Queue[None]()
        for _ in range(max_connections):
            self._slots.put(None)
        self._timeout_ms = int(statement_timeout_ms)

    @contextlib.contextmanager
    def transaction(self, tenant_id: uuid.UUID) -> Iterator[pg8000.native.Connection]:
        tenant = str(uuid.UUID(str(tenant_id)))  # a UUID and nothing else reaches the SQL text
        connection = self._acquire()
        healthy = True
        try:
            connection.run(
                "BEGIN; SET LOCAL ROLE cs_tenant; "
                f"SET LOCAL app.tenant_id = '{tenant}'; SET LOCAL statement_timeout = {self._timeout_ms}"
            )
            yield connection
            connection.run("COMMIT")
        except (InterfaceError, OSError, DatabaseError) as error:
            # a connection that cannot even roll back is gone (whatever the error said)
            healthy = not isinstance(error, OSError) and _rolled_back(connection)
            if not healthy:
                raise Unavailable(
                    code="postgres_unavailable",
                    message=f"cannot reach Postgres ({error}); retry shortly",
                    retry_after_s=RETRY_AFTER_S,
                ) from error
            if isinstance(error, DatabaseError) and sqlstate(error) == QUERY_CANCELED:
                raise Unavailable(
                    code="query_timeout",
                    message=f"the query ran longer than {self._timeout_ms / 1000:g} s; narrow the range or filters",
                    retry_after_s=RETRY_AFTER_S,
                ) from error
            raise
        except BaseException:
            healthy = _rolled_back(connection)
            raise
        finally:
            self._release(connection, healthy)

    def close(self) -> None:
        while True:
            try:
                connection = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(InterfaceError, OSError, DatabaseError):
                connection.close()

    def _acquire(self) -> pg8000.native.Connection:
        self._slots.get()
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        try:
            return self._connect()
        except (InterfaceError, OSError, DatabaseError) as error:
            self._slots.put(None)
            raise Unavailable(
                code="postgres_unavailable",
                message=f"cannot reach Postgres ({error}); retry shortly",
                retry_after_s=RETRY_AFTER_S,
            ) from error

    def _release(self, connection: pg8000.native.Connection, healthy: bool) -> None:
        if healthy:
            self._idle.put(connection)
        else:
            with contextlib.suppress(InterfaceError, OSError, DatabaseError):
                connection.close()
        self._slots.put(None)


def _rolled_back(connection: pg8000.native.Connection) -> bool:
    """Roll back after a failed statement; False when the connection cannot be trusted any more."""
    try:
        connection.run("ROLLBACK")
        return True
    except (InterfaceError, OSError, DatabaseError):
        return False
