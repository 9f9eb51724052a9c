"""Buckets by corrected event time, and the identity unique users count (the batch's own pre-aggregation
runs in Postgres: tests/integration/test_aggregator_staging.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from customersignal.domain.aggregation import minute_bucket, user_key
from customersignal.domain.envelope import Envelope, EnvelopedEvent

pytestmark = pytest.mark.unit

TENANT = uuid.UUID("11111111-1111-4111-8111-111111111111")
RECEIVED = datetime(2026, 11, 27, 12, 0, 30, tzinfo=UTC)


def envelope(occurred: datetime, event_type: str = "signup", **event: Any) -> Envelope:
    fields: dict[str, Any] = {"event_id": uuid.uuid4(), "event_type": event_type, "user_id": "u1"} | event
    return Envelope(
        tenant_id=TENANT,
        project_id=uuid.uuid4(),
        received_at=RECEIVED,
        occurred_at=occurred,
        trace_id="0" * 32,
        event=EnvelopedEvent(**fields),
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC), "12:00", id="on the boundary"),
        pytest.param(datetime(2026, 11, 27, 12, 0, 59, 999999, tzinfo=UTC), "12:00", id="last microsecond"),
        pytest.param(datetime(2026, 11, 27, 13, 30, 5, tzinfo=timezone(timedelta(hours=1))), "12:30", id="other zone"),
        pytest.param(
            datetime(2026, 11, 27, 18, 0, 5, tzinfo=timezone(timedelta(hours=5, minutes=45))), "12:15", id="+05:45"
        ),
    ],
)
def test_minute_bucket_is_the_utc_minute(moment: datetime, expected: str) -> None:
    bucket = minute_bucket(moment)
    assert bucket.tzinfo == UTC
    assert bucket.strftime("%H:%M") == expected
    assert (bucket.second, bucket.microsecond) == (0, 0)


def test_minute_bucket_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="naive"):
        minute_bucket(datetime(2026, 11, 27, 12, 0))


@pytest.mark.parametrize(
    ("user_id", "anonymous_id", "expected"),
    [("u1", "a1", "u1"), (None, "a1", "anon-a1"), ("u1", None, "u1"), (None, None, None)],
)
def test_user_key_prefers_the_user_id(user_id: str | None, anonymous_id: str | None, expected: str | None) -> None:
    assert user_key(user_id, anonymous_id) == expected
