"""The local API gateway builds API Gateway's REST proxy events and turns proxy responses back into HTTP.

A small Chalice app is built here and driven through raw ASGI calls (no server, no HTTP client), so every
header the gateway sees is the test's own. The events it hands the app are compared with the fixtures in
events/, written in the shape of AWS's documented REST proxy event (payload format 1.0). Two deliberate
differences from AWS's own example are explained in customersignal.local.gateway: header names are
lower case (ASGI servers lower-case them) and the stage is ``local`` served as a custom domain, so
``requestContext.path`` has no stage prefix. Fields that change on every request (ids and times) are
checked for their format, then copied from the fixture before the comparison.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chalice import Chalice, Response

from customersignal.local.gateway import (
    LAMBDA_PAYLOAD_LIMIT,
    GatewayConfig,
    LocalApiGateway,
    MalformedProxyResponseError,
    RouteTable,
    chalice_routes,
    proxy_response,
)
from customersignal.local.serve import ServeError, main, read_spec, template_environment
from customersignal.local.template import TemplateError, api_routes, function_spec, load_template
from tests.support.waits import scaled

pytestmark = pytest.mark.unit

EVENTS = Path(__file__).parent / "events"
CLIENT = ("203.0.113.7", 51234)
TRACE = "Root=1-5e66d96f-7491f09xmpl79d18acf3d050"
VOLATILE = ("requestId", "extendedRequestId", "requestTime", "requestTimeEpoch")


# --- the app under the gateway -------------------------------------------------------------------------


@dataclass
class Invocation:
    event: dict[str, Any]
    thread: int
    context: Any


@dataclass
class Harness:
    app: Chalice
    seen: list[Invocation] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)


def build_app() -> Harness:
    app = Chalice(app_name="gateway-test")
    harness = Harness(app)

    def record() -> None:
        request = app.current_request
        assert request is not None
        harness.seen.append(Invocation(request.to_original_event(), threading.get_ident(), app.lambda_context))

    @app.route("/v1/events", methods=["POST"])
    def post_events() -> Response:
        record()
        return Response(
            body={"accepted": 1},
            status_code=202,
            headers={"X-Trace": "t-1", "Set-Cookie": ["a=1", "b=2"], "WWW-Authenticate": 'Basic realm="cs"'},
        )

    @app.route("/v1/keys/{key_id}", methods=["GET", "DELETE"], cors=True)
    def key(key_id: str) -> dict[str, Any]:
        record()
        query = app.current_request.query_params if app.current_request else None
        return {"key_id": key_id, "tags": query.getlist("tag") if query else []}

    @app.route("/v1/blobs", methods=["PUT"], content_types=["application/octet-stream"])
    def put_blob() -> Response:
        record()
        raw = app.current_request.raw_body if app.current_request else b""
        assert isinstance(raw, bytes)
        return Response(body=raw[::-1], headers={"Content-Type": "application/octet-stream"})

    @app.route("/v1/files/{proxy+}", methods=["GET"])
    def files() -> dict[str, Any]:
        record()
        return {}

    @app.route("/v1/wait", methods=["GET"])
    def wait() -> dict[str, bool]:
        record()
        harness.entered.set()
        return {"released": harness.release.wait(timeout=scaled(10))}

    @app.route("/v1/release", methods=["GET"])
    def release() -> dict[str, bool]:
        record()
        harness.release.set()
        return {"released": True}

    return harness


@pytest.fixture
def harness() -> Harness:
    return build_app()


@pytest.fixture
def gateway(harness: Harness) -> Iterator[LocalApiGateway]:
    gw = LocalApiGateway(harness.app)
    yield gw
    harness.release.set()
    gw.close()


# --- a raw ASGI client ---------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    gateway: LocalApiGateway,
    method: str,
    raw_path: str,
    *,
    query: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | Sequence[bytes] = b"",
    host: str = "localhost:8000",
) -> Reply:
    chunks = [body] if isinstance(body, bytes) else list(body)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", host.encode())] + [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": CLIENT,
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await gateway(scope, receive, send)
    start, body_message = sent
    return Reply(
        start["status"], [(k.decode(), v.decode()) for k, v in start["headers"]], body_message.get("body", b"")
    )


def request(gateway: LocalApiGateway, method: str, raw_path: str, **kwargs: Any) -> Reply:
    return asyncio.run(call(gateway, method, raw_path, **kwargs))


def fixture_event(name: str) -> dict[str, Any]:
    loaded = json.loads((EVENTS / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def normalised(event: dict[str, Any], fixture: dict[str, Any]) -> dict[str, Any]:
    """The event with its per-request fields checked, then replaced by the fixture's."""
    context = dict(event["requestContext"])
    uuid.UUID(context["requestId"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{15}=", context["extendedRequestId"])
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", context["requestTime"])
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["requestTimeEpoch"] > 1_600_000_000_000
    for key in VOLATILE:
        context[key] = fixture["requestContext"][key]
    return {**event, "requestContext": context}


# --- events --------------------------------------------------------------------------------------------


def test_post_event_matches_the_rest_proxy_fixture(gateway: LocalApiGateway, harness: Harness) -> None:
    # Given a JSON POST with a repeated header, a client-side proxy and a trace header
    body = json.dumps({"event_type": "signup", "user_id": "u-1"}).encode()
    headers = [
        ("User-Agent", "analytics-python/2.3.1"),
        ("Accept", "*/*"),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("X-Multi", "a"),
        ("X-Multi", "b"),
        ("X-Amzn-Trace-Id", TRACE),
        ("X-Forwarded-For", "198.51.100.1"),
    ]
    # When it goes through the gateway
    reply = request(gateway, "POST", "/v1/events", headers=headers, body=body)
    # Then the app got exactly the REST proxy event
    assert reply.status == 202
    fixture = fixture_event("post_events.json")
    (seen,) = harness.seen
    assert normalised(seen.event, fixture) == fixture


def test_query_strings_and_path_parameters_match_the_fixture(gateway: LocalApiGateway, harness: Harness) -> None:
    # Given repeated, "+"-encoded, empty, escaped and ";"-separated query parameters and an escaped path
    query = b"scope=admin&tag=a&tag=b+c;empty=&next=a%26b"
    headers = [
        ("User-Agent", "curl/8.5.0"),
        ("Accept", "application/json"),
        ("Authorization", "Bearer cs_live_abc"),
        ("X-Amzn-Trace-Id", TRACE),
    ]
    reply = request(gateway, "GET", "/v1/keys/cs_key%207", query=query, headers=headers)
    # Then the last value is single-valued, every value is multi-valued, and everything is decoded
    assert reply.status == 200
    assert reply.json() == {"key_id": "cs_key 7", "tags": ["a", "b c"]}
    fixture = fixture_event("get_key_query.json")
    (seen,) = harness.seen
    assert normalised(seen.event, fixture) == fixture


def test_binary_body_is_base64_in_the_event_and_raw_in_the_response(gateway: LocalApiGateway, harness: Harness) -> None:
    # Given bytes that are not UTF-8 under a binary media type of the app
    payload = b"\x00\xffCS\x89PNG\r\n"
    headers = [
        ("User-Agent", "curl/8.5.0"),
        ("Accept", "application/octet-stream"),
        ("Content-Type", "application/octet-stream"),
        ("Content-Length", str(len(payload))),
        ("X-Amzn-Trace-Id", TRACE),
    ]
    reply = request(gateway, "PUT", "/v1/blobs", headers=headers, body=payload)
    # Then the event carries base64 and the app's base64 answer comes back as the raw bytes
    fixture = fixture_event("put_blob_binary.json")
    (seen,) = harness.seen
    assert normalised(seen.event, fixture) == fixture
    assert reply.status == 200
    assert reply.body == payload[::-1]
    assert reply.header("content-type") == ["application/octet-stream"]
    assert reply.header("content-length") == [str(len(payload))]


def test_invalid_utf8_under_a_text_type_is_text_as_api_gateway_makes_it(
    gateway: LocalApiGateway, harness: Harness
) -> None:
    # Given bytes that are not UTF-8, sent as JSON (not a binary media type)
    request(gateway, "POST", "/v1/events", headers=[("Content-Type", "application/json")], body=b'{"a":"\xff"}')
    # Then, as on AWS, the body stays text and the bad byte becomes U+FFFD
    (seen,) = harness.seen
    assert seen.event["isBase64Encoded"] is False
    assert seen.event["body"] == '{"a":"\ufffd"}'


def test_body_arriving_in_chunks_is_joined(gateway: LocalApiGateway, harness: Harness) -> None:
    request(gateway, "POST", "/v1/events", headers=[("Content-Type", "application/json")], body=[b'{"a":', b"1}"])
    assert harness.seen[0].event["body"] == '{"a":1}'


def test_gateway_generates_a_trace_id_and_returns_the_request_ids(gateway: LocalApiGateway, harness: Harness) -> None:
    reply = request(gateway, "GET", "/v1/keys/k1")
    (seen,) = harness.seen
    trace = seen.event["headers"]["x-amzn-trace-id"]
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", trace)
    assert seen.event["queryStringParameters"] is None
    assert seen.event["multiValueQueryStringParameters"] is None
    context = seen.event["requestContext"]
    assert reply.header("x-amzn-RequestId") == [context["requestId"]]
    assert reply.header("x-amz-apigw-id") == [context["extendedRequestId"]]
    assert reply.header("X-Amzn-Trace-Id") == [trace]


def test_greedy_path_parameter(gateway: LocalApiGateway, harness: Harness) -> None:
    reply = request(gateway, "GET", "/v1/files/2024/q1%20report.csv/")
    assert reply.status == 200
    event = harness.seen[0].event
    assert event["resource"] == "/v1/files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "2024/q1 report.csv"}
    assert event["path"] == "/v1/files/2024/q1 report.csv/"


def test_lambda_context_has_what_powertools_reads(gateway: LocalApiGateway, harness: Harness) -> None:
    request(gateway, "GET", "/v1/keys/k1")
    context = harness.seen[0].context
    assert context.function_name == "ApiFunction"
    assert context.memory_limit_in_mb == "512"  # a string, as the Python runtime gives it
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    uuid.UUID(context.aws_request_id)
    assert context.aws_request_id != harness.seen[0].event["requestContext"]["requestId"]
    assert 0 < context.get_remaining_time_in_millis() <= 30_000


# --- routing and API Gateway's own answers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nope"),  # unknown resource
        ("GET", "/v1/events"),  # known resource, method it lacks
        ("HEAD", "/v1/keys/k1"),  # no implicit HEAD on REST APIs
        ("OPTIONS", "/v1/events"),  # no CORS on that resource: no preflight method
        ("GET", "/v1/keys"),  # a path parameter needs a segment
        ("GET", "/V1/keys/k1"),  # paths are case-sensitive
    ],
)
def test_unrouted_requests_get_missing_authentication_token(
    gateway: LocalApiGateway, harness: Harness, method: str, path: str
) -> None:
    reply = request(gateway, method, path)
    assert reply.status == 403
    assert reply.body == b'{"message":"Missing Authentication Token"}'
    assert reply.header("x-amzn-ErrorType") == ["MissingAuthenticationTokenException"]
    assert reply.header("content-type") == ["application/json"]
    uuid.UUID(reply.header("x-amzn-RequestId")[0])
    assert harness.seen == []


def test_cors_preflight_is_answered_by_the_gateway(gateway: LocalApiGateway, harness: Harness) -> None:
    reply = request(gateway, "OPTIONS", "/v1/keys/k1")
    assert reply.status == 200
    assert reply.header("Access-Control-Allow-Methods") == ["GET,DELETE,OPTIONS"]
    assert reply.header("Access-Control-Allow-Origin") == ["*"]
    assert reply.body == b""
    assert harness.seen == []


def test_route_table_prefers_literal_then_parameter_then_greedy() -> None:
    table = RouteTable(["/a/b", "/a/{x}", "/a/{x}/c", "/a/{proxy+}", "/"])

    def resolved(path: str) -> tuple[str, dict[str, str]] | None:
        found = table.match(path)
        return None if found is None else (found.resource, found.path_parameters)

    assert resolved("/a/b") == ("/a/b", {})
    assert resolved("/a/z") == ("/a/{x}", {"x": "z"})
    assert resolved("/a/b/c") == ("/a/{x}/c", {"x": "b"})  # backs off the literal /a/b to find /a/{x}/c
    assert resolved("/a/b/d") == ("/a/{proxy+}", {"proxy": "b/d"})
    assert resolved("/") == ("/", {})
    assert resolved("/b") is None


def test_payload_over_10_mb_is_refused_by_declared_length(gateway: LocalApiGateway, harness: Harness) -> None:
    reply = request(gateway, "POST", "/v1/events", headers=[("Content-Length", str(10 * 1024 * 1024 + 1))])
    assert reply.status == 413
    assert reply.body == b"HTTP content length exceeded 10485760 bytes."
    assert harness.seen == []


def test_payload_over_the_limit_is_refused_while_streaming(harness: Harness) -> None:
    gateway = LocalApiGateway(harness.app, GatewayConfig(max_payload_bytes=1000))
    try:
        reply = request(gateway, "POST", "/v1/events", body=[b"x" * 600, b"x" * 600])
    finally:
        gateway.close()
    assert reply.status == 413
    assert reply.body == b"HTTP content length exceeded 1000 bytes."
    assert harness.seen == []


def test_event_over_lambdas_payload_limit_is_refused(gateway: LocalApiGateway, harness: Harness) -> None:
    reply = request(
        gateway, "POST", "/v1/events", headers=[("Content-Type", "application/json")], body=b"1" * LAMBDA_PAYLOAD_LIMIT
    )
    assert reply.status == 413
    assert reply.json() == {"message": "Request Too Long"}
    assert harness.seen == []


def test_integration_timeout_is_504(harness: Harness) -> None:
    gateway = LocalApiGateway(harness.app, GatewayConfig(integration_timeout_s=0.2))
    try:
        reply = request(gateway, "GET", "/v1/wait")
    finally:
        harness.release.set()
        gateway.close()
    assert reply.status == 504
    assert reply.json() == {"message": "Endpoint request timed out"}


def test_function_timeout_before_the_integration_timeout_is_502(harness: Harness) -> None:
    gateway = LocalApiGateway(harness.app, GatewayConfig(function_timeout_s=0.2))
    try:
        reply = request(gateway, "GET", "/v1/wait")
    finally:
        harness.release.set()
        gateway.close()
    assert reply.status == 502
    assert reply.json() == {"message": "Internal server error"}


def test_a_failing_function_is_502() -> None:
    class Broken(Chalice):
        def __call__(self, event: Any, context: Any) -> dict[str, Any]:
            raise RuntimeError("boom")

    app = Broken(app_name="broken")

    @app.route("/")
    def index() -> dict[str, str]:
        return {}

    gateway = LocalApiGateway(app)
    try:
        reply = request(gateway, "GET", "/")
    finally:
        gateway.close()
    assert reply.status == 502
    assert reply.header("x-amzn-ErrorType") == ["InternalServerErrorException"]


def test_api_key_required_routes_need_the_header() -> None:
    app = Chalice(app_name="keys")

    @app.route("/private", api_key_required=True)
    def private() -> dict[str, Any]:
        request_ = app.current_request
        assert request_ is not None
        return dict(request_.context["identity"])

    gateway = LocalApiGateway(app)
    try:
        refused = request(gateway, "GET", "/private")
        allowed = request(gateway, "GET", "/private", headers=[("x-api-key", "k-123")])
    finally:
        gateway.close()
    assert refused.status == 403
    assert refused.json() == {"message": "Forbidden"}
    assert allowed.status == 200
    assert allowed.json()["apiKey"] == "k-123"


# --- responses -----------------------------------------------------------------------------------------


def test_response_headers_are_merged_and_reserved_ones_remapped(gateway: LocalApiGateway) -> None:
    reply = request(gateway, "POST", "/v1/events", headers=[("Content-Type", "application/json")], body=b"{}")
    assert reply.status == 202
    assert reply.json() == {"accepted": 1}
    assert reply.header("Set-Cookie") == ["a=1", "b=2"]
    assert reply.header("X-Trace") == ["t-1"]
    assert reply.header("WWW-Authenticate") == []
    assert reply.header("x-amzn-Remapped-WWW-Authenticate") == ['Basic realm="cs"']
    assert reply.header("Content-Type") == ["application/json"]
    assert reply.header("Content-Length") == [str(len(reply.body))]


def test_proxy_response_conversion() -> None:
    response = proxy_response(
        {
            "statusCode": 201,
            "headers": {"X-One": "1", "X-Both": "same", "Server": "lambda"},
            "multiValueHeaders": {"X-Both": ["same", "other"], "X-Many": ["a", "b"]},
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )
    assert response.status == 201
    assert response.body == b"\x00\x01"
    assert response.headers == [
        ("X-Both", "same"),
        ("X-Both", "other"),
        ("X-Many", "a"),
        ("X-Many", "b"),
        ("X-One", "1"),
        ("x-amzn-Remapped-Server", "lambda"),
        ("Content-Type", "application/json"),
    ]
    assert proxy_response({"statusCode": 204}).body == b""
    # a base64 body the client did not Accept as binary reaches it as the base64 text, as on AWS
    encoded = {"statusCode": 200, "body": "AAE=", "isBase64Encoded": True}
    assert proxy_response(encoded, binary_accepted=False).body == b"AAE="


def test_without_binary_media_types_binary_bodies_arrive_as_text(harness: Harness) -> None:
    # Given an API with no binaryMediaTypes (a SAM Api that declares none)
    gateway = LocalApiGateway(harness.app, GatewayConfig(binary_media_types=()))
    try:
        request(gateway, "PUT", "/v1/blobs", headers=[("Content-Type", "application/octet-stream")], body=b"\x00\xff")
    finally:
        gateway.close()
    # Then the body is text, its invalid byte replaced, as API Gateway would corrupt it
    (seen,) = harness.seen
    assert (seen.event["body"], seen.event["isBase64Encoded"]) == ("\x00\ufffd", False)


@pytest.mark.parametrize(
    "result",
    [
        None,
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": "abc"},
        {"body": "no status"},
        {"statusCode": 200, "unexpected": True},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        {"statusCode": 200, "headers": {"X-Obj": {"a": 1}}},
    ],
)
def test_malformed_proxy_responses_are_refused(result: Any) -> None:
    with pytest.raises(MalformedProxyResponseError):
        proxy_response(result)


# --- threads -------------------------------------------------------------------------------------------


def test_handler_runs_in_a_worker_thread_and_the_loop_keeps_serving(gateway: LocalApiGateway, harness: Harness) -> None:
    async def scenario() -> tuple[int, Reply, Reply]:
        loop_thread = threading.get_ident()
        # Given a request whose handler blocks until another request releases it
        waiting = asyncio.ensure_future(call(gateway, "GET", "/v1/wait"))
        assert await asyncio.to_thread(harness.entered.wait, scaled(10))
        # When the loop serves the releasing request while the first handler still waits
        released = await call(gateway, "GET", "/v1/release")
        return loop_thread, await waiting, released

    loop_thread, waited, released = asyncio.run(scenario())
    # Then both were answered, and neither handler ran on the event loop's thread
    assert waited.json() == {"released": True}
    assert released.status == 200
    assert {inv.thread for inv in harness.seen}.isdisjoint({loop_thread})
    assert len({inv.thread for inv in harness.seen}) == 2


def test_current_request_is_per_thread(harness: Harness) -> None:
    # While one handler waits, another request must not replace the first one's current_request
    app = harness.app
    captured: dict[str, str] = {}

    @app.route("/v1/who/{name}")
    def who(name: str) -> dict[str, str]:
        if name == "first":
            harness.entered.set()
            harness.release.wait(timeout=scaled(10))
        request_ = app.current_request
        assert request_ is not None
        assert request_.uri_params is not None
        captured[name] = request_.uri_params["name"]
        return {"name": name}

    gateway = LocalApiGateway(app)  # routes added after construction need a new table

    async def scenario() -> None:
        first = asyncio.ensure_future(call(gateway, "GET", "/v1/who/first"))
        assert await asyncio.to_thread(harness.entered.wait, scaled(10))
        await call(gateway, "GET", "/v1/who/second")
        harness.release.set()
        await first

    try:
        asyncio.run(scenario())
    finally:
        gateway.close()
    assert captured == {"first": "first", "second": "second"}


# --- template.yaml -------------------------------------------------------------------------------------

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String}
Globals:
  Api:
    BinaryMediaTypes: ["image~1png"]
  Function:
    Runtime: python3.12
    Timeout: 30
    MemorySize: 512
    Environment:
      Variables:
        CS_STAGE: !Ref Stage
        CS_KAFKA_SECURITY_PROTOCOL: SASL_SSL
        POWERTOOLS_SERVICE_NAME: customersignal
        CS_REDIS_URL: !If [UseTls, !Sub "rediss://${Stage}", !Sub "redis://${Stage}"]
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/api/
      Handler: app.app
      Environment:
        Variables:
          POWERTOOLS_SERVICE_NAME: ingest
          EXTRA: "1"
      Events:
        PostEvents:
          Type: Api
          Properties: {RestApiId: !Ref RestApi, Path: /v1/events, Method: post}
        GetKey:
          Type: Api
          Properties: {Path: "/v1/keys/{key_id}", Method: GET}
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
        V2:
          Type: HttpApi
          Properties: {Path: /v2, Method: GET}
  RestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      BinaryMediaTypes: ["application~1octet-stream"]
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !GetAtt Other.Name
"""


@pytest.fixture
def template_file(tmp_path: Path) -> Path:
    (tmp_path / "functions" / "api").mkdir(parents=True)
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return path


def test_load_template_keeps_intrinsics_as_data(template_file: Path) -> None:
    template = load_template(template_file)
    assert template["Resources"]["Bucket"]["Properties"]["BucketName"] == {"Fn::GetAtt": ["Other", "Name"]}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CS_STAGE"] == {"Ref": "Stage"}
    assert variables["CS_REDIS_URL"] == {
        "Fn::If": ["UseTls", {"Fn::Sub": "rediss://${Stage}"}, {"Fn::Sub": "redis://${Stage}"}]
    }


def test_function_spec_merges_globals(template_file: Path) -> None:
    spec = function_spec(load_template(template_file), "ApiFunction")
    assert spec.code_uri == Path("functions/api/")
    assert (spec.handler, spec.handler_module, spec.handler_attribute) == ("app.app", "app", "app")
    assert spec.environment == {
        "CS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "POWERTOOLS_SERVICE_NAME": "ingest",  # the function's value wins over Globals
        "EXTRA": "1",
    }
    assert set(spec.unresolved_env) == {"CS_STAGE", "CS_REDIS_URL"}
    assert set(spec.events) == {"PostEvents", "GetKey", "Tick", "V2"}
    assert (spec.timeout_s, spec.memory_mb) == (30, 512)
    assert spec.binary_media_types == ("application/octet-stream", "image/png")
    located = function_spec(load_template(template_file), "ApiFunction", base_dir=template_file.parent)
    assert located.code_uri == (template_file.parent / "functions" / "api").resolve()


def test_api_routes_are_the_rest_and_http_api_events(template_file: Path) -> None:
    assert api_routes(load_template(template_file), "ApiFunction") == {
        ("/v1/events", "POST"),
        ("/v1/keys/{key_id}", "GET"),
        ("/v2", "GET"),
    }


def test_a_function_with_any_rest_event_is_served_as_rest(template_file: Path) -> None:
    # the local gateway plays one kind per function; an HTTP API only when every API event is an HttpApi one
    assert function_spec(load_template(template_file), "ApiFunction").api_type == "REST"


def test_template_routes_can_be_compared_with_the_app(template_file: Path) -> None:
    app = Chalice(app_name="contract")

    @app.route("/v1/events", methods=["POST"])
    def post() -> None: ...

    @app.route("/v1/keys/{key_id}", methods=["GET"])
    def get(key_id: str) -> None: ...

    @app.route("/v2", methods=["GET"])
    def v2() -> None: ...

    assert chalice_routes(app) == api_routes(load_template(template_file), "ApiFunction")


def test_unknown_function_names_the_ones_there_are(template_file: Path) -> None:
    with pytest.raises(TemplateError, match=r"ApiFunction"):
        function_spec(load_template(template_file), "Nope")
    with pytest.raises(TemplateError, match=r"AWS::S3::Bucket"):
        function_spec(load_template(template_file), "Bucket")


def test_serve_takes_plain_non_settings_variables_the_caller_has_not_set(
    template_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXTRA", "from-the-shell")
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    spec = read_spec(template_file, "ApiFunction")
    to_set, left_out = template_environment(spec)
    assert to_set == {"POWERTOOLS_SERVICE_NAME": "ingest"}
    assert left_out == ["CS_KAFKA_SECURITY_PROTOCOL", "CS_REDIS_URL", "CS_STAGE", "EXTRA"]


def test_serve_explains_a_missing_template_or_function(
    template_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ServeError, match="--template"):
        read_spec(tmp_path / "absent.yaml", "ApiFunction")
    assert main(["--template", str(template_file), "--function", "Nope"]) == 2
    assert "--function NAME" in capsys.readouterr().err


def test_concurrency_one_invokes_inline_on_the_loop_thread(harness: Harness) -> None:
    # Given a gateway with Lambda's one-invocation-at-a-time model
    gateway = LocalApiGateway(harness.app, GatewayConfig(concurrency=1))
    try:
        # When a request arrives / Then the handler runs on the event loop's own thread (no thread hop)
        reply = request(gateway, "POST", "/v1/events", body=b'{"a": 1}', headers=[("content-type", "application/json")])
    finally:
        gateway.close()
    assert reply.status == 202
    assert [inv.thread for inv in harness.seen] == [threading.get_ident()]


def test_concurrency_one_still_reports_a_function_timeout_as_502() -> None:
    # Given a function slower than its timeout, invoked inline
    app = Chalice(app_name="slow")

    @app.route("/slow")
    def slow() -> dict[str, bool]:
        time.sleep(0.3)
        return {"done": True}

    gateway = LocalApiGateway(app, GatewayConfig(concurrency=1, function_timeout_s=0.1))
    try:
        reply = request(gateway, "GET", "/slow")
    finally:
        gateway.close()
    # Then the answer is what API Gateway gives when Lambda ends the invocation
    assert reply.status == 502
    assert reply.json() == {"message": "Internal server error"}
