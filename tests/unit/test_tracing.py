"""W3C traceparent handling: continue a valid trace, start a new one otherwise; a batch's parent and links."""

from __future__ import annotations

from pathlib import Path

import pytest

import customersignal.domain
from customersignal.domain.tracing import (
    MAX_LINKS,
    TraceContext,
    batch_trace,
    child_of,
    parse_traceparent,
    random_hex,
)

pytestmark = pytest.mark.unit

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def fixed_hex(n: int) -> str:
    return "ab" * n


@pytest.mark.parametrize(
    ("header", "continued", "sampled"),
    [
        pytest.param(f"00-{TRACE}-00f067aa0ba902b7-01", True, True, id="valid sampled"),
        pytest.param(f"00-{TRACE}-00f067aa0ba902b7-00", True, False, id="valid not sampled"),
        pytest.param(f"  00-{TRACE.upper()}-00F067AA0BA902B7-01 ", True, True, id="case and spaces"),
        pytest.param(f"01-{TRACE}-00f067aa0ba902b7-01-future", True, True, id="future version with extra field"),
        pytest.param(f"00-{TRACE}-00f067aa0ba902b7-01-extra", False, True, id="version 00 with extra field"),
        pytest.param(f"ff-{TRACE}-00f067aa0ba902b7-01", False, True, id="version ff is invalid"),
        pytest.param(f"00-{'0' * 32}-00f067aa0ba902b7-01", False, True, id="all-zero trace id"),
        pytest.param(f"00-{TRACE}-{'0' * 16}-01", False, True, id="all-zero parent id"),
        pytest.param("garbage", False, True, id="garbage"),
        pytest.param(None, False, True, id="absent"),
    ],
)
def test_a_valid_traceparent_is_continued_anything_else_starts_a_trace(
    header: str | None, continued: bool, sampled: bool
) -> None:
    trace = child_of(parse_traceparent(header), random_hex=fixed_hex)
    assert (trace.trace_id == TRACE) is continued
    assert trace.span_id == fixed_hex(8)
    assert trace.sampled is sampled
    assert trace.traceparent == f"00-{trace.trace_id}-{trace.span_id}-{'01' if sampled else '00'}"


PARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


def test_parse_traceparent_names_the_callers_span() -> None:
    assert parse_traceparent(PARENT) == TraceContext(TRACE, "00f067aa0ba902b7", sampled=True)
    assert parse_traceparent(PARENT.encode()) == TraceContext(TRACE, "00f067aa0ba902b7", sampled=True)
    assert parse_traceparent("é".encode()) is None  # a Kafka header is bytes, not always ASCII
    assert parse_traceparent(f"00-{TRACE}-{'0' * 16}-01") is None


def test_child_of_keeps_the_trace_and_its_sampling_or_starts_one() -> None:
    parent = TraceContext(TRACE, "00f067aa0ba902b7", sampled=False)
    assert child_of(parent, random_hex=fixed_hex) == TraceContext(TRACE, fixed_hex(8), sampled=False)
    assert child_of(None, random_hex=fixed_hex) == TraceContext(fixed_hex(16), fixed_hex(8))


def span(trace: str, span_id: str) -> str:
    return f"00-{trace}-{span_id}-01"


A, B = "a" * 32, "b" * 32
A1, A2, B1 = span(A, "1" * 16), span(A, "2" * 16), span(B, "1" * 16)


@pytest.mark.parametrize(
    ("headers", "parent", "links"),
    [
        pytest.param([A1], A1, [], id="one record: its child"),
        pytest.param([A1, A1, A1], A1, [], id="one request's events: its child"),
        pytest.param([A1, A2, A1], A1, [A2], id="one trace, two spans: child of the first, linked to the other"),
        pytest.param([A1, B1], None, [A1, B1], id="two traces: a new trace linked to both"),
        pytest.param([A1, None], None, [A1], id="a record without a header: not every record is in the trace"),
        pytest.param([A1, b"garbage"], None, [A1], id="an invalid header counts as none"),
        pytest.param([A1.encode(), A1], A1, [], id="bytes and text alike"),
        pytest.param([None, None], None, [], id="no trace at all: a new trace, no links"),
        pytest.param([], None, [], id="empty batch"),
    ],
)
def test_batch_trace(headers: list[str | bytes | None], parent: str | None, links: list[str]) -> None:
    batch = batch_trace(headers)
    assert (batch.parent.traceparent if batch.parent else None) == parent
    assert [link.traceparent for link in batch.links] == links


def test_batch_trace_caps_its_links() -> None:
    headers = [span(f"{i + 1:032x}", "1" * 16) for i in range(MAX_LINKS + 50)]
    batch = batch_trace(headers)
    assert batch.parent is None
    assert [link.traceparent for link in batch.links] == headers[:MAX_LINKS]
    same_trace = [span(A, f"{i + 1:016x}") for i in range(MAX_LINKS + 50)]
    assert len(batch_trace(same_trace).links) == MAX_LINKS  # the parent, then at most MAX_LINKS others


def test_the_domain_names_no_tracing_sdk() -> None:
    domain = Path(customersignal.domain.__file__).parent
    for module in domain.glob("*.py"):
        text = module.read_text()
        for sdk in ("opentelemetry", "aws_xray_sdk", "aws_lambda_powertools.tracing"):
            assert f"import {sdk}" not in text, f"{module.name} imports {sdk}"
            assert f"from {sdk}" not in text, f"{module.name} imports from {sdk}"


def test_new_ids_are_lowercase_hex_of_the_asked_length_and_never_repeat_in_a_run() -> None:
    # the W3C format: 32 hex digits for a trace, 16 for a span, never all zeros
    traces = {random_hex(16) for _ in range(10_000)}
    spans = [random_hex(8) for _ in range(1_000)]
    assert len(traces) == 10_000
    assert all(len(t) == 32 and t == t.lower() and int(t, 16) > 0 for t in traces)
    assert all(len(s) == 16 and int(s, 16) > 0 for s in spans)
    new = child_of(None)
    assert parse_traceparent(new.traceparent) == new
