"""Metric series and summaries from the dashboard API equal what the raw events say, bucket by bucket:
across intervals and time zones, across the hot (Redis) / cold (Postgres) boundary, with late events."""

from __future__ import annotations

import bisect
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from customersignal.adapters.hot_store import HotKeys, RedisHotStore
from customersignal.domain.envelope import Envelope
from tests.fixtures.aggregator import TenantRef, envelope
from tests.fixtures.dashboard import Dashboard

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
TYPES = ("signup", "checkout", "page_view")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def generated_events(ref: TenantRef, seed: int) -> list[Envelope]:
    """Events over the last 3 hours, some 2 days old, and late ones (10 days old), for 3 types and 12 users."""
    rng = random.Random(seed)
    out = []
    for _ in range(600):
        at = NOW - timedelta(seconds=rng.randrange(0, 3 * 3600))
        out.append(envelope(ref, rng.choice(TYPES), user=f"u{rng.randrange(12)}", at=at, received=NOW))
    for _ in range(60):
        at = NOW - timedelta(days=2, seconds=rng.randrange(0, 6 * 3600))
        out.append(envelope(ref, rng.choice(TYPES), user=None, anonymous=f"a{rng.randrange(5)}", at=at, received=NOW))
    for _ in range(25):  # late: older than the 7-day horizon, still counted in their buckets
        at = NOW - timedelta(days=10, seconds=rng.randrange(0, 3600))
        out.append(envelope(ref, rng.choice(TYPES), user=f"u{rng.randrange(3)}", at=at, received=NOW))
    return out


def expected(
    events: Sequence[Envelope], buckets_ms: list[int], end_ms: int, unique: bool = False
) -> dict[str, list[int]]:
    """Per type, the dense values computed straight from the raw events, over the API's own buckets."""
    members: dict[tuple[str, int], set[str]] = defaultdict(set)
    counts: Counter[tuple[str, int]] = Counter()
    for e in events:
        at = ms(e.occurred_at)
        if buckets_ms[0] <= at < end_ms:
            index = bisect.bisect_right(buckets_ms, at) - 1
            counts[(e.event.event_type, index)] += 1
            members[(e.event.event_type, index)].add(e.event.user_id or f"anon-{e.event.anonymous_id}")
    return {t: [len(members[(t, i)]) if unique else counts[(t, i)] for i in range(len(buckets_ms))] for t in TYPES}


def dense(body: dict[str, Any]) -> dict[str, list[int]]:
    assert all(len(series["v"]) == len(body["buckets_ms"]) for series in body["series"])
    return {series["event_type"]: series["v"] for series in body["series"]}


def aligned_end(interval: str, tz: str) -> datetime:
    """A range end on a bucket boundary (in ``tz``), so the last bucket ends exactly there."""
    local = (NOW + timedelta(minutes=1)).astimezone(ZoneInfo(tz))
    if interval == "5m":
        local = local.replace(minute=local.minute - local.minute % 5)
    elif interval == "1h":
        local = local.replace(minute=0)
    elif interval == "1d":
        local = (local + timedelta(days=1)).replace(hour=0, minute=0)
    return local.astimezone(UTC)


@pytest.fixture(scope="module")
def loaded(dashboard: Dashboard) -> tuple[TenantRef, str, list[Envelope]]:
    ref, key = dashboard.tenant()
    events = generated_events(ref, seed=7)
    for start in range(0, len(events), 200):
        dashboard.ingest(events[start : start + 200], now=NOW)
    return ref, key, events


@pytest.mark.parametrize(
    ("interval", "span", "tz", "unique"),
    [
        ("1m", timedelta(hours=3), "UTC", False),
        ("1m", timedelta(hours=3), "UTC", True),
        ("5m", timedelta(hours=3), "UTC", False),
        ("5m", timedelta(hours=3), "UTC", True),
        ("1h", timedelta(days=3), "Asia/Kolkata", False),  # hours start at :30 UTC: summed from minutes
        ("1h", timedelta(days=3), "UTC", True),
        ("1d", timedelta(days=14), "Europe/Paris", False),  # local days: summed from hours
        ("1d", timedelta(days=14), "UTC", False),
    ],
)
def test_a_series_equals_the_raw_events_bucket_by_bucket(
    dashboard: Dashboard,
    loaded: tuple[TenantRef, str, list[Envelope]],
    interval: str,
    span: timedelta,
    tz: str,
    unique: bool,
) -> None:
    _, key, events = loaded
    end = aligned_end(interval, tz)
    status, body = dashboard.get(
        "/v1/metrics/series",
        key,
        types=",".join(TYPES),
        interval=interval,
        tz=tz,
        metric="unique_users" if unique else "count",
        **{"from": iso(end - span), "to": iso(end)},
    )
    assert status == 200, body
    assert body["buckets_ms"][0] <= ms(end - span)
    assert body["buckets_ms"][-1] < ms(end)
    want = expected(events, body["buckets_ms"], ms(end), unique=unique)
    assert dense(body) == want
    assert sum(sum(v) for v in want.values()) > 0  # the range does hold events
    assert body["freshness"]["complete_up_to"] is not None


def test_the_hot_store_answers_from_its_coverage_on_and_postgres_before_it(
    dashboard: Dashboard, loaded: tuple[TenantRef, str, list[Envelope]]
) -> None:
    ref, key, events = loaded
    store = RedisHotStore(dashboard.hot, HotKeys())
    dashboard.hot.delete(HotKeys().coverage)
    store.mark_covered_from(NOW - timedelta(hours=2, minutes=30))  # as `rebuild-hot` does
    start, end = NOW - timedelta(hours=3), NOW + timedelta(minutes=1)
    query = {"types": "signup", "interval": "1m", "from": iso(start), "to": iso(end)}
    status, body = dashboard.get("/v1/metrics/series", key, **query)
    assert status == 200, body
    hot_from = datetime.fromisoformat(body["sources"]["hot_from"])
    assert hot_from == NOW - timedelta(hours=2, minutes=30)
    assert dense(body) == {"signup": expected(events, body["buckets_ms"], ms(end))["signup"]}
    # a minute on each side of the boundary: tamper with Redis, and only the hot one changes
    hot_minute, cold_minute = hot_from + timedelta(minutes=5), hot_from - timedelta(minutes=5)
    for minute in (hot_minute, cold_minute):
        dashboard.hot.hset(HotKeys().counts(str(ref.tenant_id), "signup", minute), str(int(minute.timestamp())), 9999)
    _, tampered = dashboard.get("/v1/metrics/series", key, **query)
    values = dict(zip(tampered["buckets_ms"], tampered["series"][0]["v"], strict=True))
    assert values[ms(hot_minute)] == 9999
    assert values[ms(cold_minute)] != 9999
    # a lost cache (no coverage mark): everything from Postgres, exact again
    dashboard.hot.flushdb()
    _, cold = dashboard.get("/v1/metrics/series", key, **query)
    assert cold["sources"]["hot_from"] is None
    assert dense(cold) == {"signup": expected(events, cold["buckets_ms"], ms(end))["signup"]}


def test_late_events_amend_old_buckets(dashboard: Dashboard, loaded: tuple[TenantRef, str, list[Envelope]]) -> None:
    ref, key, _ = loaded
    old = (NOW - timedelta(days=20)).replace(hour=12, minute=0)
    late = [envelope(ref, "signup", user=f"late{i}", at=old + timedelta(minutes=i), received=NOW) for i in range(4)]
    dashboard.ingest(late, now=NOW)
    day = old.replace(hour=0)
    status, body = dashboard.get(
        "/v1/metrics/series",
        key,
        types="signup",
        interval="1d",
        **{"from": iso(day), "to": iso(day + timedelta(days=1))},
    )
    assert status == 200, body
    assert body["buckets_ms"] == [ms(day)]
    assert body["series"][0] == {"event_type": "signup", "v": [4]}
    _, users = dashboard.get(
        "/v1/metrics/series",
        key,
        types="signup",
        interval="1d",
        metric="unique_users",
        **{"from": iso(day), "to": iso(day + timedelta(days=1))},
    )
    assert users["series"][0]["v"] == [4]


def test_the_summary_compares_with_the_previous_period(
    dashboard: Dashboard, loaded: tuple[TenantRef, str, list[Envelope]]
) -> None:
    _, key, events = loaded
    start, end = NOW - timedelta(hours=1, minutes=30), NOW + timedelta(minutes=1)
    previous = start - (end - start)
    status, body = dashboard.get("/v1/metrics/summary", key, limit=2, **{"from": iso(start), "to": iso(end)})
    assert status == 200, body

    def totals(lo: datetime, hi: datetime) -> Counter[str]:
        return Counter(e.event.event_type for e in events if lo <= e.occurred_at.replace(second=0) < hi)

    now_counts, before = totals(start, end), totals(previous, start)
    assert body["total"] == sum(now_counts.values())
    assert body["previous_total"] == sum(before.values())
    assert body["event_types_seen"] == 3
    # And the range's distinct users, exact below the explicit threshold (320)
    users = {e.event.user_id or f"anon-{e.event.anonymous_id}" for e in events if start <= e.occurred_at < end}
    assert body["unique_users_in_range"] == len(users)
    top = sorted(now_counts.items(), key=lambda item: (-item[1], item[0]))[:2]
    assert [(t["event_type"], t["count"], t["previous_count"]) for t in body["top_types"]] == [
        (name, count, before[name]) for name, count in top
    ]


def test_unique_users_of_an_old_range_union_the_stored_sketches(
    dashboard: Dashboard, loaded: tuple[TenantRef, str, list[Envelope]]
) -> None:
    # Given late events 10 days old (once past the membership rows' 8 days, now kept in the sketches)
    _, key, events = loaded
    start = (NOW - timedelta(days=10, hours=1)).replace(minute=0)
    end = start + timedelta(hours=3)
    # When 5-minute buckets (not stored: each a union of five minute sketches) are asked for
    status, body = dashboard.get(
        "/v1/metrics/series",
        key,
        types=",".join(TYPES),
        interval="5m",
        metric="unique_users",
        **{"from": iso(start), "to": iso(end)},
    )
    # Then they are answered, and equal the raw events' distinct users (exact: far below 320 per bucket)
    assert status == 200, body
    assert dense(body) == expected(events, body["buckets_ms"], ms(end), unique=True)
    assert sum(sum(v) for v in dense(body).values()) > 0


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        (
            {"interval": "1m", "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T01:00:00Z"},
            "types",
            "missing_parameter",
        ),
        (
            {"types": "a", "interval": "2m", "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T01:00:00Z"},
            "interval",
            "invalid_interval",
        ),
        ({"types": "a", "interval": "1m", "from": "yesterday", "to": "2026-01-01T01:00:00Z"}, "from", "invalid_from"),
        (
            {"types": "a", "interval": "1m", "from": "2026-01-01T00:00:00", "to": "2026-01-01T01:00:00Z"},
            "from",
            "invalid_from",
        ),
        (
            {"types": "a", "interval": "1m", "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T01:00:00Z"},
            "to",
            "invalid_to",
        ),
        (
            {"types": "a", "interval": "1m", "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T01:00:00Z"},
            "interval",
            "range_too_long",
        ),
        (
            {
                "types": "a",
                "interval": "1h",
                "tz": "Mars/Olympus",
                "from": "2026-01-01T00:00:00Z",
                "to": "2026-01-02T00:00:00Z",
            },
            "tz",
            "invalid_tz",
        ),
        (
            {
                "types": "a",
                "interval": "1h",
                "metric": "sum",
                "from": "2026-01-01T00:00:00Z",
                "to": "2026-01-02T00:00:00Z",
            },
            "metric",
            "invalid_metric",
        ),
    ],
)
def test_bad_series_requests_are_400s_naming_the_parameter(
    dashboard: Dashboard, loaded: tuple[TenantRef, str, list[Envelope]], query: dict[str, str], field: str, code: str
) -> None:
    status, body = dashboard.get("/v1/metrics/series", loaded[1], **query)
    assert status == 400, body
    assert (body["error"]["field"], body["error"]["code"]) == (field, code)
    assert body["request_id"]


def test_series_of_an_unknown_type_is_all_zero(
    dashboard: Dashboard, loaded: tuple[TenantRef, str, list[Envelope]]
) -> None:
    start = NOW - timedelta(hours=1)
    status, body = dashboard.get(
        "/v1/metrics/series",
        loaded[1],
        types=f"never_{uuid.uuid4().hex[:6]}",
        interval="5m",
        **{"from": iso(start), "to": iso(NOW)},
    )
    assert status == 200
    assert len(body["buckets_ms"]) in (12, 13)
    assert body["series"][0]["v"] == [0] * len(body["buckets_ms"])
