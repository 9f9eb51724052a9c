"""The aggregator's Postgres store: one connection per container, one transaction per batch.

The statements themselves are in ``pg_aggregation_tx``; the SQL in ``pg_aggregation_sql``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from customersignal.adapters import pg_aggregation_sql as sql
from customersignal.adapters.key_store import connection_lost
from customersignal.adapters.pg_aggregation_tx import PostgresAggregationTransaction
from customersignal.domain.errors import Unavailable

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5


class PostgresAggregationStore:
    """One connection per container, reopened after a failure; a transaction per ``transaction()``."""

    def __init__(self, connect: Callable[[], pg8000.native.Connection], *, statement_timeout_ms: int = 60_000) -> None:
        self._connect = connect
        self._statement_timeout_ms = statement_timeout_ms
        self._connection: pg8000.native.Connection | None = None
        self._count_staged: pg8000.native.PreparedStatement | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostgresAggregationTransaction]:
        connection, count_staged = self._ensure_connection()
        try:
            connection.run("BEGIN")
            yield PostgresAggregationTransaction(connection, count_staged)
            connection.run("COMMIT")
        except BaseException as error:
            self._abandon(connection, error)
            if isinstance(error, InterfaceError | OSError) or (
                isinstance(error, DatabaseError) and connection_lost(error)
            ):
                raise _unavailable(error) from error
            raise

    def close(self) -> None:
        connection, self._connection, self._count_staged = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(InterfaceError, OSError, DatabaseError):
                connection.close()

    def _abandon(self, connection: pg8000.native.Connection, error: BaseException) -> None:
        try:
            connection.run("ROLLBACK")
        except (InterfaceError, OSError, DatabaseError):
            self.close()  # the connection is gone or unusable: the next batch opens a new one
        else:
            if isinstance(error, InterfaceError | OSError):
                self.close()

    def _ensure_connection(self) -> tuple[pg8000.native.Connection, pg8000.native.PreparedStatement]:
        if self._connection is not None and self._count_staged is not None:
            return self._connection, self._count_staged
        try:
            connection = self._connect()
        except (InterfaceError, OSError, DatabaseError) as error:
            raise _unavailable(error) from error
        try:
            connection.run(f"SET statement_timeout = {int(self._statement_timeout_ms)}")
            connection.run("SET TIME ZONE 'UTC'")  # buckets are UTC minutes, hours and days (date_trunc)
            # The batch statement groups into sketches; hashing those groups keeps one full hll state per
            # group in memory (it spilled to disk at 77 groups), sorting keeps one at a time.
            connection.run("SET enable_hashagg = off")
            # today's and the next days' raw-event partitions, so events do not pile up in the default one
            connection.run(sql.ENSURE_PARTITIONS)
            connection.run(sql.CREATE_STAGE)
            # planned once per connection, not once per batch
            count_staged = connection.prepare(sql.COUNT_STAGED)
        except (InterfaceError, OSError, DatabaseError) as error:
            with contextlib.suppress(InterfaceError, OSError, DatabaseError):
                connection.close()
            raise _unavailable(error) from error
        self._connection, self._count_staged = connection, count_staged
        return connection, count_staged


def _unavailable(error: BaseException) -> Unavailable:
    log.warning("postgres unavailable", extra={"error": str(error)})
    return Unavailable(
        code="postgres_unavailable",
        message=f"cannot reach Postgres ({error}); retry shortly",
        retry_after_s=RETRY_AFTER_S,
    )
