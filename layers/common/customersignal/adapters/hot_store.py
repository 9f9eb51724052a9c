"""The Redis hot store: the last 48 h of minute counts, unique users (HyperLogLog) and freshness.

Layout (``{tenant}`` is a Redis Cluster hash tag, so one tenant's keys share a slot):
- ``cs:{<tenant>}:m:<event type>:<hour epoch s>``: hash, field ``<minute epoch s>`` → event count.
  One hash per hour keeps the key count low; a chart of N hours is N ``HGETALL`` in one pipeline.
- ``cs:{<tenant>}:u:<event type>:<minute epoch s>``: HyperLogLog of the bucket's user keys;
  ``PFCOUNT`` over several of them is the unique users of their union (any range, approximately).
- ``cs:freshness``: hash, field ``<tenant>`` → ``complete_up_to`` in epoch milliseconds.
- ``cs:hot:covered_from``: epoch ms from which the counts are complete (see "Coverage" below).
Keys expire 49 h after their bucket starts (the 48 h window plus an hour of slack for the hour hashes).

Coverage. Each write merges Postgres *totals*, so every minute written since Redis lost its data (a
flush, a failover, a new node) is right, and the minutes not written since are missing. The first write
into an empty Redis therefore sets ``covered_from`` (SET NX) to its own time plus an hour (events may be
up to an hour in the future, so a minute after that cannot hold anything committed before the loss).
A store whose write failed resets it the same way on its next success (the writes it missed may have
been the only ones for their minutes), and ``rebuild-hot`` lowers it to the start of the window it
rebuilt. Readers use the hot store only from ``covered_from`` on, and Postgres before it.

One ``EVALSHA`` per batch applies the whole update (perf-limits.md §2: a Lua script per pre-aggregated
batch is the fastest way to apply many counters). Keys travel in ARGV, which is fine for a single
node or a cluster-mode-disabled ElastiCache; a cluster-mode deployment would need one call per slot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis

from customersignal.domain.aggregation import BucketKey
from customersignal.domain.errors import Unavailable
from customersignal.domain.hot_window import HOT_WINDOW, HotUpdate

DEFAULT_PREFIX = "cs"
EXPIRY_SLACK = timedelta(hours=1)
PFADD_CHUNK = 1000  # Lua's unpack() has a stack limit; add users in slices
RETRY_AFTER_S = 5

MERGE_SCRIPT = """
local i = 1
local function take() local v = ARGV[i]; i = i + 1; return v end
-- counts: key, field, total, expire_at; a total only grows, so the larger one is the newer one
for _ = 1, tonumber(take()) do
  local key, field, total, expire_at = take(), take(), tonumber(take()), take()
  if total > tonumber(redis.call('HGET', key, field) or '0') then
    redis.call('HSET', key, field, total)
  end
  redis.call('EXPIREAT', key, expire_at)
end
-- users: key, expire_at, n, then n members
for _ = 1, tonumber(take()) do
  local key, expire_at, n = take(), take(), tonumber(take())
  local first = i
  i = i + n
  for s = first, first + n - 1, {chunk} do
    redis.call('PFADD', key, unpack(ARGV, s, math.min(s + {chunk} - 1, first + n - 1)))
  end
  redis.call('EXPIREAT', key, expire_at)
end
-- freshness: tenant, epoch ms; never moves back
for _ = 1, tonumber(take()) do
  local tenant, ms = take(), tonumber(take())
  if ms > tonumber(redis.call('HGET', KEYS[1], tenant) or '0') then
    redis.call('HSET', KEYS[1], tenant, ms)
  end
end
-- coverage: from an hour after now, unless already set (or forced after a failed write)
local clock = redis.call('TIME')
local covered = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) + 3600000
if take() == '1' then
  redis.call('SET', KEYS[2], covered)
else
  redis.call('SET', KEYS[2], covered, 'NX')
end
return 1
""".replace("{chunk}", str(PFADD_CHUNK))


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class HotKeys:
    """Key names under a prefix (``cs`` in production; tests use their own)."""

    prefix: str = DEFAULT_PREFIX

    @property
    def freshness(self) -> str:
        return f"{self.prefix}:freshness"

    @property
    def coverage(self) -> str:
        return f"{self.prefix}:hot:covered_from"

    def counts(self, tenant_id: str, event_type: str, bucket_start: datetime) -> str:
        hour = bucket_start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return f"{self.prefix}:{{{tenant_id}}}:m:{event_type}:{_epoch(hour)}"

    def users(self, tenant_id: str, event_type: str, bucket_start: datetime) -> str:
        return f"{self.prefix}:{{{tenant_id}}}:u:{event_type}:{_epoch(bucket_start)}"


def hours_covering(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hours whose hash holds a minute of [start, end)."""
    hours: list[datetime] = []
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _expire_at(bucket_start: datetime) -> int:
    return _epoch(bucket_start + HOT_WINDOW + EXPIRY_SLACK)


def merge_arguments(update: HotUpdate, keys: HotKeys) -> list[str | int]:
    args: list[str | int] = [len(update.totals)]
    for key, total in sorted(update.totals.items()):
        args += [keys.counts(key.tenant_id, key.event_type, key.bucket_start), _epoch(key.bucket_start), total]
        args.append(_expire_at(key.bucket_start))
    users = [(key, members) for key, members in sorted(update.users.items()) if members]
    args.append(len(users))
    for key, members in users:
        args += [keys.users(key.tenant_id, key.event_type, key.bucket_start), _expire_at(key.bucket_start)]
        args += [len(members), *sorted(members)]
    args.append(len(update.freshness))
    for tenant, moment in sorted(update.freshness.items()):
        args += [str(tenant), int(moment.timestamp() * 1000)]
    return args


class RedisHotStore:
    """``HotStore`` over Redis, plus the reads the dashboard and the tests use."""

    def __init__(self, client: redis.Redis, keys: HotKeys | None = None) -> None:
        self._redis = client
        self._keys = keys or HotKeys()
        self._merge = client.register_script(MERGE_SCRIPT)
        self._missed_a_write = False

    def apply(self, update: HotUpdate) -> None:
        args = [*merge_arguments(update, self._keys), 1 if self._missed_a_write else 0]
        try:
            self._merge(keys=[self._keys.freshness, self._keys.coverage], args=args)
            self._missed_a_write = False
        except redis.RedisError as error:
            self._missed_a_write = True
            raise Unavailable(
                code="redis_unavailable", message=f"cannot write the hot store ({error})", retry_after_s=RETRY_AFTER_S
            ) from error

    def count(self, key: BucketKey) -> int:
        raw = self._redis.hget(
            self._keys.counts(key.tenant_id, key.event_type, key.bucket_start), str(_epoch(key.bucket_start))
        )
        return int(raw) if raw is not None else 0

    def counts(self, tenant_id: str, event_type: str, start: datetime, end: datetime) -> dict[datetime, int]:
        """Minute counts in [start, end), from the hour hashes that cover it."""
        pipe = self._redis.pipeline(transaction=False)
        for hour in hours_covering(start, end):
            pipe.hgetall(self._keys.counts(tenant_id, event_type, hour))
        found: dict[datetime, int] = {}
        for fields in pipe.execute():
            for minute, total in fields.items():
                moment = datetime.fromtimestamp(int(minute), UTC)
                if start <= moment < end:
                    found[moment] = int(total)
        return found

    def covered_from(self) -> datetime | None:
        raw = self._redis.get(self._keys.coverage)
        return None if raw is None else datetime.fromtimestamp(int(raw) / 1000, UTC)

    def mark_covered_from(self, moment: datetime) -> None:
        """After a rebuild: everything from ``moment`` on is complete (never raises the mark)."""
        ms = int(moment.timestamp() * 1000)
        current = self._redis.get(self._keys.coverage)
        if current is None or int(current) > ms:
            self._redis.set(self._keys.coverage, ms)

    def unique_users(self, tenant_id: str, event_type: str, buckets: Iterable[datetime]) -> int:
        keys = [self._keys.users(tenant_id, event_type, bucket) for bucket in buckets]
        return int(self._redis.pfcount(*keys)) if keys else 0

    def freshness(self, tenant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, datetime]:
        if not tenant_ids:
            return {}
        values = self._redis.hmget(self._keys.freshness, [str(t) for t in tenant_ids])
        return {
            tenant: datetime.fromtimestamp(int(ms) / 1000, UTC)
            for tenant, ms in zip(tenant_ids, values, strict=True)
            if ms is not None
        }
