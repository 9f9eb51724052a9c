"""The aggregator's pure parts: record decoding, buckets, the hot window and its Redis arguments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customersignal.adapters.hot_store import HotKeys, merge_arguments
from customersignal.domain.aggregation import BucketKey, truncate
from customersignal.domain.deadletters import DeadLetter, DeadLetterReason
from customersignal.domain.hot_window import HotUpdate, hot_update, is_hot
from customersignal.domain.kafka_records import KafkaRecord
from customersignal.domain.record_decoding import DecodedRecord, decode_record, row_of
from tests.unit.domain.test_aggregation import RECEIVED, TENANT, envelope

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 27, 12, 34, tzinfo=UTC)


def record(value: bytes | None) -> KafkaRecord:
    return KafkaRecord("events_raw", 0, 1, 0, None, value, ())


@pytest.mark.parametrize(
    ("value", "reason", "mentions"),
    [
        pytest.param(None, DeadLetterReason.DECODE_ERROR, "base64", id="value was not base64"),
        pytest.param(b"\xff\xfe", DeadLetterReason.DECODE_ERROR, "Invalid JSON", id="not UTF-8"),
        pytest.param(b"{", DeadLetterReason.DECODE_ERROR, "Invalid JSON", id="truncated JSON"),
        pytest.param(b"[1]", DeadLetterReason.SCHEMA_INVALID, "object", id="JSON but not an object"),
        pytest.param(b'{"v": 2}', DeadLetterReason.SCHEMA_INVALID, "v: Input should be 1", id="future version"),
        pytest.param(b'{"v": 1, "tenant_id": "x"}', DeadLetterReason.SCHEMA_INVALID, "tenant_id", id="bad field"),
    ],
)
def test_undecodable_records_become_dead_letters_with_a_reason(
    value: bytes | None, reason: DeadLetterReason, mentions: str
) -> None:
    result = decode_record(record(value))
    assert isinstance(result, DeadLetter)
    assert result.reason is reason
    assert mentions in result.error


def test_a_valid_envelope_decodes_to_its_row() -> None:
    original = envelope(T, properties={"plan": "pro"})
    result = decode_record(record(original.kafka_value()))
    assert isinstance(result, DecodedRecord)
    assert result.row == row_of(original)
    assert (result.row.tenant_id, result.row.occurred_at, result.row.properties_json) == (
        str(TENANT),
        T,
        '{"plan":"pro"}',
    )


def test_dead_letter_error_text_is_bounded() -> None:
    assert len(DeadLetter.of(record(b""), DeadLetterReason.DECODE_ERROR, "x" * 10_000).error) == 2000


@pytest.mark.parametrize(
    ("grain", "expected"),
    [("minute", T), ("hour", T.replace(minute=0)), ("day", T.replace(hour=0, minute=0))],
)
def test_truncate_to_each_grain(grain: str, expected: datetime) -> None:
    assert truncate(T, grain) == expected


@pytest.mark.parametrize(
    ("age", "hot"),
    [(timedelta(0), True), (timedelta(hours=48), True), (timedelta(hours=48, minutes=1), False)],
)
def test_the_hot_window_is_48_hours_of_minute_buckets(age: timedelta, hot: bool) -> None:
    assert is_hot(T - age, T) is hot


def test_hot_update_keeps_only_hot_buckets_and_their_users() -> None:
    old = T - timedelta(days=3)
    events = [
        row_of(envelope(T, user_id="ann")),
        row_of(envelope(old, user_id="bob")),
        row_of(envelope(T, user_id=None, anonymous_id="a")),
    ]
    totals = {BucketKey(str(TENANT), "signup", T): 7, BucketKey(str(TENANT), "signup", old): 1}
    update = hot_update(events, totals, {TENANT: RECEIVED}, T)
    assert update.totals == {BucketKey(str(TENANT), "signup", T): 7}
    assert dict(update.users) == {BucketKey(str(TENANT), "signup", T): {"ann", "anon-a"}}
    assert update.freshness == {TENANT: RECEIVED}


def test_merge_arguments_layout() -> None:
    key = BucketKey(str(TENANT), "signup", T)
    update = HotUpdate(totals={key: 5}, freshness={TENANT: RECEIVED})
    update.users[key] |= {"b", "a"}
    args = merge_arguments(update, HotKeys("p"))
    hour, minute = int(T.replace(minute=0).timestamp()), int(T.timestamp())
    expire = minute + 49 * 3600
    assert args == [
        1, f"p:{{{TENANT}}}:m:signup:{hour}", minute, 5, expire,
        1, f"p:{{{TENANT}}}:u:signup:{minute}", expire, 2, "a", "b",
        1, str(TENANT), int(RECEIVED.timestamp() * 1000),
    ]  # fmt: skip


def test_why_the_handler_does_not_use_powertools_kafka_models() -> None:
    # Powertools' parser model rejects the whole event for one record whose value is not base64, which
    # would fail (and stall) the batch; the domain parser keeps the batch and marks just that record.
    from aws_lambda_powertools.utilities.parser.models import KafkaSelfManagedEventModel
    from pydantic import ValidationError

    from customersignal.domain.kafka_records import parse_event

    good = {"topic": "t", "partition": 0, "offset": 1, "timestamp": 1, "timestampType": "CREATE_TIME"}
    event = {
        "eventSource": "SelfManagedKafka",
        "bootstrapServers": "b:9092",
        "records": {
            "t-0": [good | {"value": "e30=", "headers": []}, good | {"offset": 2, "value": "!!notb64", "headers": []}]
        },
    }
    with pytest.raises(ValidationError):
        KafkaSelfManagedEventModel.model_validate(event)
    assert [r.value for r in parse_event(event)] == [b"{}", None]
