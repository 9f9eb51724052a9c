"""API-key resolution for the hot path: in-process LRU -> Redis -> the key store (Postgres).

Layers and their lifetimes (defaults):

* **In-process** (per Lambda container): up to ``max_entries`` known keys for ``local_ttl_s`` = 30 s,
  LRU-evicted, plus a separate, smaller LRU of unknown hashes for ``negative_ttl_s`` = 10 s. A warm
  container answers a repeated key with no I/O at all.
* **Redis** (shared by every container): ``cs:apikey:<sha256 hex>`` -> JSON, with a TTL of
  ``redis_ttl_s`` = 30 s for known keys (revoked ones included) and ``negative_ttl_s`` for unknown ones.
  A cold container costs one GET (about 0.14 ms on loopback), not a Postgres query.
* **The source**: one indexed Postgres lookup per key per ``redis_ttl_s`` for the whole fleet.

Revocation bound. Every Redis value carries ``exp``, the moment its Postgres read stops being trusted
(read time + ``redis_ttl_s``), and a local copy taken from Redis never outlives it. So no layer serves a
record more than ``max(local_ttl_s, redis_ttl_s)`` = 30 s after it was read from Postgres, whatever the
interleaving (even a container that read just before the revocation and wrote to Redis just after the
``invalidate``). ``invalidate`` deletes the Redis entry (and this process's copy), so usually only the
other containers' local copies remain, for at most ``local_ttl_s``. The constructor refuses TTLs that
would break the 60 s promise.

Degradation. Redis errors never fail a request: the lookup goes to the source, and Redis is skipped for
``redis_retry_after_s`` so a dead Redis costs one failed call per few seconds, not one per request (and
one warning per outage, not per request). If the source fails too, the lookup raises
``Unavailable(code="key_store_unavailable", retry_after_s=5)``: the API answers 503, never 401.

A flood of *repeated* bad keys is absorbed by the negative entries. A flood of *distinct* random keys
misses every cache by construction; each costs one unique-index probe in Postgres, and that is for the
edge's throttling (API Gateway, WAF) to bound. Negative entries live in their own LRU so such a flood
cannot evict the real keys.

``last_used_at`` is written at most once per key per ``touch_interval_s`` (60 s) for the whole fleet:
an in-process timestamp skips the check for the rest of the minute, then a Redis ``SET NX PX`` elects
one container per minute to issue the UPDATE (whose own WHERE clause keeps it coarse even without
Redis). That costs one Redis call per key per minute per container, and one UPDATE per key per minute
overall, on the request that happens to cross the minute: a background thread would be frozen
between Lambda invocations, so this is as far off the hot path as a Lambda can put it.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import redis

from customersignal.domain.auth import ApiKeyRecord, Scope
from customersignal.domain.errors import Unavailable
from customersignal.ports import Clock, KeyLookup

log = logging.getLogger(__name__)

REDIS_KEY_PREFIX = "cs:apikey:"
MAX_REVOCATION_DELAY_S = 60.0
SOURCE_RETRY_AFTER_S = 5
_FORMAT_VERSION = 1


class SystemClock:
    """Wall-clock time in UTC (the ``Clock`` port)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class KeyUsageRecorder(Protocol):
    def touch_last_used(self, key_id: uuid.UUID) -> None: ...


@dataclass(frozen=True, slots=True)
class _Entry:
    record: ApiKeyRecord | None
    expires_at: float


def cache_key(key_hash: bytes, prefix: str = REDIS_KEY_PREFIX) -> str:
    """The Redis key for a key hash (the hash, never the key: a Redis dump reveals nothing usable)."""
    return prefix + key_hash.hex()


def invalidate_cached_key(client: redis.Redis, key_hash: bytes, *, prefix: str = REDIS_KEY_PREFIX) -> None:
    """Drop a key's shared cache entry (after a revocation). Raises ``redis.RedisError`` if Redis is down."""
    client.delete(cache_key(key_hash, prefix))


def encode_record(record: ApiKeyRecord | None, expires_at: float) -> str:
    body: dict[str, Any] | None = None
    if record is not None:
        body = {
            "key_id": str(record.key_id),
            "tenant_id": str(record.tenant_id),
            "project_id": str(record.project_id),
            "scopes": sorted(s.value for s in record.scopes),
            "revoked_at": None if record.revoked_at is None else record.revoked_at.isoformat(),
            "rate_limit_per_s": record.rate_limit_per_s,
            "rate_limit_burst": record.rate_limit_burst,
            "kafka_spread": record.kafka_spread,
        }
    return json.dumps({"v": _FORMAT_VERSION, "exp": expires_at, "record": body}, separators=(",", ":"))


def decode_record(raw: bytes | str) -> tuple[ApiKeyRecord | None, float]:
    """(record or None for an unknown key, expiry); raises ValueError/KeyError/TypeError on a bad value."""
    value = json.loads(raw)
    if value["v"] != _FORMAT_VERSION:
        raise ValueError(f"unknown key cache format {value['v']!r}")
    body = value["record"]
    if body is None:
        return None, float(value["exp"])
    record = ApiKeyRecord(
        key_id=uuid.UUID(body["key_id"]),
        tenant_id=uuid.UUID(body["tenant_id"]),
        project_id=uuid.UUID(body["project_id"]),
        scopes=frozenset(Scope(s) for s in body["scopes"]),
        revoked_at=None if body["revoked_at"] is None else datetime.fromisoformat(body["revoked_at"]),
        rate_limit_per_s=float(body["rate_limit_per_s"]),
        rate_limit_burst=int(body["rate_limit_burst"]),
        # absent from entries that containers of the previous release wrote: they knew only spread 1
        kafka_spread=int(body.get("kafka_spread", 1)),
    )
    return record, float(value["exp"])


class _Lru:
    """A bounded map of hash -> entry, least recently used evicted first. Guarded by the caller's lock."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._max_entries = max_entries

    def get(self, key_hash: bytes, now: float) -> _Entry | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if entry.expires_at <= now:
            del self._entries[key_hash]
            return None
        self._entries.move_to_end(key_hash)
        return entry

    def put(self, key_hash: bytes, entry: _Entry) -> None:
        self._entries[key_hash] = entry
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def pop(self, key_hash: bytes) -> None:
        self._entries.pop(key_hash, None)


class CachedKeyLookup:
    """``KeyLookup`` that answers from memory or Redis, and asks ``source`` only on a miss."""

    def __init__(
        self,
        source: KeyLookup,
        redis_client: redis.Redis,
        *,
        clock: Clock,
        local_ttl_s: float = 30.0,
        redis_ttl_s: float = 30.0,
        negative_ttl_s: float = 10.0,
        max_entries: int = 10_000,
        max_negative_entries: int = 1_000,
        usage: KeyUsageRecorder | None = None,
        touch_interval_s: float = 60.0,
        redis_retry_after_s: float = 5.0,
        key_prefix: str = REDIS_KEY_PREFIX,
    ) -> None:
        if min(local_ttl_s, redis_ttl_s, negative_ttl_s) <= 0:
            raise ValueError("cache TTLs must be positive")
        if max(local_ttl_s, redis_ttl_s) > MAX_REVOCATION_DELAY_S:
            raise ValueError(
                f"local_ttl_s and redis_ttl_s must be at most {MAX_REVOCATION_DELAY_S:g} s, "
                "so that a revoked key stops working within a minute"
            )
        self._source = source
        self._redis = redis_client
        self._clock = clock
        self._local_ttl_s = local_ttl_s
        self._redis_ttl_s = redis_ttl_s
        self._negative_ttl_s = negative_ttl_s
        self._usage = usage
        self._touch_interval_s = touch_interval_s
        self._redis_retry_after_s = redis_retry_after_s
        self._prefix = key_prefix
        self._lock = threading.Lock()
        self._known = _Lru(max_entries)
        self._unknown = _Lru(max_negative_entries)
        self._touched: dict[uuid.UUID, float] = {}
        self._max_touched = max_entries
        self._skip_redis_until = float("-inf")

    def find_by_hash(self, key_hash: bytes) -> ApiKeyRecord | None:
        now = self._clock.now().timestamp()
        entry = self._local_get(key_hash, now)
        if entry is None:
            entry = self._from_redis(key_hash, now) or self._from_source(key_hash, now)
            self._local_put(key_hash, entry)
        record = entry.record
        if record is not None and record.revoked_at is None and self._usage is not None:
            self._maybe_touch(self._usage, record.key_id, now)
        return record

    def invalidate(self, key_hash: bytes) -> bool:
        """Forget a key here and in Redis (call after revoking it). False if Redis could not be reached."""
        with self._lock:
            self._known.pop(key_hash)
            self._unknown.pop(key_hash)
        try:
            invalidate_cached_key(self._redis, key_hash, prefix=self._prefix)
        except redis.RedisError as error:
            log.warning("could not invalidate the shared key cache entry", extra={"error": str(error)})
            return False
        return True

    # -- the layers ---------------------------------------------------------------------------------

    def _local_get(self, key_hash: bytes, now: float) -> _Entry | None:
        with self._lock:
            return self._known.get(key_hash, now) or self._unknown.get(key_hash, now)

    def _local_put(self, key_hash: bytes, entry: _Entry) -> None:
        with self._lock:
            (self._known if entry.record is not None else self._unknown).put(key_hash, entry)

    def _from_redis(self, key_hash: bytes, now: float) -> _Entry | None:
        if now < self._skip_redis_until:
            return None
        try:
            raw = self._redis.get(cache_key(key_hash, self._prefix))
        except redis.RedisError as error:
            self._redis_failed(now, error)
            return None
        if raw is None:
            return None
        try:
            record, trusted_until = decode_record(raw)
        except (ValueError, KeyError, TypeError) as error:
            log.warning("ignoring an unreadable key cache entry", extra={"error": str(error)})
            return None
        ttl = self._local_ttl_s if record is not None else self._negative_ttl_s
        expires_at = min(now + ttl, trusted_until)
        return _Entry(record, expires_at) if expires_at > now else None

    def _from_source(self, key_hash: bytes, now: float) -> _Entry:
        try:
            record = self._source.find_by_hash(key_hash)
        except Unavailable as error:
            raise Unavailable(
                code="key_store_unavailable",
                message="API keys cannot be checked right now; retry after a few seconds",
                retry_after_s=SOURCE_RETRY_AFTER_S,
            ) from error
        shared_ttl = self._redis_ttl_s if record is not None else self._negative_ttl_s
        self._redis_put(key_hash, encode_record(record, now + shared_ttl), shared_ttl, now)
        local_ttl = self._local_ttl_s if record is not None else self._negative_ttl_s
        return _Entry(record, now + local_ttl)

    def _redis_put(self, key_hash: bytes, value: str, ttl_s: float, now: float) -> None:
        if now < self._skip_redis_until:
            return
        try:
            self._redis.set(cache_key(key_hash, self._prefix), value, px=max(1, int(ttl_s * 1000)))
        except redis.RedisError as error:
            self._redis_failed(now, error)

    def _redis_failed(self, now: float, error: redis.RedisError) -> None:
        # One warning per outage window; in between, requests skip Redis instead of waiting on it.
        self._skip_redis_until = now + self._redis_retry_after_s
        log.warning(
            "redis unavailable for the key cache; using the key store directly",
            extra={"error": str(error), "retry_in_s": self._redis_retry_after_s},
        )

    # -- last_used_at ---------------------------------------------------------------------------------

    def _maybe_touch(self, usage: KeyUsageRecorder, key_id: uuid.UUID, now: float) -> None:
        last = self._touched.get(key_id)
        if last is not None and now - last < self._touch_interval_s:
            return
        if len(self._touched) >= self._max_touched:
            self._touched.clear()  # forgetting only costs one extra SET NX per key
        self._touched[key_id] = now
        if not self._elected_to_touch(key_id, now):
            return
        try:
            usage.touch_last_used(key_id)
        except Unavailable as error:
            log.warning("could not record last_used_at", extra={"key_id": str(key_id), "error": str(error)})

    def _elected_to_touch(self, key_id: uuid.UUID, now: float) -> bool:
        """True for the one container per interval that should write (True as well when Redis is down)."""
        if now < self._skip_redis_until:
            return True
        try:
            won = self._redis.set(
                f"{self._prefix}used:{key_id}", b"1", nx=True, px=max(1, int(self._touch_interval_s * 1000))
            )
        except redis.RedisError as error:
            self._redis_failed(now, error)
            return True
        return bool(won)
