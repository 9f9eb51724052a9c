"""W3C Trace Context: continue the caller's trace (``traceparent``) or start one.

The trace id goes back to the client in every ingest response and travels with each event through Kafka,
so one event can be followed from the HTTP request to the aggregate and the alert it causes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


@dataclass(frozen=True)
class TraceContext:
    trace_id: str
    span_id: str
    sampled: bool = True

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


def continue_or_start(header: str | None, random_hex: Callable[[int], str] = secrets.token_hex) -> TraceContext:
    """A new span in the caller's trace when ``header`` is a valid traceparent, else a new trace.

    Per the spec, an invalid header is ignored (not an error): version ff, all-zero ids, or a version-00
    header with extra fields all start a new trace.
    """
    match = _TRACEPARENT.match(header.strip().lower()) if header else None
    if match:
        version, trace_id, parent_id, flags, rest = match.groups()
        valid = version != "ff" and trace_id != _ZERO_TRACE and parent_id != _ZERO_SPAN
        if valid and not (version == "00" and rest):
            return TraceContext(trace_id, random_hex(8), sampled=bool(int(flags, 16) & 1))
    return TraceContext(random_hex(16), random_hex(8))
