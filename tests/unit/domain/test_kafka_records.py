"""Parsing event-source-mapping events, pinned to the documented shape and its traps (aws.md §1.1)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from customersignal.domain.kafka_records import MalformedEvent, parse_event

pytestmark = pytest.mark.unit


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def record(topic: str, partition: int, offset: int, **extra: Any) -> dict[str, Any]:
    return {
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "timestamp": 1_795_770_000_000,
        "timestampType": "CREATE_TIME",
        "key": b64(b"tenant-1"),
        "value": b64(b'{"v": 1}'),
        "headers": [],
    } | extra


def msk_event(records: dict[str, list[dict[str, Any]]], source: str = "aws:kafka") -> dict[str, Any]:
    event: dict[str, Any] = {"eventSource": source, "bootstrapServers": "b-1:9098,b-2:9098", "records": records}
    if source == "aws:kafka":
        event["eventSourceArn"] = "arn:aws:kafka:us-east-1:123456789012:cluster/cs/abc"
    return event


def test_msk_records_are_decoded_in_partition_and_offset_order() -> None:
    # Given two partitions, listed out of order
    event = msk_event({"events_raw-1": [record("events_raw", 1, 7)], "events_raw-0": [record("events_raw", 0, 3)]})
    records = parse_event(event)
    # Then they come sorted, with keys and values decoded
    assert [(r.partition, r.offset) for r in records] == [(0, 3), (1, 7)]
    assert records[0].key == b"tenant-1"
    assert records[0].value == b'{"v": 1}'
    assert records[0].timestamp_ms == 1_795_770_000_000


def test_self_managed_events_have_no_aws_prefix_and_no_arn() -> None:
    assert len(parse_event(msk_event({"t-0": [record("t", 0, 1)]}, source="SelfManagedKafka"))) == 1
    with pytest.raises(MalformedEvent):
        parse_event(msk_event({"t-0": [record("t", 0, 1)]}, source="aws:SelfManagedKafka"))


def test_topic_names_with_dashes_use_the_records_own_topic() -> None:
    records = parse_event(msk_event({"events-raw-v2-11": [record("events-raw-v2", 11, 5)]}))
    assert (records[0].topic, records[0].partition) == ("events-raw-v2", 11)


def test_a_missing_key_is_none_not_an_error() -> None:
    raw = record("t", 0, 1)
    del raw["key"]
    assert parse_event(msk_event({"t-0": [raw]}))[0].key is None


def test_signed_header_bytes_become_the_right_unsigned_bytes() -> None:
    # "ë" is 0xC3 0xAB, which Java sends as [-61, -85]
    raw = record("t", 0, 1, headers=[{"traceparent": [48, 48]}, {"name": [-61, -85]}, {"name": [97]}])
    parsed = parse_event(msk_event({"t-0": [raw]}))[0]
    assert parsed.headers == (("traceparent", b"00"), ("name", "ë".encode()), ("name", b"a"))
    assert parsed.header("name") == "ë".encode()  # the first of duplicate names
    assert parsed.header("absent") is None


def test_an_undecodable_value_is_kept_as_none_for_the_dead_letter_path() -> None:
    assert parse_event(msk_event({"t-0": [record("t", 0, 1, value="%%%not-base64")]}))[0].value is None


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"records": {}}, id="no event source"),
        pytest.param({"eventSource": "aws:sqs", "Records": []}, id="another source"),
        pytest.param({"eventSource": "aws:kafka"}, id="no records"),
        pytest.param({"eventSource": "aws:kafka", "records": {"t-0": [{"topic": "t"}]}}, id="record without offset"),
    ],
)
def test_malformed_invocations_are_refused(event: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent):
        parse_event(event)
