"""One accepted event as the aggregator stages it: the columns of a raw-event row, decoded once.

A named tuple rather than the pydantic ``Envelope``: the aggregator builds one per record on its hot path,
and reads only attributes. Identifiers stay in their canonical text form (what COPY sends); times are
parsed and timezone-aware.
``properties_json`` and ``context_json`` are compact JSON that Postgres's jsonb input accepts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple


class EventRow(NamedTuple):
    tenant_id: str
    project_id: str
    event_id: str
    event_type: str
    user_id: str | None
    anonymous_id: str | None
    occurred_at: datetime
    received_at: datetime
    client_timestamp: datetime | None
    sent_at: datetime | None
    is_late: bool
    trace_id: str
    properties_json: str
    context_json: str
    properties: dict[str, Any]  # parsed: what the catalog learns from (property_catalog)
    # occurred_at, client_timestamp, sent_at and received_at as COPY text, tab-separated (\\N for none): the
    # fast path passes on the ISO 8601 text it checked instead of formatting the times again
    copy_times: str
