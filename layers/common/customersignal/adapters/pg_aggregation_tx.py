"""The statements of one aggregator batch transaction, over a pg8000 connection the store opened.

Each statement takes its rows as ONE jsonb parameter (``jsonb_to_recordset``/``jsonb_array_elements``):
perf-limits.md §3 measured it as the fastest dedup-capable path for pg8000 (with TCP_NODELAY, which
``postgres.connect`` sets), where ``executemany`` is one round trip per row. Raw events travel as the
envelope bytes the producer wrote, so the client does no per-field conversion; Postgres parses them
(``pg_store_events``: a record it refuses is set aside, not retried).
Rows are sorted before each upsert so concurrent batches lock shared rows in one order.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
import pg8000.native

from customersignal.adapters import pg_aggregation_sql as sql
from customersignal.adapters import pg_freshness
from customersignal.adapters.pg_store_events import store_events
from customersignal.domain.aggregation import GRAINS, BatchAggregate, BucketKey, rollup
from customersignal.domain.deadletters import DeadLetter
from customersignal.domain.freshness import SlotMark
from customersignal.domain.record_decoding import DecodedRecord
from customersignal.ports import StoredEvents, TenantStanding, TopicPartition

MemberKey = tuple[str, str, str, datetime, str]  # grain, tenant, event type, bucket, user key


class KnownMembers:
    """Unique-user membership rows this container committed, so later batches need not send them again.

    Membership rows are only ever inserted (a purge removes whole buckets once they are final), so a row
    remembered here exists, and leaving it out of an insert changes nothing: it would have conflicted.
    Users repeat across the minutes of an hour and the hours of a day, so most hour and day rows of a
    busy tenant are skipped. Bounded: past ``max_entries`` it forgets everything (costing conflicts only).
    """

    def __init__(self, max_entries: int = 300_000) -> None:
        self._known: set[MemberKey] = set()
        self._max = max_entries

    def __contains__(self, key: MemberKey) -> bool:
        return key in self._known

    def remember(self, keys: Collection[MemberKey]) -> None:
        if len(self._known) + len(keys) > self._max:
            self._known.clear()
        self._known.update(keys)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class PostgresAggregationTransaction:
    def __init__(self, connection: pg8000.native.Connection, known: KnownMembers) -> None:
        self._db = connection
        self._known = known
        self.sent_members: list[MemberKey] = []  # remembered by the store once the transaction commits

    def lock_offsets(self, consumer_group: str, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        if not partitions:
            return {}
        rows = _json([{"t": p.topic, "p": p.partition} for p in partitions])
        self._db.run(sql.CREATE_FENCES, group=consumer_group, partitions=rows)
        found = self._db.run(sql.LOCK_FENCES, group=consumer_group, partitions=rows)
        return {TopicPartition(topic, partition): offset for topic, partition, offset in found}

    def tenant_standing(self, tenant_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, TenantStanding]:
        if not tenant_ids:
            return {}
        found = self._db.run(sql.TENANT_STANDING, ids=[str(t) for t in tenant_ids])
        return {
            uuid.UUID(tenant): TenantStanding(status, frozenset(uuid.UUID(p) for p in projects if p))
            for tenant, status, projects in found
        }

    def blocked_event_types(self, pairs: Collection[tuple[uuid.UUID, str]]) -> set[tuple[uuid.UUID, str]]:
        if not pairs:
            return set()
        rows = _json([{"t": str(tenant), "e": name} for tenant, name in pairs])
        return {(uuid.UUID(tenant), name) for tenant, name in self._db.run(sql.BLOCKED_TYPES, pairs=rows)}

    def store_new_events(self, records: Sequence[DecodedRecord]) -> StoredEvents:
        return store_events(self._db, records)

    def add_metrics(self, aggregate: BatchAggregate) -> None:
        if not aggregate.counts:
            return
        params: dict[str, str] = {}
        for grain in GRAINS:
            counts, users = rollup(aggregate, grain)
            params[f"{grain}_counts"] = _json(
                [
                    {"t": k.tenant_id, "e": k.event_type, "b": _iso(k.bucket_start), "n": n}
                    for k, n in sorted(counts.items())
                ]
            )
            rows = []
            for k, members in sorted(users.items()):
                for u in sorted(members):
                    member = (grain, k.tenant_id, k.event_type, k.bucket_start, u)
                    if member not in self._known:
                        self.sent_members.append(member)
                        rows.append({"t": k.tenant_id, "e": k.event_type, "b": _iso(k.bucket_start), "u": u})
            params[f"{grain}_users"] = _json(rows)
        self._db.run(sql.ADD_METRICS, **params)

    def update_catalog(self, aggregate: BatchAggregate) -> None:
        if not aggregate.first_seen:
            return
        types = [
            {
                "t": tenant,
                "p": aggregate.project_of.get((tenant, name)),
                "e": name,
                "f": _iso(first),
                "l": _iso(aggregate.last_seen[(tenant, name)]),
                "fe": _iso(aggregate.first_event[(tenant, name)]),
                "le": _iso(aggregate.last_event[(tenant, name)]),
                "n": sum(n for k, n in aggregate.counts.items() if (k.tenant_id, k.event_type) == (tenant, name)),
            }
            for (tenant, name), first in sorted(aggregate.first_seen.items())
        ]
        self._db.run(sql.UPSERT_TYPES, catalog=_json(types))
        properties = [
            {
                "t": tenant,
                "e": name,
                "name": prop,
                "types": sorted(kinds),
                "s": _iso(aggregate.last_seen[(tenant, name)]),
            }
            for (tenant, name), props in sorted(aggregate.properties.items())
            for prop, kinds in sorted(props.items())
        ]
        if properties:
            self._db.run(sql.UPSERT_PROPERTIES, properties=_json(properties))

    def record_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        rows = [
            {
                "tenant": None if d.tenant_id is None else str(d.tenant_id),
                "reason": d.reason.value,
                "error": d.error,
                "topic": d.record.topic,
                "p": d.record.partition,
                "o": d.record.offset,
                "key": None if d.record.key is None else base64.b64encode(d.record.key).decode(),
                "value": None if d.record.value is None else base64.b64encode(d.record.value).decode(),
                "headers": [{"key": k, "value": base64.b64encode(v).decode()} for k, v in d.record.headers],
            }
            for d in letters
        ]
        self._db.run(sql.RECORD_DEAD_LETTERS, letters=_json(rows))

    def advance_freshness(self, marks: Mapping[tuple[uuid.UUID, int], SlotMark]) -> dict[uuid.UUID, datetime]:
        return pg_freshness.advance_freshness(self._db, marks)

    def advance_offsets(self, consumer_group: str, next_offsets: Mapping[TopicPartition, int]) -> None:
        if next_offsets:
            rows = _json([{"t": tp.topic, "p": tp.partition, "n": n} for tp, n in sorted(next_offsets.items())])
            self._db.run(sql.ADVANCE_FENCES, group=consumer_group, offsets=rows)

    def minute_totals(self, keys: Collection[BucketKey]) -> dict[BucketKey, int]:
        if not keys:
            return {}
        rows = _json([{"t": k.tenant_id, "e": k.event_type, "b": _iso(k.bucket_start)} for k in keys])
        return {BucketKey(t, e, b): n for t, e, b, n in self._db.run(sql.MINUTE_TOTALS, keys=rows)}
