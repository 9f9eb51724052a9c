"""Time correction: received_at - (sent_at - timestamp), then the future and late bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from customersignal.domain.timecorrect import LATE_AFTER, MAX_FUTURE_SKEW, correct_time

pytestmark = pytest.mark.unit

R = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # when the server received the event
MIN = timedelta(minutes=1)
TINY = timedelta(microseconds=1)
PLUS_2 = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("timestamp", "sent_at", "occurred_at", "is_late", "in_future"),
    [
        pytest.param(None, None, R, False, False, id="neither: the receive time"),
        pytest.param(R - 5 * MIN, None, R - 5 * MIN, False, False, id="timestamp only: trusted as is"),
        pytest.param(None, R - 3 * MIN, R, False, False, id="sent_at without timestamp: the receive time"),
        pytest.param(None, R + 9 * LATE_AFTER, R, False, False, id="sent_at alone never makes an event future"),
        pytest.param(
            R - timedelta(hours=2), R - timedelta(hours=2) + 5 * MIN, R - 5 * MIN, False, False, id="clock 2 h behind"
        ),
        pytest.param(R + timedelta(hours=3), R + timedelta(hours=3) + MIN, R - MIN, False, False, id="clock 3 h ahead"),
        pytest.param(
            R - timedelta(days=30),
            R - timedelta(days=30) + 10 * MIN,
            R - 10 * MIN,
            False,
            False,
            id="a month-old clock, honest interval: not late",
        ),
        pytest.param(R + MAX_FUTURE_SKEW, None, R + MAX_FUTURE_SKEW, False, False, id="exactly 1 h ahead: accepted"),
        pytest.param(
            R + MAX_FUTURE_SKEW + TINY, None, R + MAX_FUTURE_SKEW + TINY, False, True, id="1 h + 1 us: future"
        ),
        pytest.param(
            R + MAX_FUTURE_SKEW + MIN,
            R,
            R + MAX_FUTURE_SKEW + MIN,
            False,
            True,
            id="after correction: happened 61 min after it was sent",
        ),
        pytest.param(R - LATE_AFTER, None, R - LATE_AFTER, False, False, id="exactly 7 days old: not late"),
        pytest.param(R - LATE_AFTER - TINY, None, R - LATE_AFTER - TINY, True, False, id="7 days + 1 us: late"),
        pytest.param(R - timedelta(days=9), R, R - timedelta(days=9), True, False, id="queued offline 9 days: late"),
    ],
)
def test_correct_time(
    timestamp: datetime | None, sent_at: datetime | None, occurred_at: datetime, is_late: bool, in_future: bool
) -> None:
    # Given the client's timestamp and sent_at, and the server's receive time R
    # When the time is corrected
    result = correct_time(received_at=R, timestamp=timestamp, sent_at=sent_at)
    # Then the corrected time and its classification follow the formula and the bounds
    assert result.occurred_at == occurred_at
    assert result.is_late is is_late
    assert (result.ahead_by is not None) is in_future


def test_the_corrected_time_is_in_utc() -> None:
    # Given a timestamp with a +02:00 offset
    timestamp = datetime(2024, 5, 1, 13, 30, tzinfo=PLUS_2)
    # When it is corrected without sent_at
    result = correct_time(received_at=R, timestamp=timestamp, sent_at=None)
    # Then the same instant comes back in UTC, so string bucketing works downstream
    assert result.occurred_at == timestamp
    assert result.occurred_at.tzinfo is UTC
    assert result.occurred_at.isoformat() == "2024-05-01T11:30:00+00:00"


def test_ahead_by_says_how_far() -> None:
    # Given an event that claims to be 2 h ahead
    # When it is corrected
    result = correct_time(received_at=R, timestamp=R + timedelta(hours=2), sent_at=None)
    # Then the rejection can say by how much
    assert result.ahead_by == timedelta(hours=2)


def test_a_naive_receive_time_is_a_programming_error() -> None:
    # Given a naive server time; When correcting; Then it refuses rather than guessing a zone
    with pytest.raises(ValueError, match="timezone-aware"):
        correct_time(received_at=datetime(2024, 5, 1, 12), timestamp=None, sent_at=None)


@pytest.mark.parametrize(
    ("timestamp", "out_of_range"),
    [
        pytest.param(datetime(1, 1, 1, tzinfo=PLUS_2), True, id="year 1 east of UTC: cannot even move to UTC"),
        pytest.param(datetime(1, 6, 1, tzinfo=UTC), True, id="year 1"),
        pytest.param(datetime(2, 1, 1, tzinfo=UTC), False, id="year 2: the first year taken"),
        pytest.param(datetime(9998, 12, 31, 23, tzinfo=UTC), False, id="year 9998: the last year taken"),
        pytest.param(datetime(9999, 1, 1, tzinfo=UTC), True, id="year 9999"),
    ],
)
def test_times_at_the_ends_of_the_calendar_are_out_of_range(timestamp: datetime, out_of_range: bool) -> None:
    """The aggregator refuses the same years (moving such times between zones overflows): the API must not
    accept an event it could never count."""
    corrected = correct_time(received_at=R, timestamp=timestamp, sent_at=None)
    assert corrected.out_of_range is out_of_range
    if out_of_range:
        assert corrected.occurred_at == R
