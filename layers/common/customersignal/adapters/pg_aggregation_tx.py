"""The statements of one aggregator batch transaction, over a pg8000 connection the store opened.

The events go in by COPY and are counted by one prepared statement (``pg_store_events``). The small steps
take their rows as ONE jsonb parameter (``jsonb_to_recordset``): perf-limits.md §3 measured it as the
fastest path for pg8000 (with TCP_NODELAY, which ``postgres.connect`` sets), where ``executemany`` is
one round trip per row. Rows are sorted before each upsert so concurrent batches lock shared rows in one
order.
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
from customersignal.adapters.pg_store_events import stage_and_count
from customersignal.domain.aggregation import BucketKey
from customersignal.domain.deadletters import DeadLetter
from customersignal.domain.freshness import SlotMark
from customersignal.domain.property_catalog import PropertySightings
from customersignal.domain.record_decoding import DecodedRecord
from customersignal.ports import StoredEvents, TenantStanding, TopicPartition


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class PostgresAggregationTransaction:
    def __init__(self, connection: pg8000.native.Connection, count_staged: pg8000.native.PreparedStatement) -> None:
        self._db = connection
        self._count_staged = count_staged

    def lock_offsets(self, consumer_group: str, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        if not partitions:
            return {}
        rows = _json([{"t": p.topic, "p": p.partition} for p in partitions])
        self._db.run(sql.CREATE_FENCES, group=consumer_group, partitions=rows)
        found = self._db.run(sql.LOCK_FENCES, group=consumer_group, partitions=rows)
        return {TopicPartition(topic, partition): offset for topic, partition, offset in found}

    def tenant_standing(self, tenant_ids: Collection[str]) -> dict[str, TenantStanding]:
        if not tenant_ids:
            return {}
        found = self._db.run(sql.TENANT_STANDING, ids=sorted(tenant_ids))
        return {
            tenant: TenantStanding(status, frozenset(project for project in projects if project))
            for tenant, status, projects in found
        }

    def blocked_event_types(self, pairs: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        if not pairs:
            return set()
        rows = _json([{"t": tenant, "e": name} for tenant, name in pairs])
        return {(tenant, name) for tenant, name in self._db.run(sql.BLOCKED_TYPES, pairs=rows)}

    def count_new_events(self, records: Sequence[DecodedRecord]) -> StoredEvents:
        return stage_and_count(self._db, self._count_staged, records)

    def record_properties(self, sightings: PropertySightings) -> None:
        rows = [
            {"t": tenant, "e": name, "name": prop, "types": sorted(kinds), "s": _iso(sightings.seen_at[(tenant, name)])}
            for (tenant, name), props in sorted(sightings.kinds.items())
            for prop, kinds in sorted(props.items())
        ]
        if rows:
            self._db.run(sql.UPSERT_PROPERTIES, properties=_json(rows))

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
        listed = list(keys)
        rows = _json(
            [{"i": i, "t": k.tenant_id, "e": k.event_type, "b": _iso(k.bucket_start)} for i, k in enumerate(listed)]
        )
        return {listed[i]: n for i, n in self._db.run(sql.MINUTE_TOTALS, keys=rows)}
