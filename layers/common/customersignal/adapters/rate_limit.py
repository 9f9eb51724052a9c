"""Per-project ingestion rate limiting: a token bucket in Redis, one Lua call (EVALSHA) per request.

The bucket holds up to ``burst`` tokens and refills at ``rate_per_s``; a request costs one token per
event (a 500-event batch costs 500). The script reads the clock with Redis ``TIME``, so every Lambda
container shares one clock whatever their own drift, and stores ``tokens`` and ``ts`` in a hash that
expires once a full refill would have reset it anyway (``burst / rate`` + 1 s). A refused request
consumes nothing.

What a decision means (``RateDecision``; seconds are whole, rounded up, ready for headers):

* ``limit`` = ``burst`` -> ``RateLimit-Limit``
* ``remaining`` = tokens left after this request, rounded down -> ``RateLimit-Remaining``
* ``reset_after_s`` = seconds until the bucket is full again -> ``RateLimit-Reset``
* ``retry_after_s`` = 0 when allowed; otherwise seconds until ``cost`` tokens exist -> ``Retry-After``
  (at least 1). Answer 429.

A request with ``cost > burst`` could wait forever and never pass, so it is not a 429 (clients retry
those): ``acquire`` raises ``PayloadTooLarge(code="batch_exceeds_burst")`` without touching the bucket,
and the API answers 413 with a message to send smaller batches or raise the project's burst. ``cost`` 0
is a free peek at the bucket.

If Redis is unavailable the limiter **fails open**: the request is allowed and a warning is logged
(once per outage window, during which Redis is not retried, so a dead Redis does not add a timeout to
every request). Ingestion availability matters more than strict limiting: refusing events because the
limiter's store is down would lose customer data to protect capacity we normally have, and Kafka
absorbs a short unlimited burst. Only requests in that window go unlimited.
"""

from __future__ import annotations

import logging
import math
import time
import uuid

import redis

from customersignal.domain.errors import PayloadTooLarge
from customersignal.ports import RateDecision

log = logging.getLogger(__name__)

RATE_LIMIT_KEY_PREFIX = "cs:ratelimit:"
_EPSILON = 1e-9  # float noise in refill arithmetic must not turn 3 tokens into 2

BUCKET_SCRIPT = """
-- KEYS[1]: the bucket hash {tokens, ts}. ARGV: refill rate per second, burst (capacity), cost.
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
elseif now > ts then
  tokens = tokens + (now - ts) * rate
  ts = now
end
-- a lowered burst applies at once; a clock that stepped back refills nothing
tokens = math.min(burst, tokens)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
local left = string.format('%.6f', tokens)
redis.call('HSET', KEYS[1], 'tokens', left, 'ts', string.format('%.6f', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, left}
"""


def check_request(cost: int, rate_per_s: float, burst: int) -> None:
    """Reject what no bucket state can answer: bad configuration, or a request larger than the bucket."""
    if rate_per_s <= 0 or burst < 1:
        raise ValueError(f"invalid bucket: rate_per_s={rate_per_s}, burst={burst}")
    if cost < 0:
        raise ValueError(f"cost must be >= 0, got {cost}")
    if cost > burst:
        raise PayloadTooLarge(
            code="batch_exceeds_burst",
            message=f"this request carries {cost} events but the project's burst is {burst}, so it can never "
            f"pass the rate limit; send at most {burst} events per request, or raise the project's burst",
            field="events",
        )


def decide(*, allowed: bool, tokens: float, cost: int, rate_per_s: float, burst: int) -> RateDecision:
    """The decision and its header values, from the tokens left after the bucket's update."""
    retry_after = 0.0
    if not allowed:
        retry_after = max(1.0, float(math.ceil((cost - tokens) / rate_per_s - _EPSILON)))
    return RateDecision(
        allowed=allowed,
        limit=burst,
        remaining=max(0, math.floor(tokens + _EPSILON)),
        reset_after_s=max(0.0, float(math.ceil((burst - tokens) / rate_per_s - _EPSILON))),
        retry_after_s=retry_after,
    )


class RedisTokenBucket:
    """``RateLimiter`` over Redis: the bucket of project P lives at ``cs:ratelimit:<P>``."""

    def __init__(
        self,
        redis_client: redis.Redis,
        *,
        key_prefix: str = RATE_LIMIT_KEY_PREFIX,
        redis_retry_after_s: float = 5.0,
    ) -> None:
        # register_script: EVALSHA per call, SCRIPT LOAD only after a NOSCRIPT (first use, Redis restart)
        self._script = redis_client.register_script(BUCKET_SCRIPT)
        self._prefix = key_prefix
        self._redis_retry_after_s = redis_retry_after_s
        self._skip_redis_until = float("-inf")

    def acquire(self, project_id: uuid.UUID, cost: int, rate_per_s: float, burst: int) -> RateDecision:
        check_request(cost, rate_per_s, burst)
        if time.monotonic() < self._skip_redis_until:
            return self._fail_open(cost, burst)
        try:
            allowed, tokens = self._script(keys=[f"{self._prefix}{project_id}"], args=[rate_per_s, burst, cost])
        except redis.RedisError as error:
            self._skip_redis_until = time.monotonic() + self._redis_retry_after_s
            log.warning(
                "redis unavailable for rate limiting; allowing requests unlimited",
                extra={"error": str(error), "retry_in_s": self._redis_retry_after_s},
            )
            return self._fail_open(cost, burst)
        return decide(allowed=bool(allowed), tokens=float(tokens), cost=cost, rate_per_s=rate_per_s, burst=burst)

    @staticmethod
    def _fail_open(cost: int, burst: int) -> RateDecision:
        # Fail open: see the module docstring. The headers describe a fresh bucket.
        return RateDecision(allowed=True, limit=burst, remaining=burst - cost, reset_after_s=0.0, retry_after_s=0.0)
