"""Store a batch's raw events so that a record Postgres refuses is set aside, not retried without end.

The decoder already refuses every shape we know Postgres would (see domain/record_decoding). This is the
net for the rest: the store statement runs under a savepoint of the batch transaction; if Postgres
refuses it with a data error, the transaction rolls back to the savepoint only, and the batch is halved
until each refusing record stands alone. A record is refused only when it fails by itself, so an error
that is not about one record's values (connection, deadlock, timeout: any other SQLSTATE) still fails
the batch, and the mapping retries it. Everything stays in the one batch transaction: a delivery that
is retried after the commit finds these records behind the offset fence.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pg8000.native
from pg8000.exceptions import DatabaseError

from customersignal.adapters import pg_aggregation_sql as sql
from customersignal.adapters.key_store import error_field, sqlstate
from customersignal.domain.record_decoding import DecodedRecord
from customersignal.ports import StoredEvents

# Class 22 is "data exception" (bad cast input, numeric out of range, untranslatable character, ...);
# 54000 is a value past a Postgres limit (a jsonb string or object too large). Both are about the values.
DATA_ERROR_CLASS = "22"
DATA_ERROR_STATES = frozenset({"54000"})
SAVEPOINT = "store_events"


def is_data_error(error: DatabaseError) -> bool:
    code = sqlstate(error)
    return code.startswith(DATA_ERROR_CLASS) or code in DATA_ERROR_STATES


def store_events(db: pg8000.native.Connection, records: Sequence[DecodedRecord]) -> StoredEvents:
    refused: list[tuple[DecodedRecord, str]] = []
    claimed = _store_isolating(db, records, refused) if records else set()
    return StoredEvents(claimed, refused)


def _store_isolating(
    db: pg8000.native.Connection, records: Sequence[DecodedRecord], refused: list[tuple[DecodedRecord, str]]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    db.run(f"SAVEPOINT {SAVEPOINT}")
    try:
        rows = db.run(sql.STORE_EVENTS, batch=_raw_batch(records))
    except DatabaseError as error:
        if not is_data_error(error):
            raise
        db.run(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        db.run(f"RELEASE SAVEPOINT {SAVEPOINT}")
        if len(records) == 1:
            refused.append((records[0], f"Postgres refused a value ({sqlstate(error)}): {error_field(error, 'M')}"))
            return set()
        # halving finds k refusing records of n in about 2k·log2(n) statements; poison is rare and few
        middle = len(records) // 2
        return _store_isolating(db, records[:middle], refused) | _store_isolating(db, records[middle:], refused)
    db.run(f"RELEASE SAVEPOINT {SAVEPOINT}")
    return {(uuid.UUID(t), uuid.UUID(e)) for t, e in rows}


def _raw_batch(records: Sequence[DecodedRecord]) -> str:
    # the envelope bytes as they came off Kafka, wrapped with their position: no re-encoding per field
    parts = [b'{"p":%d,"o":%d,"e":%s}' % (d.record.partition, d.record.offset, d.record.value) for d in records]
    return (b"[" + b",".join(parts) + b"]").decode()
