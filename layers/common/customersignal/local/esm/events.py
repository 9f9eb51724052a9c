"""Build the exact invocation event a Lambda Kafka event-source mapping sends (aws.md §1.1).

- ``eventSource`` is ``aws:kafka`` for MSK (with ``eventSourceArn``) and ``SelfManagedKafka`` for any
  other Kafka (no ``eventSourceArn``); ``bootstrapServers`` is one comma-separated string.
- ``records`` is keyed ``"<topic>-<partition>"``; within a key, records are in offset order.
- ``key`` and ``value`` are base64; a null key is left out, a null value is ``null``.
- ``timestamp`` is epoch milliseconds; ``headers`` is a list of single-entry objects whose values are
  lists of *signed* Java bytes (-128..127), keeping repeated header names.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

MSK_SOURCE = "aws:kafka"
SELF_MANAGED_SOURCE = "SelfManagedKafka"
TIMESTAMP_TYPES = {0: "NO_TIMESTAMP_TYPE", 1: "CREATE_TIME", 2: "LOG_APPEND_TIME"}

SourceKind = Literal["msk", "self-managed"]


@dataclass(frozen=True)
class RecordData:
    """One consumed Kafka record, independent of the client library that read it."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    value: bytes | None
    key: bytes | None = None
    headers: Sequence[tuple[str, bytes]] = field(default_factory=tuple)
    timestamp_type: str = "CREATE_TIME"


def signed_bytes(data: bytes) -> list[int]:
    return [b - 256 if b > 127 else b for b in data]


def record_json(record: RecordData) -> dict[str, Any]:
    out: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp_ms,
        "timestampType": record.timestamp_type,
    }
    if record.key is not None:
        out["key"] = base64.b64encode(record.key).decode("ascii")
    out["value"] = None if record.value is None else base64.b64encode(record.value).decode("ascii")
    out["headers"] = [{name: signed_bytes(value)} for name, value in record.headers]
    return out


def kafka_event(
    records: Iterable[RecordData],
    *,
    source: SourceKind,
    bootstrap_servers: str,
    event_source_arn: str | None = None,
) -> dict[str, Any]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        grouped.setdefault(f"{record.topic}-{record.partition}", []).append(record_json(record))
    event: dict[str, Any] = {"eventSource": MSK_SOURCE if source == "msk" else SELF_MANAGED_SOURCE}
    if source == "msk":
        if not event_source_arn:
            raise ValueError("an MSK event needs the cluster ARN (eventSourceArn)")
        event["eventSourceArn"] = event_source_arn
    event["bootstrapServers"] = bootstrap_servers
    event["records"] = grouped
    return event


def payload_size(event: dict[str, Any]) -> int:
    """Bytes of the invocation payload as Lambda measures it (the JSON document), for the 6 MB cap."""
    return len(json.dumps(event, separators=(",", ":")).encode())
