"""Stage a batch by COPY and count it in one statement; a record Postgres refuses is set aside, not retried.

The rows go in as COPY text (``pg_copy_rows``): one stream, no per-row parameters, no JSON envelope for
Postgres to take apart. The decoder already refuses every shape we know Postgres would (see
domain/record_decoding); this is the net for the rest. The COPY and the count run under a savepoint of the
batch transaction; if Postgres refuses either with a data error, the transaction rolls back to the
savepoint only (the staged rows and their effects with it), and the batch is halved until each refusing
record stands alone. A record is
refused only when it fails by itself, so an error that is not about one record's values (connection,
deadlock, timeout: any other SQLSTATE) still fails the batch, and the mapping retries it. Everything stays
in the one batch transaction: a delivery that is retried after the commit finds these records behind
the offset fence.
"""

from __future__ import annotations

from collections.abc import Sequence

import pg8000.native
from pg8000.exceptions import DatabaseError

from customersignal.adapters import pg_aggregation_sql as sql
from customersignal.adapters.key_store import error_field, sqlstate
from customersignal.adapters.pg_copy_rows import copy_stream
from customersignal.domain.record_decoding import DecodedRecord
from customersignal.ports import StoredEvents

# Class 22 is "data exception" (bad cast input, numeric out of range, untranslatable character, ...);
# 54000 is a value past a Postgres limit (a jsonb string or object too large). Both are about the values.
DATA_ERROR_CLASS = "22"
DATA_ERROR_STATES = frozenset({"54000"})
SAVEPOINT = "stage_events"


def is_data_error(error: DatabaseError) -> bool:
    code = sqlstate(error)
    return code.startswith(DATA_ERROR_CLASS) or code in DATA_ERROR_STATES


def stage_and_count(
    db: pg8000.native.Connection, count_staged: pg8000.native.PreparedStatement, records: Sequence[DecodedRecord]
) -> StoredEvents:
    """Stage ``records`` (candidates: past the fence, one per event id) and count the new ones."""
    counted: list[DecodedRecord] = []
    refused: list[tuple[DecodedRecord, str]] = []
    if records:
        _count_isolating(db, count_staged, records, counted, refused, whole=True)
    return StoredEvents(counted, refused)


def _count_isolating(
    db: pg8000.native.Connection,
    count_staged: pg8000.native.PreparedStatement,
    records: Sequence[DecodedRecord],
    counted: list[DecodedRecord],
    refused: list[tuple[DecodedRecord, str]],
    *,
    whole: bool,
) -> None:
    db.run(f"SAVEPOINT {SAVEPOINT}")
    try:
        db.run(sql.COPY_STAGE, stream=copy_stream(records))
        positions = count_staged.run()
        if not whole:  # the next part stages into an empty table (the whole batch's rows go at commit)
            db.run(sql.EMPTY_STAGE)
    except DatabaseError as error:
        if not is_data_error(error):
            raise
        db.run(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        db.run(f"RELEASE SAVEPOINT {SAVEPOINT}")
        if len(records) == 1:
            refused.append((records[0], f"Postgres refused a value ({sqlstate(error)}): {error_field(error, 'M')}"))
            return
        # halving finds k refusing records of n in about 2k·log2(n) statements; poison is rare and few.
        # Counting is additive, so the halves count exactly what the whole would have.
        middle = len(records) // 2
        _count_isolating(db, count_staged, records[:middle], counted, refused, whole=False)
        _count_isolating(db, count_staged, records[middle:], counted, refused, whole=False)
        return
    db.run(f"RELEASE SAVEPOINT {SAVEPOINT}")
    ((listed,),) = positions
    counted.extend(records[int(i)] for i in listed.split(",") if i)
