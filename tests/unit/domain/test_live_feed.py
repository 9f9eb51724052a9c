"""The live feed's cursor over an in-memory log of Kafka partitions: never a repeat, never a skip, and
catching up in turns when more arrived than a page holds."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from customersignal.domain.dashboard_models import EventRow
from customersignal.domain.errors import MalformedRequest
from customersignal.domain.explorer import EventFilter
from customersignal.domain.live_feed import LATENESS, decode_live_cursor, encode_live_cursor, live_events
from customersignal.domain.people_models import LiveCursor, LiveRow

TENANT = uuid.uuid4()
T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
ANY = EventFilter(start=T0, end=T0)


class Log:
    """What the Postgres reader sees: stored events with their partition, offset and event time."""

    def __init__(self) -> None:
        self.rows: list[LiveRow] = []

    def store(self, partition: int, offset: int, occurred: datetime, event_type: str = "page") -> LiveRow:
        row = EventRow(
            event_id=uuid.uuid4(),
            event_type=event_type,
            user_id="u",
            anonymous_id=None,
            occurred_at=occurred,
            received_at=occurred,
            is_late=False,
            properties_preview="{}",
        )
        self.rows.append(LiveRow(row, partition, offset))
        return self.rows[-1]

    def positions(self, tenant_id: uuid.UUID, since: datetime) -> dict[int, int]:
        out: dict[int, int] = {}
        for r in self.rows:
            if r.row.occurred_at >= since:
                out[r.partition] = max(out.get(r.partition, -1), r.offset)
        return out

    def arrived(
        self, tenant_id: uuid.UUID, where: EventFilter, floor: datetime, after: Mapping[int, int], limit: int
    ) -> list[LiveRow]:
        fresh = [
            r
            for r in self.rows
            if r.row.occurred_at >= floor
            and r.offset > after.get(r.partition, -1)
            and (not where.event_types or r.row.event_type in where.event_types)
        ]
        turns: dict[int, int] = {}
        ranked = []
        for r in sorted(fresh, key=lambda r: (r.partition, r.offset)):
            turns[r.partition] = turns.get(r.partition, 0) + 1
            ranked.append((turns[r.partition], r.partition, r))
        return [r for _, _, r in sorted(ranked, key=lambda t: (t[0], t[1]))][:limit]


def follow(log: Log, cursor: str, now: datetime, limit: int = 50, where: EventFilter = ANY) -> tuple[list[str], str]:
    """Poll until caught up, as the page does; the event types given, oldest poll first."""
    given: list[str] = []
    while True:
        page = live_events(TENANT, where, decode_live_cursor(cursor), limit, now, log)
        given += [str(e.event_id) for e in page.events]
        cursor = page.next_cursor
        if not page.has_more:
            return given, cursor


def test_the_first_call_gives_nothing_and_a_cursor_after_what_is_stored() -> None:
    log = Log()
    log.store(0, 7, T0)
    page = live_events(TENANT, ANY, None, 50, T0, log)
    assert (page.events, page.has_more) == ([], False)
    assert decode_live_cursor(page.next_cursor) == LiveCursor(T0, {0: 7})
    new = log.store(0, 8, T0 + timedelta(seconds=1))
    assert follow(log, page.next_cursor, T0 + timedelta(seconds=2))[0] == [str(new.row.event_id)]


def test_an_event_that_commits_after_a_later_partition_is_still_given_once() -> None:
    log = Log()
    cursor = live_events(TENANT, ANY, None, 50, T0, log).next_cursor
    second = log.store(1, 0, T0 + timedelta(seconds=2))  # received later, stored first
    given, cursor = follow(log, cursor, T0 + timedelta(seconds=3))
    assert given == [str(second.row.event_id)]
    first = log.store(0, 0, T0 + timedelta(seconds=1))  # received earlier, its partition was slower
    given, cursor = follow(log, cursor, T0 + timedelta(seconds=5))
    assert given == [str(first.row.event_id)]
    assert follow(log, cursor, T0 + timedelta(seconds=7))[0] == []


def test_a_flood_is_given_in_turns_without_a_skip_or_a_repeat() -> None:
    log = Log()
    cursor = live_events(TENANT, ANY, None, 50, T0, log).next_cursor
    stored = [log.store(p, o, T0 + timedelta(milliseconds=o)) for p in range(3) for o in range(40)]
    # the page follows long after the floor has moved on: the floor waits until it has caught up
    given, _ = follow(log, cursor, T0 + LATENESS * 3, limit=7)
    assert sorted(given) == sorted(str(r.row.event_id) for r in stored)
    assert len(given) == len(set(given))


def test_each_page_is_newest_arrival_first() -> None:
    log = Log()
    cursor = live_events(TENANT, ANY, None, 50, T0, log).next_cursor
    for offset in range(5):
        log.store(0, offset, T0 + timedelta(seconds=offset))
    page = live_events(TENANT, ANY, decode_live_cursor(cursor), 50, T0 + timedelta(seconds=9), log)
    assert [e.received_at for e in page.events] == sorted((e.received_at for e in page.events), reverse=True)


def test_an_event_stored_later_than_the_lateness_after_its_time_is_not_shown() -> None:
    log = Log()
    cursor = live_events(TENANT, ANY, None, 50, T0, log).next_cursor
    log.store(0, 0, T0 - LATENESS - timedelta(seconds=1))  # an offline client's old event
    on_time = log.store(0, 1, T0)
    assert follow(log, cursor, T0 + timedelta(seconds=2))[0] == [str(on_time.row.event_id)]


def test_filters_apply_and_the_cursor_still_moves_past_what_they_let_through() -> None:
    log = Log()
    cursor = live_events(TENANT, ANY, None, 50, T0, log).next_cursor
    log.store(0, 0, T0, "page")
    buy = log.store(0, 1, T0, "checkout")
    only_checkout = EventFilter(start=T0, end=T0, event_types=("checkout",))
    given, cursor = follow(log, cursor, T0 + timedelta(seconds=2), where=only_checkout)
    assert given == [str(buy.row.event_id)]
    assert decode_live_cursor(cursor).offsets == {0: 1}


def test_a_cursor_survives_its_round_trip() -> None:
    cursor = LiveCursor(T0, {0: 5, 12: 0, 3: -1})
    assert decode_live_cursor(encode_live_cursor(cursor)) == cursor


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "eyJ0IjoiMjAyNi0xMi0wMVQxMjowMDowMCIsIm8iOnt9fQ",  # a time without an offset
        "eyJ0IjoiMjAyNi0xMi0wMVQxMjowMDowMFoiLCJvIjp7Ii0xIjo1fX0",  # a negative partition
        "WzFd",  # a JSON array
    ],
)
def test_a_forged_cursor_is_refused_naming_after(cursor: str) -> None:
    with pytest.raises(MalformedRequest) as raised:
        decode_live_cursor(cursor)
    assert (raised.value.code, raised.value.field) == ("invalid_after", "after")
