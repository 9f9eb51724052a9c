"""One event's trace, followed end to end over the real local services: posted to the API with the caller's
``traceparent``, through Kafka and the local event-source mapping into the aggregator's batch span, into the
stored event, and out through the alert fast path, SNS (a moto server) and a webhook receiver.

The API and the event-source mapping run as `make up` runs them (their own processes) with
``CS_TRACING_EXPORTER=otlp``; a small OTLP/HTTP collector here receives their spans.
"""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from confluent_kafka.admin import AdminClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from pg8000.native import Connection

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.kafka_admin import ensure_topics
from customersignal.adapters.pipeline_lag import KafkaPipelineLag
from customersignal.adapters.postgres import connect
from customersignal.adapters.sns_alerts import SnsAlertChannel
from customersignal.adapters.tracing_otel import OtelTracer
from customersignal.domain.auth import Scope
from customersignal.local.esm.events import RecordData, kafka_event
from customersignal.settings import PlatformSettings
from tests.fixtures.aggregator import add_tenant, envelope
from tests.fixtures.aws import HttpReceiver
from tests.fixtures.dashboard import dashboard_for, dashboard_redis_url
from tests.fixtures.http_server import QuietHandler, serving
from tests.fixtures.pipeline import running_esm
from tests.integration.test_aggregator_handler import handler  # noqa: F401 - the template's handler, in process
from tests.integration.test_alerts_e2e import AlertWorld, notifications, rule, tenant_with_endpoint
from tests.integration.test_api_ingest import event, post
from tests.support.waits import scaled, wait_for

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

pytestmark = pytest.mark.integration

TRACE_REDIS_DB = 10  # this module's own Redis database (the aggregator's hot store)
CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
DEADLINE_S = 60.0
SERVER, CONSUMER = ProtoSpan.SPAN_KIND_SERVER, ProtoSpan.SPAN_KIND_CONSUMER


@dataclass(frozen=True)
class CollectedSpan:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]


@dataclass
class OtlpCollector:
    """What an OpenTelemetry collector would receive over OTLP/HTTP (protobuf), kept in memory."""

    url: str = ""
    spans: list[CollectedSpan] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                with self.lock:
                    self.spans += [_collected(str(resource["service.name"]), s) for s in scope_spans.spans]

    def wait_for(self, predicate: Callable[[CollectedSpan], bool], what: str) -> CollectedSpan:
        def matching() -> list[CollectedSpan]:
            with self.lock:
                return [s for s in self.spans if predicate(s)]

        return wait_for(matching, bool, what, base_s=DEADLINE_S, show=lambda _: self.names())[0]

    def names(self) -> list[str]:
        with self.lock:
            return [f"{s.service}: {s.name}" for s in self.spans]


def _attributes(values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        kind = item.value.WhichOneof("value")
        out[item.key] = getattr(item.value, kind) if kind else None
    return out


def _collected(service: str, span: ProtoSpan) -> CollectedSpan:
    return CollectedSpan(
        service, span.name, span.kind, span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex(),
        _attributes(span.attributes),
    )  # fmt: skip


@pytest.fixture(scope="module")
def otlp_collector() -> Iterator[OtlpCollector]:
    collector = OtlpCollector()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            collector.receive(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    with serving(Handler) as collector.url:
        yield collector


@dataclass
class TracedPipeline:
    world: AlertWorld
    collector: OtlpCollector
    sqs: SQSClient
    tap_queue_url: str  # an SQS queue subscribed to the alerts topic: what SNS holds, message attributes included

    def published_attributes(self, count: int) -> list[dict[str, Any]]:
        """The message attributes of the first ``count`` messages SNS published (a receive hides what it got)."""
        received: list[dict[str, Any]] = []

        def receive() -> list[dict[str, Any]]:
            answer = self.sqs.receive_message(QueueUrl=self.tap_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            received.extend(json.loads(m["Body"]).get("MessageAttributes", {}) for m in answer.get("Messages", []))
            return received

        return wait_for(receive, lambda got: len(got) >= count, f"{count} messages on the SNS tap", base_s=DEADLINE_S)


@pytest.fixture(scope="module")
def traced_pipeline(
    api_server_factory: Callable[[dict[str, str]], Any],
    moto_clients: AwsClients,
    settings: PlatformSettings,
    otlp_collector: OtlpCollector,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TracedPipeline]:
    """An API and the local event-source mapping, both exporting spans over OTLP; alerts go to a moto SNS."""
    sns = moto_clients.sns()
    topic_arn = sns.create_topic(Name=f"traces-{uuid.uuid4().hex[:8]}", Attributes={"SignatureVersion": "2"})[
        "TopicArn"
    ]
    moto_url = str(sns.meta.endpoint_url)
    sqs = moto_clients.sqs()
    tap = sqs.create_queue(QueueName=f"tap-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    tap_arn = sqs.get_queue_attributes(QueueUrl=tap, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=tap_arn)
    alerts = {"CS_AWS_ENDPOINT_URL": moto_url, "CS_ALERTS_TOPIC_ARN": topic_arn, "CS_WEBHOOK_LOCAL_MODE": "true"}
    tracing = {
        "CS_TRACING": "otel",
        "CS_TRACING_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # ms: export finished spans promptly
    }
    api = api_server_factory({**alerts, **tracing, "CS_REDIS_URL": dashboard_redis_url(settings)})
    esm_log = tmp_path_factory.mktemp("esm") / "esm.log"
    group = f"trace-{uuid.uuid4().hex[:8]}"
    dlq = f"dlq-{uuid.uuid4().hex[:10]}"
    ensure_topics(AdminClient({"bootstrap.servers": settings.kafka_bootstrap}), {dlq: 1}, timeout_s=scaled(30))
    with (
        dashboard_for(api, settings) as dashboard,
        running_esm(
            api, settings, redis_db=TRACE_REDIS_DB, dlq_topic=dlq, consumer_group=group, log=esm_log,
            extra_env={**alerts, **tracing},
        ),
    ):  # fmt: skip
        lag = KafkaPipelineLag(
            {"bootstrap.servers": settings.kafka_bootstrap}, api.topic, group, lambda: connect(api.database)
        )
        world = AlertWorld(dashboard, topic_arn, SnsAlertChannel(sns, topic_arn), lag, moto_url)
        yield TracedPipeline(world, otlp_collector, sqs, tap)


def test_one_events_trace_runs_from_the_response_through_the_aggregate_to_the_webhook(
    traced_pipeline: TracedPipeline, http_receiver: HttpReceiver
) -> None:
    world, collector = traced_pipeline.world, traced_pipeline.collector
    # Given a webhook and a fast threshold rule on this event type (one event in 5 minutes is a breach)
    ref, admin_key, endpoint_id, secret = tenant_with_endpoint(world, http_receiver)
    event_type = f"traced_{uuid.uuid4().hex[:6]}"
    threshold = {"kind": "threshold", "operator": "above", "value": 0}
    created = rule(world, admin_key, endpoint_id, event_type=event_type, window_seconds=300, condition=threshold)
    slug = next(s for s, t in world.dashboard.api.tenants.items() if t == ref.tenant_id)
    ingest_key = world.dashboard.api.key(slug, Scope.INGEST)

    # When one event is posted in the caller's trace
    sent = event(event_type=event_type)
    status, headers, body = post(
        world.dashboard.api, sent, key=ingest_key, headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"}
    )

    # Then the response names the caller's trace, and the API's server span under the caller's span
    assert status == 200, body
    trace_id = body["trace_id"]
    assert trace_id == CALLER_TRACE
    _, _, api_span_id, _ = headers["traceparent"].split("-")
    api_span = collector.wait_for(lambda s: s.span_id == api_span_id, "API span")
    assert (api_span.service, api_span.name, api_span.kind) == ("customersignal-api", "POST /v1/events", SERVER)
    assert (api_span.trace_id, api_span.parent_span_id) == (trace_id, CALLER_SPAN)
    assert api_span.attributes["http.response.status_code"] == 200

    # And the aggregator's batch span continues that trace, a child of the API span (the Kafka header's)
    batch = collector.wait_for(lambda s: s.name == "aggregate batch" and s.trace_id == trace_id, "batch span")
    assert (batch.service, batch.kind, batch.parent_span_id) == ("customersignal-aggregator", CONSUMER, api_span_id)
    assert batch.attributes["cs.events.counted"] == 1

    # And the stored event carries the trace id
    db = connect(world.dashboard.api.database)
    try:
        assert db.run("SELECT trace_id FROM events WHERE event_id = :id", id=sent["event_id"]) == [[trace_id]]
    finally:
        db.close()

    # And the webhook the fast path sent (within that batch span) carries it, and SNS got the span's traceparent
    fired = _wait_for_notification(http_receiver, secret, created["id"])
    assert (fired["state"], fired["observed_value"], fired["trace_id"]) == ("FIRING", 1.0, trace_id)
    [published] = traced_pipeline.published_attributes(1)
    assert published["traceparent"]["Value"] == f"00-{trace_id}-{batch.span_id}-01"
    _, history = world.dashboard.get(f"/v1/alerts/{created['id']}/history", admin_key)
    assert [h["trace_id"] for h in history["history"]] == [trace_id]


def _wait_for_notification(receiver: HttpReceiver, secret: str, rule_id: str) -> dict[str, Any]:
    def fired() -> list[dict[str, Any]]:
        return [n for n in notifications(receiver, secret) if n["rule"]["id"] == rule_id]

    return wait_for(fired, bool, f"a notification for rule {rule_id}", base_s=DEADLINE_S, show=receiver.types)[0]


def test_a_batch_of_several_traces_is_a_new_trace_linked_to_each(
    handler: Callable[[dict[str, Any]], Any],  # noqa: F811 - the fixture imported above
    agg_db: Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the template's aggregator handler with an in-memory span exporter, and a batch whose records
    # come from two requests of two traces (the first request's two events share its traceparent)
    import aggregator_handler  # importable: the handler fixture put the function's CodeUri on the path

    tracer = OtelTracer("customersignal-aggregator", "memory")
    monkeypatch.setattr(aggregator_handler, "get_tracer", lambda: tracer)
    ref = add_tenant(agg_db)
    first, second = f"00-{'a' * 32}-{'1' * 16}-01", f"00-{'b' * 32}-{'2' * 16}-01"
    data = [
        RecordData("events-raw", 0, offset, 1_700_000_000_000, envelope(ref).kafka_value(), None, headers)
        for offset, headers in enumerate([(("traceparent", t.encode()),) for t in (first, first, second)])
    ]
    # When the handler applies it
    handler(kafka_event(data, source="self-managed", bootstrap_servers="b-1:9092"))
    # Then its one span starts a trace of its own, linked to each request's span
    [batch] = tracer.finished_spans()
    assert batch.parent is None
    linked = [(f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}") for link in batch.links]
    assert linked == [("a" * 32, "1" * 16), ("b" * 32, "2" * 16)]
    assert dict(batch.attributes or {})["cs.events.counted"] == 3
