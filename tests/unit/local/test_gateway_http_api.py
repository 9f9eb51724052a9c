"""The local gateway as an HTTP API (payload format 1.0): the event has the fields of AWS's documented example
("Create AWS Lambda proxy integrations for HTTP APIs", format 1.0), chosen from the template's HttpApi events."""

from __future__ import annotations

import pytest

from customersignal.local.gateway_event import GatewayConfig, GatewayRequest, build_event, http_api_is_binary
from customersignal.local.gateway_routing import RouteMatch
from customersignal.local.serve import read_spec
from tests.fixtures.services import ROOT

pytestmark = pytest.mark.unit

# The top-level and requestContext keys of AWS's format 1.0 example
AWS_1_0_KEYS = {
    "version", "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
    "multiValueQueryStringParameters", "requestContext", "pathParameters", "stageVariables", "body",
    "isBase64Encoded",
}  # fmt: skip
AWS_1_0_CONTEXT_KEYS = {
    "accountId", "apiId", "authorizer", "domainName", "domainPrefix", "extendedRequestId", "httpMethod",
    "identity", "path", "protocol", "requestId", "requestTime", "requestTimeEpoch", "resourceId", "resourcePath",
    "stage",
}  # fmt: skip


def request(content_type: str, encoding: str | None = None) -> GatewayRequest:
    headers = [(b"host", b"api.example.com"), (b"content-type", content_type.encode())]
    if encoding:
        headers.append((b"content-encoding", encoding.encode()))
    scope = {"method": "POST", "path": "/v1/events/abc", "headers": headers, "query_string": b"a=1&a=2"}
    return GatewayRequest.from_scope(scope)


def test_an_http_api_event_has_the_documented_1_0_shape() -> None:
    match = RouteMatch("/v1/events/{event_id}", {"event_id": "abc"})
    event = build_event(request("application/json"), match, b"{}", GatewayConfig(api_type="HTTP"), ())
    assert set(event) == AWS_1_0_KEYS
    assert set(event["requestContext"]) == AWS_1_0_CONTEXT_KEYS
    assert event["version"] == "1.0"
    context = event["requestContext"]
    assert (context["stage"], context["resourcePath"]) == ("$default", match.resource)
    assert context["path"] == "/v1/events/abc"  # no stage in it: the $default stage
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert (event["body"], event["isBase64Encoded"]) == ("{}", False)


def test_a_rest_event_has_no_version() -> None:
    match = RouteMatch("/v1/events/{event_id}", {"event_id": "abc"})
    event = build_event(request("application/json"), match, b"{}", GatewayConfig(), ())
    assert "version" not in event
    assert event["requestContext"]["stage"] == "local"


@pytest.mark.parametrize(
    ("content_type", "encoding", "binary"),
    [
        ("application/json", None, False),
        ("text/plain; charset=utf-8", None, False),
        ("application/json", "gzip", True),  # compressed bytes are not text
        ("application/octet-stream", None, True),
        ("application/x-www-form-urlencoded", None, True),
    ],
)
def test_an_http_api_base64_encodes_what_it_does_not_know_to_be_text(
    content_type: str, encoding: str | None, binary: bool
) -> None:
    assert http_api_is_binary(content_type, encoding) is binary


def test_serve_reads_the_gateway_kind_from_the_functions_events() -> None:
    assert read_spec(ROOT / "template.yaml", "ApiFunction").api_type == "REST"
    assert read_spec(ROOT / "template.yaml", "HttpApiFunction").api_type == "HTTP"
