"""The tracer a composition root builds from ``CS_TRACING``: each adapter is imported only when chosen, so a
deployed function never loads the OpenTelemetry SDK and the local stack never loads the X-Ray SDK."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from customersignal.domain.tracing import TraceContext, child_of
from customersignal.ports import AttributeValue, SpanKind, Tracer
from customersignal.settings import TracingSettings


class IdSpan:
    __slots__ = ("context",)

    def __init__(self, context: TraceContext) -> None:
        self.context = context

    def set_attribute(self, name: str, value: AttributeValue) -> None:
        return


class IdOnlyTracer:
    """``CS_TRACING=off``: W3C ids for responses, Kafka headers and alerts, and nothing recorded."""

    @contextmanager
    def span(
        self,
        name: str,
        *,
        kind: SpanKind = "internal",
        parent: TraceContext | None = None,
        links: Sequence[TraceContext] = (),
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> Iterator[IdSpan]:
        yield IdSpan(child_of(parent))


def build_tracer(settings: TracingSettings, service: str) -> Tracer:
    """OpenTelemetry with no exporter records nothing either: its spans would go nowhere, and an SDK span
    costs ~40 us of a ~1 ms request, so it gets the ids-only tracer (the same ids and sampling flags)."""
    if settings.tracing == "xray":
        from customersignal.adapters.tracing_xray import xray_tracer

        return xray_tracer(service)
    if settings.tracing == "otel" and settings.tracing_exporter != "none":
        from customersignal.adapters.tracing_otel import OtelTracer

        return OtelTracer(service, settings.tracing_exporter)
    return IdOnlyTracer()
