"""Spans with the OpenTelemetry SDK (``CS_TRACING=otel``, the local stack's default).

The SDK's own W3C ids are the ones the client gets back: a span under a caller's ``traceparent`` keeps
its trace id and names its span as the parent, exactly. The provider is this adapter's, never the global
one, so nothing else in the process changes. ``CS_TRACING_EXPORTER`` picks where finished spans go:
``console`` (one JSON line per span on stdout), ``otlp`` (OTLP over HTTP, batched, to
``OTEL_EXPORTER_OTLP_ENDPOINT``) or ``memory`` (tests); with ``none`` the composition roots use the ids-only
tracer instead (``tracing_setup``). The standard ``OTEL_*`` variables (sampler, batch delays, OTLP headers)
apply as the SDK defines them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Literal

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from customersignal.domain.tracing import MAX_LINKS, TraceContext
from customersignal.ports import AttributeValue, SpanKind

Exporter = Literal["none", "console", "otlp", "memory"]

_KINDS: dict[SpanKind, trace.SpanKind] = {
    "server": trace.SpanKind.SERVER,
    "consumer": trace.SpanKind.CONSUMER,
    "internal": trace.SpanKind.INTERNAL,
}


class OtelSpan:
    __slots__ = ("_span", "context")

    def __init__(self, span: trace.Span) -> None:
        self._span = span
        ids = span.get_span_context()
        self.context = TraceContext(
            trace.format_trace_id(ids.trace_id), trace.format_span_id(ids.span_id), ids.trace_flags.sampled
        )

    def set_attribute(self, name: str, value: AttributeValue) -> None:
        self._span.set_attribute(name, value)


class OtelTracer:
    """Build once per process (composition root): the provider owns the exporter and its thread."""

    def __init__(self, service: str, exporter: Exporter = "none") -> None:
        self.memory = InMemorySpanExporter() if exporter == "memory" else None
        self._provider = TracerProvider(resource=Resource.create({"service.name": service}))
        processor = _processor(exporter, self.memory)
        if processor is not None:
            self._provider.add_span_processor(processor)
        self._tracer = self._provider.get_tracer("customersignal")

    @contextmanager
    def span(
        self,
        name: str,
        *,
        kind: SpanKind = "internal",
        parent: TraceContext | None = None,
        links: Sequence[TraceContext] = (),
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> Iterator[OtelSpan]:
        span = self._tracer.start_span(
            name,
            context=_remote_parent(parent),
            kind=_KINDS[kind],
            attributes=attributes,
            links=[trace.Link(_span_context(link)) for link in links[:MAX_LINKS]],
        )
        # not made the current span (attaching a context costs a third of the span): parents are passed
        # explicitly, and nothing in the process reads the current span
        try:
            yield OtelSpan(span)
        except BaseException as error:
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, f"{type(error).__name__}: {error}"))
            raise
        finally:
            span.end()

    def finished_spans(self) -> tuple[ReadableSpan, ...]:
        """The ended spans (exporter ``memory`` only: tests read them)."""
        if self.memory is None:
            raise RuntimeError("finished_spans needs CS_TRACING_EXPORTER=memory")
        return self.memory.get_finished_spans()

    def shutdown(self) -> None:
        """Export what is still queued (the SDK also does this at interpreter exit)."""
        self._provider.shutdown()


def _processor(exporter: Exporter, memory: InMemorySpanExporter | None) -> SpanProcessor | None:
    if memory is not None:
        return SimpleSpanProcessor(memory)
    if exporter == "console":
        console = ConsoleSpanExporter(out=sys.stdout, formatter=lambda span: span.to_json(indent=None) + os.linesep)
        return SimpleSpanProcessor(console)
    if exporter == "otlp":
        # imported only when chosen: the OTLP exporter brings requests and protobuf (cold start)
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return BatchSpanProcessor(OTLPSpanExporter())
    return None


def _span_context(ids: TraceContext) -> trace.SpanContext:
    """A span of another process (the caller, or a record's producer)."""
    flags = trace.TraceFlags(trace.TraceFlags.SAMPLED if ids.sampled else trace.TraceFlags.DEFAULT)
    return trace.SpanContext(int(ids.trace_id, 16), int(ids.span_id, 16), is_remote=True, trace_flags=flags)


def _remote_parent(parent: TraceContext | None) -> Context:
    """The caller's span as the parent, or an empty context: a new trace, whatever span is current."""
    if parent is None:
        return Context()
    return trace.set_span_in_context(trace.NonRecordingSpan(_span_context(parent)))
