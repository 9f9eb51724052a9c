"""The leased rate limiter over the fake shared bucket (which passes the RateLimiter contract)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

import pytest

from customersignal.adapters.rate_lease import LeasedRateLimiter
from customersignal.domain.errors import PayloadTooLarge
from customersignal.ports import RateDecision
from tests.fakes import FakeClock, FakeRateLimiter

pytestmark = pytest.mark.unit


@dataclass
class CountingBucket:
    """The fake shared bucket, counting the calls that would be Redis round trips."""

    inner: FakeRateLimiter = field(default_factory=lambda: FakeRateLimiter(FakeClock()))
    calls: int = 0

    def acquire(self, project_id: uuid.UUID, cost: int, rate_per_s: float, burst: int) -> RateDecision:
        self.calls += 1
        return self.inner.acquire(project_id, cost, rate_per_s, burst)


def test_a_small_bucket_is_not_leased_and_stays_exact() -> None:
    shared = CountingBucket()
    limiter = LeasedRateLimiter(shared)
    project = uuid.uuid4()
    decisions = [limiter.acquire(project, 1, 1.0, 5) for _ in range(7)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    assert shared.calls == 7


def test_a_big_bucket_is_spent_to_the_last_token_with_far_fewer_shared_calls() -> None:
    # Given a frozen clock (no refill) and a burst of 1,000: lease = min(64, 1000 // 50) = 20
    shared = CountingBucket()
    limiter = LeasedRateLimiter(shared)
    project = uuid.uuid4()
    # When 1,000 single-event requests arrive, then 100 more
    allowed = sum(limiter.acquire(project, 1, 1.0, 1000).allowed for _ in range(1000))
    calls_to_admit = shared.calls
    refused = [limiter.acquire(project, 1, 1.0, 1000) for _ in range(100)]
    # Then exactly the burst is admitted, about one request in 21 reached the shared bucket, and a refusal
    # costs one call and says when one event would pass
    assert allowed == 1000
    assert calls_to_admit <= 1000 // 20 + 1
    assert not any(d.allowed for d in refused)
    assert shared.calls - calls_to_admit == 100
    assert {d.retry_after_s for d in refused} == {1.0}


def test_held_tokens_count_towards_a_bigger_request_and_nothing_is_lost() -> None:
    shared = CountingBucket()
    limiter = LeasedRateLimiter(shared)
    project = uuid.uuid4()
    costs = [1, 7, 30, 1, 50, 3] * 20
    admitted = sum(c for c in costs if limiter.acquire(project, c, 1.0, 1000).allowed)
    assert 1000 - max(costs) <= admitted <= 1000  # only the last requests that did not fit are left over


def test_remaining_counts_the_tokens_this_process_holds() -> None:
    limiter = LeasedRateLimiter(CountingBucket())
    project = uuid.uuid4()
    first = limiter.acquire(project, 1, 1.0, 1000)
    second = limiter.acquire(project, 1, 1.0, 1000)
    assert (first.remaining, second.remaining) == (999, 998)


def test_a_request_bigger_than_the_burst_is_still_refused_as_too_large() -> None:
    with pytest.raises(PayloadTooLarge):
        LeasedRateLimiter(CountingBucket()).acquire(uuid.uuid4(), 1001, 1.0, 1000)


def test_threads_never_admit_more_than_the_bucket_holds() -> None:
    limiter = LeasedRateLimiter(CountingBucket())
    project = uuid.uuid4()
    admitted: list[int] = []

    def hammer() -> None:
        admitted.append(sum(limiter.acquire(project, 1, 1.0, 2000).allowed for _ in range(500)))

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 2000


def test_big_batches_take_a_lease_of_several_requests_and_skip_the_shared_bucket_as_single_events_do() -> None:
    # Given a big bucket (burst 1,000,000, frozen clock) and 100-event requests
    shared = CountingBucket()
    limiter = LeasedRateLimiter(shared)
    project = uuid.uuid4()
    # When 170 of them arrive
    allowed = sum(limiter.acquire(project, 100, 1.0, 1_000_000).allowed for _ in range(170))
    # Then all pass, and only about one in 17 reached the shared bucket (a lease of 16 more requests)
    assert allowed == 170
    assert shared.calls == 10
    assert limiter.lease_for(1_000_000, 100) == 1600


def test_the_lease_never_exceeds_the_share_of_the_burst_whatever_the_request_size() -> None:
    limiter = LeasedRateLimiter(CountingBucket())
    assert limiter.lease_for(2000, 100) == 40  # 2 % of the burst, as for single events
    assert limiter.lease_for(2000, 1) == 40
    assert limiter.lease_for(10_000_000, 1) == 64
    assert limiter.lease_for(100, 50) == 2
    assert limiter.lease_for(49, 10) == 0  # a small bucket stays exact
