"""The aggregator benchmark's pure parts (bench/bench_data.py, bench/bench_db.py, bench/pg_probe.py): the
two data sets have the shape issue 15 asks for, ``reset`` empties every table but the set-up ones, and
the server counters are subtracted table by table. Nothing is timed here."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from customersignal.domain.envelope import Envelope
from tests.support.bench_modules import load_bench

if TYPE_CHECKING:
    import bench_data
    import bench_db
    import pg_probe
else:
    bench_data, bench_db, pg_probe = load_bench("bench_data"), load_bench("bench_db"), load_bench("pg_probe")

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TENANTS = [(uuid.UUID(int=2 * i + 1), uuid.UUID(int=2 * i + 2)) for i in range(10)]


@pytest.fixture(scope="module")
def realistic() -> list[Envelope]:
    return bench_data.realistic_envelopes(TENANTS, NOW)


@pytest.fixture(scope="module")
def worst() -> list[Envelope]:
    return bench_data.worst_case_envelopes(TENANTS, NOW)


def distinct(envelopes: list[Envelope]) -> dict[tuple[uuid.UUID, uuid.UUID], Envelope]:
    first: dict[tuple[uuid.UUID, uuid.UUID], Envelope] = {}
    for e in envelopes:
        first.setdefault((e.tenant_id, e.event.event_id), e)
    return first


def new_user_share(envelopes: list[Envelope], grain: timedelta) -> float:
    """Of the distinct events, the share whose user is new in its (tenant, type, bucket of ``grain``)."""
    events = distinct(envelopes).values()
    seen = {(e.tenant_id, e.event.event_type, e.occurred_at.timestamp() // grain.total_seconds(), e.event.user_id)
            for e in events}  # fmt: skip
    return len(seen) / len(events)


@pytest.mark.parametrize("name", ["worst", "realistic"])
def test_five_percent_of_the_records_are_retries_of_an_earlier_event(name: str, request: pytest.FixtureRequest) -> None:
    envelopes: list[Envelope] = request.getfixturevalue(name)
    assert len(envelopes) == bench_data.EVENTS
    retries = len(envelopes) - len(distinct(envelopes))
    assert 0.04 < retries / len(envelopes) < 0.06


@pytest.mark.parametrize("name", ["worst", "realistic"])
def test_about_three_percent_of_the_events_are_late_and_none_is_received_after_now(
    name: str, request: pytest.FixtureRequest
) -> None:
    envelopes: list[Envelope] = request.getfixturevalue(name)
    events = list(distinct(envelopes).values())
    late = [e for e in events if e.received_at - e.occurred_at > timedelta(seconds=5)]
    assert 0.02 < len(late) / len(events) < 0.04
    assert max(e.received_at - e.occurred_at for e in events) <= timedelta(hours=1, seconds=5)
    assert max(e.received_at for e in envelopes) <= NOW


def test_realistic_records_are_in_received_order(realistic: list[Envelope]) -> None:
    # (the worst case's retries keep their first receive time, as the original generator's did)
    received = [e.received_at for e in realistic]
    assert received == sorted(received)


def test_the_worst_case_is_the_original_generator(worst: list[Envelope]) -> None:
    # 2 minutes, 10 tenants x 4 types drawn uniformly, 2,000 users: nearly every user new in its hour
    assert worst[-1].received_at - worst[0].received_at < timedelta(minutes=2)
    assert {e.event.event_type for e in worst} == set(bench_data.TYPES)
    assert len({e.event.user_id for e in worst}) <= 2000
    assert new_user_share(worst, timedelta(hours=1)) > 0.8


def test_realistic_tenants_and_types_follow_zipf(realistic: list[Envelope]) -> None:
    tenants = Counter(e.tenant_id for e in distinct(realistic).values())
    ranked = [tenants[t] for t, _ in TENANTS]
    assert ranked[0] == max(ranked)
    # rank 1 against rank 2 and rank 10 under s = 1.1: 2.1x and 12.6x; sessions make it lumpy
    assert 1.5 < ranked[0] / ranked[1] < 3.0
    assert 6 < ranked[0] / ranked[-1] < 25
    types = Counter(e.event.event_type for e in distinct(realistic).values())
    share = types[bench_data.REALISTIC_TYPES[0]] / sum(types.values())
    assert abs(share - bench_data.zipf_weights(len(bench_data.REALISTIC_TYPES))[0]) < 0.03


def test_realistic_users_come_in_sessions_and_send_many_events(realistic: list[Envelope]) -> None:
    by_user: defaultdict[tuple[uuid.UUID, str | None], list[datetime]] = defaultdict(list)
    for e in distinct(realistic).values():
        by_user[(e.tenant_id, e.event.user_id)].append(e.received_at)
    per_user = [len(times) for times in by_user.values()]
    assert sum(per_user) / len(per_user) > 20  # many events per user in the day
    # within a session events follow each other by seconds; sessions are apart by minutes or more
    gaps = [b - a for times in by_user.values() for a, b in zip(sorted(times), sorted(times)[1:], strict=False)]
    assert sum(g < timedelta(minutes=1) for g in gaps) / len(gaps) > 0.7
    assert any(g > timedelta(minutes=10) for g in gaps)
    assert realistic[-1].received_at - realistic[0].received_at > timedelta(hours=1)


def test_realistic_users_repeat_in_their_hour_and_day_unlike_the_worst_case(
    realistic: list[Envelope], worst: list[Envelope]
) -> None:
    for grain in (timedelta(hours=1), timedelta(days=1)):
        assert new_user_share(realistic, grain) < 0.5
        assert new_user_share(realistic, grain) < new_user_share(worst, grain) / 2


def test_zipf_weights_sum_to_one_and_fall_by_rank() -> None:
    weights = bench_data.zipf_weights(5, 1.0)
    assert sum(weights) == pytest.approx(1.0)
    assert weights[0] / weights[1] == pytest.approx(2.0)
    assert weights == sorted(weights, reverse=True)


def test_a_dataset_counts_retries_once_and_keeps_every_record_in_its_batches(worst: list[Envelope]) -> None:
    dataset = bench_data.as_dataset("worst", "", worst)
    assert dataset.unique_events == len(distinct(worst))
    batches = dataset.batches(1000)
    assert [len(records) for records in batches] == [1000] * 30
    assert [r for b in batches for r in b] == dataset.records


def test_partitions_keep_every_record_and_each_tenant_on_one_partition(worst: list[Envelope]) -> None:
    streams = bench_data.as_dataset("worst", "", worst).by_partition(2)
    records = [r for stream in streams for batch in stream for r in batch]
    assert sorted(r.value or b"" for r in records) == sorted(
        r.value or b"" for r in bench_data.as_dataset("w", "", worst).records
    )
    for p, stream in enumerate(streams):
        assert all(r.partition == p for batch in stream for r in batch)
        offsets = [r.offset for batch in stream for r in batch]
        assert offsets == list(range(len(offsets)))
    assert not {r.key for b in streams[0] for r in b} & {r.key for b in streams[1] for r in b}


def test_reset_empties_every_table_but_the_set_up_ones() -> None:
    schema = ["tenants", "projects", "api_keys", "alembic_version", "events", "event_dedup", "metrics_minute",
              "metrics_minute_series", "metrics_day", "event_types", "a_table_added_later", "bench_raw"]  # fmt: skip
    emptied = bench_db.tables_to_reset(schema)
    assert "metrics_minute_series" in emptied
    assert "a_table_added_later" in emptied
    assert not {"tenants", "projects", "api_keys", "alembic_version"} & set(emptied)


def test_writes_are_subtracted_table_by_table() -> None:
    before = {"events": (10, 0, 0), "metrics_minute": (2, 5, 0)}
    after = {"events": (30, 0, 0), "metrics_minute": (3, 9, 0), "events_p20261207": (4, 0, 1)}
    writes = pg_probe.writes_between(before, after)
    assert (writes.inserted, writes.updated, writes.deleted, writes.rows) == (25, 4, 1, 30)
    assert writes.by_table == {"events": 20, "events_p20261207": 5, "metrics_minute": 5}
