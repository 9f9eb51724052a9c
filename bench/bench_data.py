"""The aggregator benchmark's two data sets (issue 15), as the Kafka records a live stream would hold.

- ``worst_case``: the original generator, unchanged. 10 tenants, 4 event types and 2,000 users drawn
  uniformly, received over 2 minutes: nearly every user is new in its minute, hour and day, so every
  event adds unique-user state at all three grains.
- ``realistic``: users in sessions over a day. Tenants and event types follow a Zipf spread (a few big
  tenants and common types, a long tail); each user belongs to one tenant and has a few sessions of
  several events, so a user sends many events a day and repeats within its minute, hour and day.

Both: 5 % of the records are client retries (an earlier event id sent again, so the aggregator must
dedup them) and about 3 % of the events arrive late (up to an hour after they occurred). Records are in
received order, as Kafka holds them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from customersignal.domain.envelope import Envelope, EnvelopedEvent
from customersignal.domain.kafka_records import KafkaRecord

EVENTS, BATCH = 30_000, 1_000
TYPES = ("checkout_completed", "page_viewed", "signup", "item_added")
# the realistic set's types, most common first (their Zipf rank)
REALISTIC_TYPES = (
    "page_viewed", "item_viewed", "search_performed", "item_added", "cart_viewed", "checkout_started",
    "checkout_completed", "signup", "login", "coupon_applied", "review_posted", "support_contacted",
)  # fmt: skip
DUPLICATE_SHARE, LATE_SHARE = 0.05, 0.03
# The busy hours of a day. Spread over all 24 h, 30,000 events would be a stream of 0.35 events/s: each
# 1,000-event batch would span 48 minutes and touch a minute bucket per event, which measures sparsity, not
# a write path meant for thousands of events/s. Two hours keep a batch within minutes while a user still
# has several sessions (and repeats in its minute, hour and day).
REALISTIC_SPAN = timedelta(hours=2)
SESSIONS_PER_USER = (1, 5)  # per day, inclusive
EVENTS_PER_SESSION = (4, 20)
SECONDS_BETWEEN_EVENTS = (2.0, 30.0)
ZIPF_S = 1.1
RECENT_RETRIES = 50  # a retry repeats one of the last this many events (minutes): clients retry soon

Tenant = tuple[uuid.UUID, uuid.UUID]  # (tenant id, project id)


Batch = list[KafkaRecord]


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    records: list[KafkaRecord]  # in received order, partition 0
    unique_events: int  # distinct (tenant, event id): what the aggregator must count, exactly

    def batches(self, size: int = BATCH) -> list[Batch]:
        return [self.records[i : i + size] for i in range(0, len(self.records), size)]

    def by_partition(self, partitions: int, size: int = BATCH) -> list[list[Batch]]:
        """The same records as Kafka would hold them in ``partitions`` partitions keyed by tenant, batched."""
        streams: list[list[KafkaRecord]] = [[] for _ in range(partitions)]
        for record in self.records:
            p = int(uuid.UUID((record.key or b"").decode())) % partitions
            streams[p].append(
                KafkaRecord("events_raw", p, len(streams[p]), 0, record.key, record.value, record.headers)
            )
        return [[s[i : i + size] for i in range(0, len(s), size)] for s in streams]


def zipf_weights(n: int, s: float = ZIPF_S) -> list[float]:
    """Weights of ranks 1..n under Zipf's law with exponent ``s``, summing to 1."""
    raw = [1 / rank**s for rank in range(1, n + 1)]
    total = sum(raw)
    return [w / total for w in raw]


def _properties(rng: random.Random) -> dict[str, object]:
    return {
        "order_id": uuid.uuid4().hex[:12], "amount": round(rng.uniform(1, 500), 2), "currency": "EUR",
        "item_count": rng.randrange(1, 9), "coupon_used": rng.random() < 0.2,
        "payment_method": rng.choice(["card", "paypal"]), "shipping_country": "DE", "referrer": None,
    }  # fmt: skip


def _envelope(
    tenant: Tenant, event_type: str, user: str, at: datetime, received: datetime, props: dict[str, object]
) -> Envelope:
    return Envelope(
        tenant_id=tenant[0],
        project_id=tenant[1],
        received_at=received,
        occurred_at=at,
        trace_id=uuid.uuid4().hex,
        event=EnvelopedEvent(
            event_id=uuid.uuid4(), event_type=event_type, user_id=user, timestamp=at, properties=props
        ),
    )


def worst_case_envelopes(tenants: Sequence[Tenant], now: datetime, events: int = EVENTS) -> list[Envelope]:
    """The original generator: uniform tenants, types and 2,000 users over the 2 minutes before ``now``,
    each event 0-5 s before it was received, 3 % up to an hour; 5 % retries of any earlier event."""
    rng = random.Random(7)
    envelopes: list[Envelope] = []
    start = now - timedelta(minutes=2)
    for n in range(events):
        tenant = rng.choice(tenants)
        received = start + timedelta(seconds=120 * n / events)
        late = rng.random() < LATE_SHARE
        at = received - timedelta(seconds=rng.uniform(0, 3600) if late else rng.uniform(0, 5))
        if envelopes and rng.random() < DUPLICATE_SHARE:
            envelopes.append(rng.choice(envelopes))  # a client retry: same event id
            continue
        event_type = rng.choice(TYPES)  # drawn in the original's order, so the events are the same
        user = f"usr_{rng.randrange(2000):010d}"
        envelopes.append(_envelope(tenant, event_type, user, at, received, _properties(rng)))
    return envelopes


def realistic_envelopes(
    tenants: Sequence[Tenant], now: datetime, events: int = EVENTS, seed: int = 15, span: timedelta = REALISTIC_SPAN
) -> list[Envelope]:
    """Sessions of users in the ``span`` before ``now``; Zipf over tenants and types; retries and late events.
    A late event is received in its session's stream position but occurred up to an hour before (a client
    that buffered it), so the stream keeps its pace and nothing is received after ``now``."""
    rng = random.Random(seed)
    mean_per_user = (sum(SESSIONS_PER_USER) / 2) * (sum(EVENTS_PER_SESSION) / 2)
    users = _users(rng, tenants, int(events / (1 - DUPLICATE_SHARE) / mean_per_user * 1.5) + 1)
    type_weights = zipf_weights(len(REALISTIC_TYPES))
    start, unique = now - span, round(events * (1 - DUPLICATE_SHARE))
    longest_session_s = EVENTS_PER_SESSION[1] * SECONDS_BETWEEN_EVENTS[1]
    span_s = max(span.total_seconds() - longest_session_s - 5, 1.0)
    occurred: list[tuple[datetime, datetime, Tenant, str]] = []  # (received, at, tenant, user)
    for tenant, user in users:
        for _ in range(rng.randint(*SESSIONS_PER_USER)):
            moment = start + timedelta(seconds=rng.uniform(0, span_s))
            for _ in range(rng.randint(*EVENTS_PER_SESSION)):
                late = rng.random() < LATE_SHARE
                received = moment + timedelta(seconds=rng.uniform(0, 5))
                at = moment - timedelta(seconds=rng.uniform(0, 3600)) if late else moment
                occurred.append((received, at, tenant, user))
                moment += timedelta(seconds=rng.uniform(*SECONDS_BETWEEN_EVENTS))
            if len(occurred) >= unique:
                break
        if len(occurred) >= unique:
            break
    occurred.sort(key=lambda item: item[0])
    envelopes: list[Envelope] = []
    for received, at, tenant, user in occurred[:unique]:
        event_type = rng.choices(REALISTIC_TYPES, type_weights)[0]
        envelopes.append(_envelope(tenant, event_type, user, at, received, _properties(rng)))
    return _with_retries(rng, envelopes, events)


def _users(rng: random.Random, tenants: Sequence[Tenant], count: int) -> list[tuple[Tenant, str]]:
    """``count`` users spread over ``tenants`` by Zipf rank (the first tenant is the biggest), shuffled."""
    users = [
        (tenant, f"usr_{t}_{n:06d}")
        for t, (tenant, weight) in enumerate(zip(tenants, zipf_weights(len(tenants)), strict=True))
        for n in range(max(1, round(count * weight)))
    ]
    rng.shuffle(users)
    return users


def _with_retries(rng: random.Random, envelopes: list[Envelope], total: int) -> list[Envelope]:
    """``envelopes`` in order with ``total - len(envelopes)`` retries of recent ones spread among them at
    random; a retry is received again later (a new ``received_at``), with the same event id."""
    out: list[Envelope] = []
    originals = iter(envelopes)
    left = len(envelopes)
    while len(out) < total:
        retries_left = total - len(out) - left
        if out and rng.random() * (retries_left + left) < retries_left:
            again = rng.choice(out[-RECENT_RETRIES:])
            out.append(again.model_copy(update={"received_at": max(again.received_at, out[-1].received_at)}))
        else:
            out.append(next(originals))
            left -= 1
    return out


def as_dataset(name: str, description: str, envelopes: Sequence[Envelope]) -> Dataset:
    records = [
        KafkaRecord("events_raw", 0, offset, 0, e.kafka_key(), e.kafka_value(), (("cs-schema", b"1"),))
        for offset, e in enumerate(envelopes)
    ]
    unique = len({(e.tenant_id, e.event.event_id) for e in envelopes})
    return Dataset(name, description, records, unique)


def datasets(tenants: Sequence[Tenant], now: datetime | None = None, span: timedelta = REALISTIC_SPAN) -> list[Dataset]:
    moment = now or datetime.now(UTC)
    return [
        as_dataset(
            "worst case",
            "uniform tenants, 4 types, 2,000 users over 2 minutes: nearly every user new in its minute, hour, day",
            worst_case_envelopes(tenants, moment),
        ),
        as_dataset(
            "realistic",
            f"users in sessions ({SESSIONS_PER_USER[0]}-{SESSIONS_PER_USER[1]} a day of {EVENTS_PER_SESSION[0]}-"
            f"{EVENTS_PER_SESSION[1]} events) in the day's busy {span.total_seconds() / 3600:g} h; Zipf (s = {ZIPF_S})"
            f" over tenants and {len(REALISTIC_TYPES)} types",
            realistic_envelopes(tenants, moment, span=span),
        ),
    ]
