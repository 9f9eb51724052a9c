"""Whatever the aggregator decodes, Postgres stores: shapes the envelope schema alone would read but
Postgres (or the catalog, or the bucketing) would refuse become dead letters naming the field."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pg8000.exceptions import DatabaseError

from customersignal.adapters.pg_store_events import is_data_error
from customersignal.domain.deadletters import DeadLetter, DeadLetterReason
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.record_decoding import DecodedRecord, decode_record

pytestmark = pytest.mark.unit
TENANT = "0b9a8f8e-6d4f-4c1e-9a57-2f9b1d3c4e5f"


def raw_envelope(**changes: Any) -> bytes:
    """An envelope as JSON; ``changes`` replace top-level fields, ``event__x`` fields of ``event``."""
    document: dict[str, Any] = {
        "v": 1,
        "tenant_id": TENANT,
        "project_id": str(uuid.uuid4()),
        "received_at": "2026-12-07T10:00:01Z",
        "occurred_at": "2026-12-07T10:00:00+01:00",
        "is_late": False,
        "trace_id": "a" * 32,
        "event": {"event_id": str(uuid.uuid4()), "event_type": "signup", "user_id": "u1", "properties": {}},
    }
    for name, value in changes.items():
        if name.startswith("event__"):
            document["event"][name.removeprefix("event__")] = value
        else:
            document[name] = value
    # json, not orjson: it writes integers past 64 bits and lone surrogates (as escapes), as a producer may
    return json.dumps(document, separators=(",", ":")).encode()


def decode(value: bytes) -> DecodedRecord | DeadLetter:
    return decode_record(KafkaRecord("events_raw", 0, 1, 0, None, value, ()))


@pytest.mark.parametrize(
    ("changes", "mentions"),
    [
        pytest.param({"occurred_at": 1765100000}, "occurred_at: must be ISO 8601", id="unix seconds"),
        pytest.param({"occurred_at": 1765100000123}, "occurred_at: must be ISO 8601", id="unix ms"),
        pytest.param({"occurred_at": 1765100000.5}, "occurred_at: must be ISO 8601", id="fractional number"),
        pytest.param({"received_at": "1765100000"}, "received_at: must be ISO 8601", id="digits as a string"),
        pytest.param({"event__timestamp": 1765100000}, "event.timestamp: must be ISO 8601", id="number timestamp"),
        pytest.param({"event__sent_at": "1765100000"}, "event.sent_at: must be ISO 8601", id="digits sent_at"),
        pytest.param({"tenant_id": f"urn:uuid:{TENANT}"}, "tenant_id: must be a UUID", id="urn tenant"),
        pytest.param({"project_id": f"urn:uuid:{TENANT}"}, "project_id: must be a UUID", id="urn project"),
        pytest.param({"event__event_id": f"URN:UUID:{TENANT}"}, "event.event_id: must be a UUID", id="urn event"),
        pytest.param({"occurred_at": "2026-12-07T10:00:00+20:00"}, "occurred_at: UTC offset", id="occurred +20"),
        pytest.param({"received_at": "2026-12-07T10:00:00-16:00"}, "received_at: UTC offset", id="received -16"),
        pytest.param({"event__timestamp": "2026-12-07T10:00:00+14:30"}, "event.timestamp: UTC offset", id="ts"),
        pytest.param({"occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at: out of range", id="year 0 in UTC"),
        pytest.param({"received_at": "9999-12-31T23:00:00-02:00"}, "received_at: out of range", id="year 10000"),
        pytest.param({"is_late": 1.0}, "is_late: Input should be a valid boolean", id="is_late as a number"),
        pytest.param({"is_late": "yes"}, "is_late: Input should be a valid boolean", id="is_late as a word"),
        pytest.param({"event__event_type": ""}, "event.event_type: must be 1-128", id="empty type"),
        pytest.param({"event__event_type": "x" * 129}, "event.event_type: must be 1-128", id="type too long"),
        pytest.param({"event__user_id": None}, "needs a user_id or an anonymous_id", id="no identity"),
        pytest.param({"event__user_id": "u" * 256}, "event.user_id: must be at most 255", id="long user id"),
        pytest.param({"event__anonymous_id": "a" * 3000}, "event.anonymous_id: must be at most 255", id="long anon"),
    ],
)
def test_a_value_postgres_would_refuse_is_a_schema_dead_letter_naming_the_field(
    changes: dict[str, Any], mentions: str
) -> None:
    # Given an envelope the lax schema alone would read, when it is decoded
    result = decode(raw_envelope(**changes))
    # Then it is a dead letter that names the field and the rule
    assert isinstance(result, DeadLetter)
    assert result.reason is DeadLetterReason.SCHEMA_INVALID
    assert mentions in result.error


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="plain"),
        pytest.param({"event__event_id": "{" + TENANT + "}"}, id="braced uuid"),
        pytest.param({"event__event_id": TENANT.replace("-", "").upper()}, id="32 hex, upper case"),
        pytest.param({"occurred_at": "2026-12-07T10:00:00-14:00"}, id="offset at the limit"),
        pytest.param({"occurred_at": "2026-12-07 10:00:00.123456Z"}, id="space separator"),
        pytest.param({"is_late": True}, id="late"),
        pytest.param({"event__user_id": None, "event__anonymous_id": "a-1"}, id="anonymous only"),
        pytest.param({"event__user_id": "u" * 255}, id="longest user id"),
        pytest.param({"event__properties": {"p" * 256: 1e308, "": 1}}, id="names the catalog skips (counted)"),
    ],
)
def test_shapes_postgres_reads_still_decode(changes: dict[str, Any]) -> None:
    assert isinstance(decode(raw_envelope(**changes)), DecodedRecord)


@pytest.mark.parametrize(
    ("code", "is_data"),
    [
        ("22P02", True),  # invalid text representation
        ("22003", True),  # numeric value out of range (a jsonb number past numeric's range)
        ("22007", True),
        ("54000", True),  # program limit exceeded (a jsonb value too large)
        ("40001", False),  # serialization failure: retry the batch
        ("40P01", False),  # deadlock
        ("57014", False),  # statement timeout
        ("23514", False),  # a check violation may be a missing partition: not about one record
        ("08006", False),  # connection failure
    ],
)
def test_only_data_errors_set_a_record_aside(code: str, is_data: bool) -> None:
    assert is_data_error(DatabaseError({"S": "ERROR", "C": code, "M": "m"})) is is_data
