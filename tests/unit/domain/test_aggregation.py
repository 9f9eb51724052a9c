"""Pre-aggregation: buckets by corrected event time, unique users, catalog observations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from customersignal.domain.aggregation import BucketKey, json_type, minute_bucket, pre_aggregate, user_key
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


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "null"), (True, "boolean"), (0, "number"), (1.5, "number"), ("x", "string"), ({}, "object"), ([], "array")],
)
def test_json_type(value: Any, expected: str) -> None:
    assert json_type(value) == expected


def test_a_batch_collapses_into_one_counter_per_type_and_minute_by_event_time() -> None:
    # Given five events: three signups in one minute (two users), one late signup, one checkout
    minute = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    late = minute - timedelta(days=8)
    batch = [
        envelope(minute + timedelta(seconds=1), user_id="u1"),
        envelope(minute + timedelta(seconds=2), user_id="u1"),
        envelope(minute + timedelta(seconds=59), user_id=None, anonymous_id="a9"),
        envelope(late + timedelta(seconds=10)),
        envelope(minute, "checkout", properties={"amount": 10, "coupon": None}),
    ]
    # When pre-aggregated
    aggregate = pre_aggregate(batch)
    tenant = str(TENANT)
    # Then counts and unique users are per (tenant, type, minute of event time); late events get their own bucket
    assert dict(aggregate.counts) == {
        BucketKey(tenant, "signup", minute): 3,
        BucketKey(tenant, "signup", late): 1,
        BucketKey(tenant, "checkout", minute): 1,
    }
    assert aggregate.users[BucketKey(tenant, "signup", minute)] == {"u1", "anon-a9"}
    assert aggregate.events == 5
    # And the catalog learns property names and types, and when the types were seen
    assert aggregate.properties[(tenant, "checkout")] == {"amount": {"number"}, "coupon": {"null"}}
    assert aggregate.first_seen[(tenant, "signup")] == RECEIVED
    # And when they happened, apart from when they arrived: the late signup is the first event
    assert aggregate.first_event[(tenant, "signup")] == late + timedelta(seconds=10)
    assert aggregate.last_event[(tenant, "signup")] == minute + timedelta(seconds=59)
    assert aggregate.first_event[(tenant, "checkout")] == aggregate.last_event[(tenant, "checkout")] == minute


def test_an_empty_batch_aggregates_to_nothing() -> None:
    aggregate = pre_aggregate([])
    assert aggregate.events == 0
    assert not aggregate.counts
