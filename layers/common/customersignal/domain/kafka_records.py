"""Kafka records out of a Lambda event-source-mapping event (MSK ``aws:kafka`` or ``SelfManagedKafka``).

Pure parsing of the documented shape (aws.md §1.1 and its traps): ``records`` is keyed by
``"<topic>-<partition>"`` (topic names may contain ``-``, so each record's own topic/partition is used);
keys and values are base64 and a null key is simply absent; timestamps are epoch milliseconds; header
values are lists of *signed* Java bytes, so ``-61`` means ``0xC3``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EVENT_SOURCES = frozenset({"aws:kafka", "SelfManagedKafka"})


class MalformedEvent(ValueError):
    """The invocation itself is not an ESM Kafka event: nothing in it can be trusted or fenced."""


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None  # None when the value is not valid base64: a poison record, never a crash
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> bytes | None:
        return next((value for key, value in self.headers if key == name), None)


def parse_event(event: Mapping[str, Any]) -> list[KafkaRecord]:
    """Every record of the invocation, partitions in the event's order, offsets ascending within each."""
    if event.get("eventSource") not in EVENT_SOURCES:
        raise MalformedEvent(f"not a Kafka event source mapping event: eventSource={event.get('eventSource')!r}")
    groups = event.get("records")
    if not isinstance(groups, Mapping):
        raise MalformedEvent("the event has no 'records' object")
    records = [_record(raw) for group in groups.values() for raw in group]
    return sorted(records, key=lambda r: (r.topic, r.partition, r.offset))


def _record(raw: Mapping[str, Any]) -> KafkaRecord:
    try:
        return KafkaRecord(
            topic=str(raw["topic"]),
            partition=int(raw["partition"]),
            offset=int(raw["offset"]),
            timestamp_ms=int(raw.get("timestamp", 0)),
            key=_b64(raw["key"]) if raw.get("key") is not None else None,
            value=_b64(raw["value"]) if raw.get("value") is not None else None,
            headers=tuple(_headers(raw.get("headers") or [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedEvent(f"a record lacks topic, partition or offset: {exc}") from exc


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _headers(entries: list[Mapping[str, list[int]]]) -> list[tuple[str, bytes]]:
    # a list of single-entry objects keeps duplicate names, as Kafka allows them
    return [(name, bytes(b & 0xFF for b in values)) for entry in entries for name, values in entry.items()]
