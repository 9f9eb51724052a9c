"""Spans as X-Ray subsegments through Powertools Tracer (``CS_TRACING=xray``, the deployed functions).

X-Ray keeps its own trace ids (Lambda's ``Tracing: Active`` opens the function's segment), so the W3C ids
the client gets back are made here, exactly as the OpenTelemetry adapter would make them (the caller's
trace continued, a new span id), and each subsegment carries the W3C trace id as the annotation
``cs_trace_id``: the X-Ray console finds a client's request, batch or alert run with
``annotation.cs_trace_id = "<trace id>"``. Parent, links and attributes are metadata (not indexed).

Powertools disables itself outside Lambda (or with ``POWERTOOLS_TRACE_DISABLED``); spans then still give
their W3C ids and touch no X-Ray code at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Tracer as PowertoolsTracer
from aws_lambda_powertools.tracing.base import BaseSegment

from customersignal.domain.tracing import MAX_LINKS, TraceContext, child_of
from customersignal.ports import AttributeValue, SpanKind

TRACE_ANNOTATION = "cs_trace_id"
NAMESPACE = "customersignal"


class XraySpan:
    __slots__ = ("_segment", "context")

    def __init__(self, segment: BaseSegment | None, context: TraceContext) -> None:
        self._segment = segment
        self.context = context

    def set_attribute(self, name: str, value: AttributeValue) -> None:
        if self._segment is not None:
            self._segment.put_metadata(name, value, NAMESPACE)


class XrayTracer:
    def __init__(self, tracer: PowertoolsTracer) -> None:
        self._tracer = tracer

    @contextmanager
    def span(
        self,
        name: str,
        *,
        kind: SpanKind = "internal",
        parent: TraceContext | None = None,
        links: Sequence[TraceContext] = (),
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> Iterator[XraySpan]:
        context = child_of(parent)
        if self._tracer.disabled:
            yield XraySpan(None, context)
            return
        with self._tracer.provider.in_subsegment(name) as subsegment:
            if subsegment is None:  # no segment to hang it on (the SDK logged why)
                yield XraySpan(None, context)
                return
            subsegment.put_annotation(TRACE_ANNOTATION, context.trace_id)
            subsegment.put_metadata("w3c", _w3c(context, kind, parent, links), NAMESPACE)
            span = XraySpan(subsegment, context)
            for key, value in (attributes or {}).items():
                span.set_attribute(key, value)
            yield span


def _w3c(context: TraceContext, kind: SpanKind, parent: TraceContext | None, links: Sequence[TraceContext]) -> Any:
    return {
        "traceparent": context.traceparent,
        "parent_span_id": parent.span_id if parent else None,
        "kind": kind,
        "links": [link.traceparent for link in links[:MAX_LINKS]],
    }


def xray_tracer(service: str) -> XrayTracer:
    """Powertools Tracer for ``service``, patching botocore only (SNS, Secrets Manager calls as subsegments)."""
    return XrayTracer(PowertoolsTracer(service=service, patch_modules=("botocore",)))
