"""W3C traceparent handling: continue a valid trace, start a new one otherwise."""

from __future__ import annotations

import pytest

from customersignal.domain.tracing import continue_or_start

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
def test_continue_or_start(header: str | None, continued: bool, sampled: bool) -> None:
    trace = continue_or_start(header, random_hex=fixed_hex)
    assert (trace.trace_id == TRACE) is continued
    assert trace.span_id == fixed_hex(8)
    assert trace.sampled is sampled
    assert trace.traceparent == f"00-{trace.trace_id}-{trace.span_id}-{'01' if sampled else '00'}"
