"""W3C Trace Context: continue the caller's trace (``traceparent``) or start one; pick a batch's parent.

The trace id goes back to the client in every ingest response and travels with each event through Kafka,
so one event can be followed from the HTTP request to the aggregate and the alert it causes. Spans
themselves are the tracer port's business (``ports.Tracer``); this module only handles the ids.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
MAX_LINKS = 128  # a batch span links at most this many record traces (OpenTelemetry's default span limit)


@dataclass(frozen=True)
class TraceContext:
    trace_id: str
    span_id: str
    sampled: bool = True

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


@dataclass(frozen=True)
class BatchTrace:
    """Where a batch span belongs: under ``parent`` (None: a new trace), linked to ``links``."""

    parent: TraceContext | None
    links: tuple[TraceContext, ...] = ()


def parse_traceparent(header: str | bytes | None) -> TraceContext | None:
    """The caller's span named by a valid ``traceparent``, else None.

    Per the spec, an invalid header is ignored (not an error): version ff, all-zero ids, or a version-00
    header with extra fields all count as no header.
    """
    if isinstance(header, bytes):
        header = header.decode("ascii", errors="replace")
    match = _TRACEPARENT.match(header.strip().lower()) if header else None
    if not match:
        return None
    version, trace_id, parent_id, flags, rest = match.groups()
    if version == "ff" or trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN or (version == "00" and rest):
        return None
    return TraceContext(trace_id, parent_id, sampled=bool(int(flags, 16) & 1))


def random_hex(n_bytes: int) -> str:
    """A random, non-zero id of ``n_bytes`` in hex, made as OpenTelemetry's SDK makes its ids.

    Trace and span ids must be unique, not secret, so the Mersenne Twister does (the random module reseeds
    it in each forked worker). ``secrets`` reads os.urandom, which lets go of the GIL: on a busy
    multi-threaded server each call could wait a thread switch to get it back (a tenth of a request's
    samples in the profile of bench/profiles/ingest-single-before.svg).
    """
    while True:
        value = random.getrandbits(n_bytes * 8)
        if value:
            return f"{value:0{n_bytes * 2}x}"


def child_of(parent: TraceContext | None, random_hex: Callable[[int], str] = random_hex) -> TraceContext:
    """A new span id in ``parent``'s trace (keeping its sampling decision), or a new trace."""
    if parent is None:
        return TraceContext(random_hex(16), random_hex(8))
    return TraceContext(parent.trace_id, random_hex(8), parent.sampled)


def batch_trace(traceparents: Iterable[str | bytes | None], max_links: int = MAX_LINKS) -> BatchTrace:
    """The batch span continues the trace when every record carries that same trace (one event's trace
    then runs from the HTTP request through the aggregate); otherwise it starts a new trace linked to each
    distinct record span (at most ``max_links``). A record without a valid header breaks the "every"."""
    headers = list(dict.fromkeys(traceparents))  # one batch mostly repeats a few headers: parse each once
    parsed = [parse_traceparent(header) for header in headers]
    spans = list(dict.fromkeys(context for context in parsed if context is not None))
    if spans and None not in parsed and len({span.trace_id for span in spans}) == 1:
        return BatchTrace(spans[0], tuple(spans[1 : 1 + max_links]))
    return BatchTrace(None, tuple(spans[:max_links]))
