"""The tracer adapters: OpenTelemetry (in-memory exporter), X-Ray through Powertools (no daemon), and ids only.

Every adapter must hand out the W3C ids the API returns and Kafka carries: the caller's trace id and its
span as the parent, exactly, and a span id of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import aws_xray_sdk  # type: ignore[import-untyped]
import pytest
from aws_lambda_powertools import Tracer as PowertoolsTracer
from aws_lambda_powertools.tracing.base import BaseProvider
from aws_xray_sdk.core.recorder import AWSXRayRecorder  # type: ignore[import-untyped]
from opentelemetry.trace import SpanKind, StatusCode

from customersignal.adapters.tracing_otel import OtelTracer
from customersignal.adapters.tracing_setup import IdOnlyTracer, build_tracer
from customersignal.adapters.tracing_xray import TRACE_ANNOTATION, XrayTracer
from customersignal.domain.tracing import MAX_LINKS, TraceContext
from customersignal.ports import Tracer
from customersignal.settings import TracingSettings

pytestmark = pytest.mark.unit

CALLER = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


@pytest.fixture
def otel() -> Iterator[OtelTracer]:
    tracer = OtelTracer("customersignal-test", "memory")
    yield tracer
    tracer.shutdown()


def test_otel_continues_the_callers_trace_and_parent_exactly(otel: OtelTracer) -> None:
    # Given a caller's span; When a server span starts under it
    with otel.span("POST /v1/events", kind="server", parent=CALLER, attributes={"http.route": "/v1/events"}) as span:
        own = span.context
        span.set_attribute("http.response.status_code", 200)
    # Then the span is in the caller's trace, its parent is the caller's span, and its ids are what we hand out
    [finished] = otel.finished_spans()
    assert own.trace_id == CALLER.trace_id
    assert own.span_id != CALLER.span_id
    assert own.sampled
    assert f"{finished.context.trace_id:032x}" == own.trace_id
    assert f"{finished.context.span_id:016x}" == own.span_id
    assert finished.parent is not None
    assert f"{finished.parent.span_id:016x}" == CALLER.span_id
    assert finished.parent.is_remote
    assert finished.kind is SpanKind.SERVER
    assert dict(finished.attributes or {}) == {"http.route": "/v1/events", "http.response.status_code": 200}
    assert finished.resource.attributes["service.name"] == "customersignal-test"


def test_otel_starts_a_new_trace_without_a_parent_even_inside_another_span(otel: OtelTracer) -> None:
    with otel.span("outer", parent=CALLER), otel.span("batch", kind="consumer") as inner:
        assert inner.context.trace_id != CALLER.trace_id
    batch = next(s for s in otel.finished_spans() if s.name == "batch")
    assert batch.parent is None


def test_otel_links_are_the_records_spans_and_capped(otel: OtelTracer) -> None:
    links = [TraceContext(f"{i + 1:032x}", f"{i + 1:016x}") for i in range(MAX_LINKS + 10)]
    with otel.span("batch", kind="consumer", links=links):
        pass
    [finished] = otel.finished_spans()
    assert len(finished.links) == MAX_LINKS
    first = finished.links[0].context
    assert (f"{first.trace_id:032x}", f"{first.span_id:016x}") == (links[0].trace_id, links[0].span_id)


def test_otel_an_unsampled_caller_keeps_its_flag_and_records_nothing(otel: OtelTracer) -> None:
    unsampled = TraceContext(CALLER.trace_id, CALLER.span_id, sampled=False)
    with otel.span("GET /v1/session", parent=unsampled) as span:
        assert span.context.trace_id == CALLER.trace_id
        assert span.context.traceparent.endswith("-00")
    assert otel.finished_spans() == ()


def test_otel_an_exception_fails_and_ends_the_span(otel: OtelTracer) -> None:
    with pytest.raises(ValueError, match="boom"), otel.span("batch"):
        raise ValueError("boom")
    [finished] = otel.finished_spans()
    assert finished.status.status_code is StatusCode.ERROR
    assert finished.end_time is not None


def test_otel_console_prints_one_json_line_per_span(capsys: pytest.CaptureFixture[str]) -> None:
    tracer = OtelTracer("customersignal-test", "console")
    with tracer.span("batch", parent=CALLER) as span:
        own = span.context
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    printed = json.loads(lines[0])
    assert printed["context"]["trace_id"] == f"0x{own.trace_id}"
    assert printed["parent_id"] == f"0x{CALLER.span_id}"


def test_the_setting_picks_the_adapter() -> None:
    assert isinstance(build_tracer(TracingSettings(tracing="otel", tracing_exporter="otlp"), "t"), OtelTracer)
    assert isinstance(build_tracer(TracingSettings(tracing="otel", tracing_exporter="console"), "t"), OtelTracer)
    assert isinstance(build_tracer(TracingSettings(tracing="off"), "t"), IdOnlyTracer)
    # spans nobody would receive are not made at all (the local stack's default)
    assert isinstance(build_tracer(TracingSettings(tracing="otel", tracing_exporter="none"), "t"), IdOnlyTracer)


def test_the_default_is_opentelemetry_without_an_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CS_TRACING", raising=False)
    monkeypatch.delenv("CS_TRACING_EXPORTER", raising=False)
    settings = TracingSettings(_env_file=None)
    assert (settings.tracing, settings.tracing_exporter) == ("otel", "none")


def test_off_still_hands_out_w3c_ids() -> None:
    tracer: Tracer = IdOnlyTracer()
    with tracer.span("POST /v1/events", parent=CALLER) as span:
        span.set_attribute("ignored", 1)
        assert span.context.trace_id == CALLER.trace_id
        assert span.context.span_id != CALLER.span_id
    with tracer.span("evaluate alert rules") as root:
        assert root.context.trace_id != CALLER.trace_id


# ------------------------------------------------------------------------------------------------- X-Ray


@pytest.fixture
def fresh_powertools() -> Iterator[None]:
    """Powertools Tracer shares its configuration between instances, and disabling it turns the X-Ray SDK
    off process-wide: each test starts from and leaves the defaults."""
    PowertoolsTracer._reset_config()  # type: ignore[no-untyped-call]
    aws_xray_sdk.global_sdk_config.set_sdk_enabled(True)
    yield
    PowertoolsTracer._reset_config()  # type: ignore[no-untyped-call]
    aws_xray_sdk.global_sdk_config.set_sdk_enabled(True)


class CapturingEmitter:
    """Stands in for the UDP emitter: no daemon, the entities kept for the assertions."""

    ip = "127.0.0.1"
    port = 2000

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_entity(self, entity: Any) -> None:
        self.sent.append(json.loads(entity.serialize()))

    def set_daemon_address(self, address: str) -> None:
        return


@pytest.mark.usefixtures("fresh_powertools")
def test_xray_annotates_the_subsegment_with_the_w3c_trace_id() -> None:
    # Given Powertools Tracer over an X-Ray recorder whose emitter keeps what it would send to the daemon
    emitter = CapturingEmitter()
    recorder = AWSXRayRecorder()
    recorder.configure(emitter=emitter, sampling=False, context_missing="LOG_ERROR")
    provider = cast(BaseProvider, recorder)
    tracer = XrayTracer(PowertoolsTracer(service="t", disabled=False, auto_patch=False, provider=provider))
    link = TraceContext("c" * 32, "d" * 16)
    # When a span runs inside the function's segment (Lambda opens it with Tracing: Active)
    recorder.begin_segment("customersignal-api")
    with tracer.span("POST /v1/events", kind="server", parent=CALLER, links=[link], attributes={"a": 1}) as span:
        own = span.context
        span.set_attribute("http.response.status_code", 200)
    recorder.end_segment()
    # Then the subsegment is searchable by the W3C trace id, and carries the ids and attributes as metadata
    [segment] = emitter.sent
    [subsegment] = segment["subsegments"]
    assert own.trace_id == CALLER.trace_id
    assert own.span_id != CALLER.span_id
    assert subsegment["name"] == "POST /v1/events"
    assert subsegment["annotations"] == {TRACE_ANNOTATION: CALLER.trace_id}
    metadata = subsegment["metadata"]["customersignal"]
    assert metadata["w3c"] == {
        "traceparent": own.traceparent,
        "parent_span_id": CALLER.span_id,
        "kind": "server",
        "links": [link.traceparent],
    }
    assert (metadata["a"], metadata["http.response.status_code"]) == (1, 200)


@pytest.mark.usefixtures("fresh_powertools")
def test_xray_disabled_outside_lambda_still_hands_out_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no Lambda environment and POWERTOOLS_TRACE_DISABLED (as locally, and in tests)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    tracer = build_tracer(TracingSettings(tracing="xray"), "customersignal-test")
    # When spans run, with and without a caller, failing or not
    assert isinstance(tracer, XrayTracer)
    seen = []
    for _ in range(2):
        with tracer.span("POST /v1/events", kind="server", parent=CALLER) as span:
            span.set_attribute("http.response.status_code", 200)
            seen.append(span.context)
    with pytest.raises(RuntimeError, match="passes through"), tracer.span("evaluate alert rules"):
        raise RuntimeError("the handler's own error passes through")
    # Then nothing needed a daemon: each span continued the caller's trace under a span id of its own
    assert {context.trace_id for context in seen} == {CALLER.trace_id}
    assert len({context.span_id for context in seen} | {CALLER.span_id}) == 3
