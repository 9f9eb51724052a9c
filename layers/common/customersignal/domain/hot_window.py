"""What the hot store (Redis) holds: the last 48 hours of minute buckets, their unique users, and each
tenant's freshness watermark. Pure: which buckets are hot, and the update one batch makes.

Every part of an update merges idempotently, so a replayed batch, an overlapping one, or a rebuild
racing the aggregator converge on the same state without any offset bookkeeping in Redis:
- counts are the *totals* Postgres holds after the batch's transaction, merged by maximum (a bucket's
  total only grows, so the larger value is the newer one);
- unique users are set members (HyperLogLog ``PFADD``): adding a user twice changes nothing;
- the freshness watermark is merged by maximum as well.
A batch whose effects were already committed (a retry after a crash between the commit and the Redis
write) therefore still refreshes Redis from Postgres: nothing is lost between the two stores.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from customersignal.domain.aggregation import BucketKey, BucketKeys, minute_bucket, user_key
from customersignal.domain.event_row import EventRow

HOT_WINDOW = timedelta(hours=48)


@dataclass
class HotUpdate:
    totals: dict[BucketKey, int] = field(default_factory=dict)
    users: dict[BucketKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    freshness: dict[uuid.UUID, datetime] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.totals or self.users or self.freshness)


def is_hot(bucket_start: datetime, now: datetime, window: timedelta = HOT_WINDOW) -> bool:
    return bucket_start >= minute_bucket(now) - window


def hot_update(
    rows: Iterable[EventRow],
    totals: Mapping[BucketKey, int],
    freshness: Mapping[uuid.UUID, datetime],
    now: datetime,
    window: timedelta = HOT_WINDOW,
) -> HotUpdate:
    """The update for a batch: ``totals`` and ``freshness`` come from Postgres, users from the rows."""
    update = HotUpdate(
        totals={key: total for key, total in totals.items() if is_hot(key.bucket_start, now, window)},
        freshness=dict(freshness),
    )
    keys, oldest = BucketKeys(), minute_bucket(now) - window
    for row in rows:
        key = keys.of(row)
        who = user_key(row.user_id, row.anonymous_id)
        if who is not None and key.bucket_start >= oldest:
            update.users[key].add(who)
    return update


def bucket_keys(rows: Iterable[EventRow], now: datetime, window: timedelta = HOT_WINDOW) -> set[BucketKey]:
    keys, oldest = BucketKeys(), minute_bucket(now) - window
    return {key for key in map(keys.of, rows) if key.bucket_start >= oldest}
