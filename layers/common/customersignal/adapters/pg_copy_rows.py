"""Staged rows as COPY text format: one line per event, columns as in ``pg_aggregation_sql.STAGE_COLUMNS``.

Text format, not CSV: JSON is full of double quotes, which CSV would double, while the text format only
needs the rare backslash, tab, newline and carriage return escaped. ``\\N`` is NULL.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from customersignal.domain.record_decoding import DecodedRecord
from customersignal.domain.record_fast_path import NULL

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str) -> str:
    # the common case, nothing to escape, costs one scan per special character and no copy
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def _optional_text(value: str | None) -> str:
    return NULL if value is None else copy_text(value)


def _json(value: str) -> str:
    # compact JSON holds no raw control characters (they are escaped as \n, \t, ...): only backslashes
    return value.replace("\\", "\\\\") if "\\" in value else value


def copy_lines(records: Sequence[DecodedRecord]) -> bytes:
    """The COPY payload of ``records``; the ``i`` column is each one's position in ``records``."""
    lines = []
    for i, item in enumerate(records):
        row = item.row
        lines.append(
            "\t".join(
                (
                    str(i),
                    row.tenant_id,
                    row.project_id,
                    row.event_id,
                    copy_text(row.event_type),
                    _optional_text(row.user_id),
                    _optional_text(row.anonymous_id),
                    row.copy_times,
                    "t" if row.is_late else "f",
                    _json(row.properties_json),
                    _json(row.context_json),
                    row.trace_id,
                    str(item.record.partition),
                    str(item.record.offset),
                )
            )
        )
    lines.append("")
    return "\n".join(lines).encode()


def copy_stream(records: Sequence[DecodedRecord]) -> io.BytesIO:
    return io.BytesIO(copy_lines(records))
