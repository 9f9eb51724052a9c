"""The RateLimiter contract: a token bucket per project, with the numbers the 429 headers need.

The fake advances an injected clock; the Redis bucket runs on the server's clock, so its harness really
sleeps, and a busy machine can stall between two calls for longer than any rate here takes to refill a
token. Each test that depends on that runs its calls through ``unstalled(harness, margin_s, ...)``: the
numbers it asserts hold exactly when the calls span less than ``margin_s`` (worked out next to each call),
and a run that a stall pushed past it proves nothing either way, so it is run again on a fresh project.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from customersignal.adapters.rate_limit import RedisTokenBucket
from customersignal.domain.errors import PayloadTooLarge
from customersignal.ports import RateDecision, RateLimiter
from tests.contract import unused_port
from tests.fakes import FakeClock, FakeRateLimiter
from tests.support.waits import Deadline, wait_for


class LimiterHarness(Protocol):
    limiter: RateLimiter

    def wait(self, seconds: float) -> None: ...

    def now(self) -> float:
        """Seconds on the clock the limiter reads."""
        ...


class FakeHarness:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.limiter: RateLimiter = FakeRateLimiter(self.clock)

    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def now(self) -> float:
        return self.clock.now().timestamp()


class RedisHarness:
    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.limiter: RateLimiter = RedisTokenBucket(client, key_prefix=f"{namespace}rl:")

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def now(self) -> float:
        return time.time()  # the script reads Redis TIME: the wall clock of this same machine


def unstalled[T](harness: LimiterHarness, margin_s: float, calls: Callable[[uuid.UUID], T]) -> T:
    """What ``calls(project)`` returned in a run, on a fresh project, that spanned less than ``margin_s``."""
    deadline = Deadline(60)
    stalls: list[float] = []
    while True:
        started = harness.now()
        result = calls(uuid.uuid4())
        took = harness.now() - started
        if took < margin_s:
            return result
        stalls.append(round(took, 2))
        assert not deadline.expired(), f"every run took {margin_s} s or more, so none is conclusive: {stalls} s"


@pytest.fixture(
    params=[pytest.param("fake", marks=pytest.mark.unit), pytest.param("redis", marks=pytest.mark.integration)]
)
def harness(request: pytest.FixtureRequest) -> LimiterHarness:
    if request.param == "fake":
        return FakeHarness()
    return RedisHarness(request.getfixturevalue("redis_client"), request.getfixturevalue("redis_namespace"))


def test_a_new_bucket_is_full_and_allows_up_to_burst(harness: LimiterHarness) -> None:
    # Given a project allowed 1 event/s with a burst of 5
    # When 6 single-event requests arrive at once (within 1 s: no token comes back before the 6th)
    def six(project: uuid.UUID) -> list[RateDecision]:
        return [harness.limiter.acquire(project, 1, 1.0, 5) for _ in range(6)]

    decisions = unstalled(harness, 1.0, six)
    # Then the first 5 pass, counting down, and the 6th is refused for about a second
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
    assert {d.limit for d in decisions} == {5}
    assert [d.retry_after_s for d in decisions] == [0, 0, 0, 0, 0, 1]
    # and the bucket is full again 5 s after it was emptied
    assert decisions[0].reset_after_s == 1
    assert decisions[4].reset_after_s == 5


def test_the_bucket_refills_at_the_rate(harness: LimiterHarness) -> None:
    # Given an emptied bucket of 4 events refilling at 4 events/s
    def drain_wait_and_ask(project: uuid.UUID) -> tuple[RateDecision, RateDecision, RateDecision]:
        emptied = harness.limiter.acquire(project, 4, 4.0, 4)
        # When half a second passes, two events' worth of tokens are back
        harness.wait(0.5)
        return emptied, harness.limiter.acquire(project, 2, 4.0, 4), harness.limiter.acquire(project, 2, 4.0, 4)

    # (the wait makes at least 2 tokens; from the emptying to the last call under 1 s, fewer than 4 in all)
    emptied, refilled, after = unstalled(harness, 1.0, drain_wait_and_ask)
    # Then a 2-event request passes and the next one waits for the refill (under a second)
    assert emptied.remaining == 0
    assert refilled.allowed
    assert not after.allowed
    assert after.retry_after_s == 1


def test_a_batch_costs_one_token_per_event_and_a_refusal_costs_nothing(harness: LimiterHarness) -> None:
    # Given a bucket of 10 at 1 event/s
    # When a 7-event batch passes, a 4-event batch is refused, and a 3-event batch follows (within 1 s: no refill)
    def batches(project: uuid.UUID) -> list[RateDecision]:
        return [harness.limiter.acquire(project, cost, 1.0, 10) for cost in (7, 4, 3)]

    seven, four, three = unstalled(harness, 1.0, batches)
    # Then the refused batch took nothing, so the 3 fit exactly
    assert (seven.allowed, seven.remaining) == (True, 3)
    assert (four.allowed, four.remaining, four.retry_after_s) == (False, 3, 1)
    assert (three.allowed, three.remaining) == (True, 0)


def test_retry_after_is_the_wait_for_the_whole_cost_rounded_up(harness: LimiterHarness) -> None:
    # Given an empty bucket of 10 refilling at 2 events/s
    # When 9 events are asked for (within 0.5 s of the emptying: less than one token back)
    def empty_then_nine(project: uuid.UUID) -> RateDecision:
        harness.limiter.acquire(project, 10, 2.0, 10)
        return harness.limiter.acquire(project, 9, 2.0, 10)

    refused = unstalled(harness, 0.5, empty_then_nine)
    # Then the wait is 9 / 2 = 4.5 s, announced as 5 s; a full bucket is 5 s away too
    assert not refused.allowed
    assert refused.retry_after_s == 5
    assert refused.reset_after_s == 5
    assert refused.remaining == 0


def test_a_batch_larger_than_the_burst_is_refused_as_too_large_without_spending(harness: LimiterHarness) -> None:
    # Given a bucket of 500
    project = uuid.uuid4()
    # When a 501-event batch arrives, it can never pass: that is not a retryable 429
    with pytest.raises(PayloadTooLarge) as raised:
        harness.limiter.acquire(project, 501, 100.0, 500)
    assert raised.value.code == "batch_exceeds_burst"
    assert "at most 500 events" in raised.value.message
    # Then the bucket is untouched
    assert harness.limiter.acquire(project, 500, 100.0, 500).allowed


def test_projects_have_independent_buckets(harness: LimiterHarness) -> None:
    # Given project A drained (and asked again within 1 s: no token back)
    def drained(a: uuid.UUID) -> RateDecision:
        harness.limiter.acquire(a, 3, 1.0, 3)
        return harness.limiter.acquire(a, 1, 1.0, 3)

    # Then A is refused and B still has its whole burst
    assert not unstalled(harness, 1.0, drained).allowed
    fresh = harness.limiter.acquire(uuid.uuid4(), 1, 1.0, 3)
    assert (fresh.allowed, fresh.remaining) == (True, 2)


def test_a_lowered_burst_applies_at_once(harness: LimiterHarness) -> None:
    # Given a bucket of 10 with 9 tokens left
    project = uuid.uuid4()
    harness.limiter.acquire(project, 1, 1.0, 10)
    # When the project's burst is lowered to 3
    decision = harness.limiter.acquire(project, 1, 1.0, 3)
    # Then the bucket holds at most 3 before the request is charged
    assert (decision.allowed, decision.remaining, decision.limit) == (True, 2, 3)


def test_cost_zero_peeks_without_spending(harness: LimiterHarness) -> None:
    # (the peek within 1 s of the spending: no token back in between)
    def spend_and_peek(project: uuid.UUID) -> tuple[uuid.UUID, RateDecision]:
        harness.limiter.acquire(project, 2, 1.0, 5)
        return project, harness.limiter.acquire(project, 0, 1.0, 5)

    project, peek = unstalled(harness, 1.0, spend_and_peek)
    assert (peek.allowed, peek.remaining) == (True, 3)
    assert harness.limiter.acquire(project, 3, 1.0, 5).allowed


@pytest.mark.parametrize(("cost", "rate", "burst"), [(-1, 1.0, 5), (1, 0.0, 5), (1, 1.0, 0)])
def test_nonsense_arguments_are_programming_errors(harness: LimiterHarness, cost: int, rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match=r"must be|invalid bucket"):
        harness.limiter.acquire(uuid.uuid4(), cost, rate, burst)


# -- RedisTokenBucket only --------------------------------------------------------------------------


class CountingRedis(redis.Redis):
    """A real client that records each command it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.sent.append(str(args[0]).upper())
        return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


@pytest.mark.integration
def test_each_request_is_one_evalsha_and_the_bucket_expires(redis_client: redis.Redis, redis_namespace: str) -> None:
    # Given a counting client on the same server, and a limiter that has run once (the script is loaded)
    counting = CountingRedis(connection_pool=redis_client.connection_pool)
    limiter = RedisTokenBucket(counting, key_prefix=redis_namespace)
    project = uuid.uuid4()
    limiter.acquire(project, 1, 100.0, 300)
    counting.sent.clear()
    # When three requests are checked
    for _ in range(3):
        limiter.acquire(project, 10, 100.0, 300)
    # Then each was exactly one round trip
    assert counting.sent == ["EVALSHA"] * 3

    # and the state expires once a full refill (300 / 100 = 3 s) would have reset it anyway: 4 s after a request,
    # so a TTL read within a second of one (a free peek, which sets it again) is over 3 s
    def peek_then_ttl() -> tuple[float, int]:
        started = time.monotonic()
        limiter.acquire(project, 0, 100.0, 300)
        return time.monotonic() - started, redis_client.pttl(f"{redis_namespace}{project}")

    _, ttl_ms = wait_for(peek_then_ttl, lambda read: read[0] < 1.0, "a TTL read within 1 s of a request")
    assert 3000 < ttl_ms <= 4000


@pytest.mark.integration
def test_the_limiter_fails_open_when_redis_is_down() -> None:
    # Given Redis out of reach
    down = CountingRedis(port=unused_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    limiter = RedisTokenBucket(down)
    # When requests arrive, even more than the burst allows
    decisions = [limiter.acquire(uuid.uuid4(), 5, 1.0, 5) for _ in range(3)]
    # Then they pass (ingestion beats strict limiting) and still say what the limit is
    assert all(d.allowed for d in decisions)
    assert {d.limit for d in decisions} == {5}
    # and only the first one tried Redis: the others, inside the outage window, did not wait on a connection
    assert down.sent == ["EVALSHA"]
    # but a request that could never pass is still refused
    with pytest.raises(PayloadTooLarge):
        limiter.acquire(uuid.uuid4(), 6, 1.0, 5)
