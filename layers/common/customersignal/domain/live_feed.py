"""The live event feed: the events stored since a cursor, for a page that follows them. Pure.

"Arrived after" is the Kafka position, not a clock. The aggregator stores each partition's records in
offset order (one ordered stream per partition, the same guarantee the freshness watermarks rest on), so
per partition "offset above the last one given" never skips an event that commits late and never repeats
one. ``received_at`` could not do that: two API containers stamp it, and a partition may commit an event
received earlier after another partition committed a later one.

No index on the Kafka position (it would tax every insert). The feed reads the tenant's events whose event
time is at most ``LATENESS`` before the previous poll, through the primary key (tenant_id, occurred_at, ...),
which partition pruning keeps to a day or two. The limit of that choice: an event stored more than
``LATENESS`` after its event time (an offline client's batch, a long pipeline outage) does not show in the
feed; the explorer lists it at its event time.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import orjson

from customersignal.domain.explorer import EventFilter
from customersignal.domain.people_models import LiveCursor, LivePage, LiveRow
from customersignal.domain.query_params import EARLIEST, LATEST, invalid
from customersignal.read_ports import LiveReader

LATENESS = timedelta(minutes=10)
MAX_PARTITIONS = 1024
BAD_CURSOR = "this cursor is not one the live feed gave out; start again without 'after'"


def live_events(
    tenant_id: uuid.UUID,
    where: EventFilter,
    after: LiveCursor | None,
    limit: int,
    now: datetime,
    live: LiveReader,
) -> LivePage:
    """Without a cursor: none yet, and a cursor at the tail (the page already shows what came before)."""
    if after is None:
        return _page([], LiveCursor(now, live.positions(tenant_id, now - LATENESS)), more=False)
    rows = live.arrived(tenant_id, where, after.issued_at - LATENESS, after.offsets, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    offsets = dict(after.offsets)
    for item in page:
        offsets[item.partition] = max(offsets.get(item.partition, -1), item.offset)
    # Catching up keeps the floor where it was: the rows left for the next poll must still be above it.
    issued = after.issued_at if more else max(now, after.issued_at)
    return _page(page, LiveCursor(issued, offsets), more=more)


def _page(rows: Sequence[LiveRow], cursor: LiveCursor, *, more: bool) -> LivePage:
    newest_first = sorted(rows, key=lambda r: (r.row.received_at, r.partition, r.offset), reverse=True)
    return LivePage(
        events=[r.row for r in newest_first],
        next_cursor=encode_live_cursor(cursor),
        has_more=more,
        lateness_seconds=int(LATENESS.total_seconds()),
    )


def encode_live_cursor(cursor: LiveCursor) -> str:
    data = {"t": cursor.issued_at.isoformat(), "o": {str(p): o for p, o in sorted(cursor.offsets.items())}}
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def decode_live_cursor(text: str) -> LiveCursor:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        issued = datetime.fromisoformat(data["t"])
        offsets = {int(p): int(o) for p, o in data["o"].items()}
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        raise invalid("after", BAD_CURSOR) from None
    if issued.tzinfo is None or not EARLIEST <= issued < LATEST or len(offsets) > MAX_PARTITIONS:
        raise invalid("after", BAD_CURSOR)
    if any(p < 0 or o < -1 or o >= 2**63 for p, o in offsets.items()):
        raise invalid("after", BAD_CURSOR)
    return LiveCursor(issued, offsets)
