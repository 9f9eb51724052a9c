"""The OpenAPI 3.1 document: valid, generated from the code's models, and complete for every ingest route."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from openapi_spec_validator import validate

from customersignal.openapi import INGEST_ROUTES, RouteDoc, build_openapi
from customersignal.openapi_alerts import ALERT_ROUTES
from customersignal.openapi_dashboard import DASHBOARD_ROUTES
from customersignal.openapi_funnels import FUNNEL_ROUTES
from customersignal.openapi_people import PEOPLE_ROUTES

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi([*INGEST_ROUTES, *DASHBOARD_ROUTES, *PEOPLE_ROUTES, *FUNNEL_ROUTES, *ALERT_ROUTES])


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    # Given the generated document; When it is validated; Then it is an OpenAPI 3.1 document
    validate(document)
    assert document["openapi"] == "3.1.0"
    # And it is plain JSON (the route serves it as is)
    assert orjson.loads(orjson.dumps(document)) == document


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    # Given every $ref in the document; Then each points at something the document defines
    for ref in _refs(document):
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert node, ref


def test_every_ingest_route_is_documented(document: dict[str, Any]) -> None:
    # Given the routes of issue 3; Then each appears with its method
    long_names = ("events", "track", "identify", "page", "screen", "group", "alias", "batch")
    expected = {f"/v1/{name}" for name in (*long_names, "t", "i", "p", "s", "g", "a", "b")}
    assert {path for path, ops in document["paths"].items() if "post" in ops} >= expected
    assert "get" in document["paths"]["/v1/openapi.json"]


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=f"{r.method} {r.path}")
        for r in [*INGEST_ROUTES, *DASHBOARD_ROUTES, *PEOPLE_ROUTES, *FUNNEL_ROUTES, *ALERT_ROUTES]
    ],
)
def test_each_route_has_its_responses_and_security(document: dict[str, Any], route: RouteDoc) -> None:
    # Given one route's operation
    operation = document["paths"][route.path][route.method]
    responses = operation["responses"]
    # Then it documents success, the error statuses, and who may call it
    assert str(route.success_status) in responses
    assert {str(s) for s in route.error_statuses} <= set(responses)
    assert operation["security"] == [{scheme: list(route.scopes)} for scheme in route.auth]
    assert ("requestBody" in operation) is (route.request_model is not None)


def test_rate_limit_and_unavailable_responses_carry_their_headers(document: dict[str, Any]) -> None:
    # Given the shared error responses
    responses = document["components"]["responses"]
    # Then 429 carries Retry-After and the RateLimit trio, and 503 carries Retry-After
    assert set(responses["TooManyRequests"]["headers"]) == {
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "X-RateLimit-Reset",
    }
    assert set(responses["ServiceUnavailable"]["headers"]) == {"Retry-After"}


def test_schemas_come_from_the_models(document: dict[str, Any]) -> None:
    # Given the component schemas
    schemas = document["components"]["schemas"]
    # Then the event model's rules are the code's rules, and the error codes are enumerated
    event = schemas["IncomingEvent"]
    assert event["required"] == ["event_id", "event_type"]
    assert event["additionalProperties"] is False
    assert event["properties"]["event_type"]["maxLength"] == 128
    assert "missing_identity" in schemas["EventErrorCode"]["enum"]
    assert set(schemas["ErrorResponse"]["required"]) == {"error", "request_id", "trace_id"}


def test_security_schemes_are_bearer_and_basic(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert (schemes["bearer"]["scheme"], schemes["basic"]["scheme"]) == ("bearer", "basic")
