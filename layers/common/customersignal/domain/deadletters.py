"""Why a Kafka record cannot be counted, as the machine-readable codes dead letters carry.

A dead-lettered record is set aside, never dropped: it goes to the ``events_dlq`` topic and the
``dead_letters`` table with its reason, and the rest of its batch proceeds, so one bad record never
stalls a partition. Codes are snake_case and stable: operators filter and replay by them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from customersignal.domain.kafka_records import KafkaRecord

ERROR_TEXT_LIMIT = 2000


class DeadLetterReason(StrEnum):
    DECODE_ERROR = "decode_error"  # not base64, not UTF-8, or not JSON
    SCHEMA_INVALID = "schema_invalid"  # JSON, but not a valid envelope of a version we read
    UNKNOWN_TENANT = "unknown_tenant"
    UNKNOWN_PROJECT = "unknown_project"  # the tenant exists, the project is not one of its projects
    BLOCKED_TENANT = "blocked_tenant"  # suspended or deleted
    BLOCKED_EVENT_TYPE = "blocked_event_type"  # the catalog marks the type blocked
    STORE_REFUSED = "store_refused"  # a valid envelope whose values Postgres refused; the error is its message


@dataclass(frozen=True)
class DeadLetter:
    record: KafkaRecord
    reason: DeadLetterReason
    error: str
    tenant_id: uuid.UUID | None = None
    """Set only when the tenant is known to exist, so the dashboard can show the letter to that tenant."""

    @staticmethod
    def of(record: KafkaRecord, reason: DeadLetterReason, error: str, tenant_id: uuid.UUID | None = None) -> DeadLetter:
        return DeadLetter(record, reason, error[:ERROR_TEXT_LIMIT], tenant_id)
