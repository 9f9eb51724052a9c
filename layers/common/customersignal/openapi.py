"""The OpenAPI 3.1 document of the ingestion API, generated from the same pydantic models the code validates
and answers with, so the contract can't drift from the code. ``GET /v1/openapi.json`` serves it; later fuzzing
runs against it.

Schemas come from ``pydantic.json_schema.models_json_schema`` with ``ref_template
"#/components/schemas/{model}"``: one pass over every model, so a model used by several routes gets one entry
(and, where its input and output shapes differ, ``-Input``/``-Output`` variants).

Success is 200 on every ingestion route, not 202: the API answers only after Kafka has acknowledged every
accepted event (``EventPublisher.publish`` returns once the broker holds them), so the work is done, not queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from customersignal.domain.events import EventsRequest
from customersignal.domain.responses import ErrorResponse, IngestResponse, SegmentResponse
from customersignal.domain.segment import (
    SegmentAlias,
    SegmentBatch,
    SegmentGroup,
    SegmentIdentify,
    SegmentPage,
    SegmentScreen,
    SegmentTrack,
)
from customersignal.domain.segment_browser import TelemetryRequest, TelemetryResponse

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
INGEST_ERROR_STATUSES = (400, 401, 403, 413, 415, 429, 503)

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "cs_…",
        "description": "A project API key: `Authorization: Bearer cs_...`.",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "Segment's convention: the API key (the 'write key') as the username, empty password.",
    },
}

_ERRORS: dict[int, tuple[str, str]] = {  # status -> (component name, description)
    400: (
        "BadRequest",
        "The body can't be read: malformed_json, invalid_body, or malformed_content_encoding (not the gzip or "
        "deflate its Content-Encoding says, or truncated).",
    ),
    401: ("Unauthorized", "No API key, or one we don't know."),
    403: ("Forbidden", "The key is revoked or lacks the scope."),
    404: ("NotFound", "Nothing of that name or id in this tenant."),
    409: ("Conflict", "The request conflicts with the current state (error.message names what)."),
    413: (
        "PayloadTooLarge",
        "request_too_large (over 1 MB, after undoing Content-Encoding) or too_many_events (over 500).",
    ),
    415: (
        "UnsupportedMediaType",
        "The body is not JSON (unsupported_media_type), or its Content-Encoding is not gzip, deflate or identity "
        "(unsupported_content_encoding, naming it).",
    ),
    422: (
        "UnprocessableContent",
        "Well-formed but unusable, or against a rule of the resource: error.code names it (invalid_filter, naming "
        "filter[i].field or step[i].filters[j].field; invalid_step; query_too_slow, saying what to do; "
        "too_many_rollups; not_numeric) and error.field the field.",
    ),
    429: ("TooManyRequests", "The project is over its rate; retry after Retry-After seconds."),
    503: ("ServiceUnavailable", "Kafka (or the key store) is unavailable; nothing was accepted. Retry later."),
}

_HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}},
    "RateLimit-Limit": {"description": "The project's burst capacity, in events.", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "Events left in the bucket now.", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "Seconds until the bucket is full again.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {
        "description": "Seconds to wait before retrying, as Segment's browser SDK reads it (equals Retry-After).",
        "schema": {"type": "integer"},
    },
}
# Every body may come compressed (http.RequestContext.body undoes it); a bomb is refused with 413 at 1 MB
CONTENT_ENCODING: dict[str, Any] = {
    "name": "Content-Encoding",
    "in": "header",
    "required": False,
    "description": (
        "gzip or deflate (zlib) to send the body compressed, as Segment's server SDKs do; identity or none for a "
        "plain body. Anything else is 415 unsupported_content_encoding; bytes that are not that coding are 400 "
        "malformed_content_encoding; a body inflating past 1 MB is 413 request_too_large."
    ),
    "schema": {"type": "string", "enum": ["gzip", "deflate", "identity"]},
}
_ERROR_HEADERS = {
    429: ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-RateLimit-Reset"),
    503: ("Retry-After",),
}


@dataclass(frozen=True)
class RouteDoc:
    """What the document says about one route.

    ``request_model`` None: no body. ``response_model`` None: the body is a free-form JSON object.
    ``rejected_status``: the status when every event was rejected, if it is not ``success_status`` (the Segment
    endpoints answer 400, with ``response_model`` as the body). ``auth`` empty with ``scopes`` empty: public.
    """

    path: str
    method: Literal["get", "post", "patch", "put", "delete", "options"]
    summary: str
    request_model: type[BaseModel] | None
    success_status: int = 200
    scopes: tuple[str, ...] = ("ingest",)
    response_model: type[BaseModel] | None = IngestResponse
    auth: tuple[str, ...] = ("bearer",)
    error_statuses: tuple[int, ...] = INGEST_ERROR_STATUSES
    rejected_status: int | None = None
    description: str = ""
    parameters: tuple[dict[str, Any], ...] = ()


def _segment_route(call: str, model: type[BaseModel], summary: str) -> RouteDoc:
    return RouteDoc(
        path=f"/v1/{call}",
        method="post",
        summary=summary,
        request_model=model,
        response_model=SegmentResponse,
        auth=("bearer", "basic"),
        rejected_status=400,
        description=(
            "Segment-compatible. 200 when at least one event was accepted, 400 (with the per-event results) when "
            "all were rejected, so that Segment SDKs don't retry data that can't become valid."
        ),
    )


def _segment_browser_route(letter: str, call: str, model: type[BaseModel]) -> RouteDoc:
    return RouteDoc(
        path=f"/v1/{letter}",
        method="post",
        summary=f"Segment browser SDK {call} (analytics.js posts here when apiHost is <host>/v1)",
        request_model=model,
        response_model=SegmentResponse,
        auth=("bearer", "basic"),
        rejected_status=400,
        description=(
            "As /v1/" + call + ", for Segment's browser SDK: the body may carry the key as writeKey instead of an "
            "Authorization header (the header wins when both are sent), text/plain bodies are JSON, and responses "
            "allow any origin (CORS; the OPTIONS preflight allows Authorization, Content-Type and X-Retry-Count)."
        ),
    )


def _preflight_route(letter: str) -> RouteDoc:
    return RouteDoc(
        path=f"/v1/{letter}",
        method="options",
        summary="CORS preflight for Segment's browser SDK",
        request_model=None,
        success_status=204,
        scopes=(),
        response_model=None,
        auth=(),
        error_statuses=(),
        description=(
            "Any origin may POST here with the headers analytics.js sends: Authorization, Content-Type and "
            "X-Retry-Count (its retries). Cached by the browser for two hours."
        ),
    )


TELEMETRY_ROUTE = RouteDoc(
    path="/v1/m",
    method="post",
    summary="Segment browser SDK telemetry: taken and counted, never stored",
    request_model=TelemetryRequest,
    scopes=(),
    response_model=TelemetryResponse,
    auth=(),
    error_statuses=(400, 413, 415),
    description=(
        "analytics.js posts counters about itself here every 30 s (no write key). Segment's API takes them; so do "
        "we: the answer is 200 and only their number is kept, as the BrowserSdkTelemetry metric."
    ),
)


INGEST_ROUTES: list[RouteDoc] = [
    RouteDoc(
        path="/v1/events",
        method="post",
        summary="Send one event, or up to 500 as {events: [...]}",
        request_model=EventsRequest,
        description=(
            "Answers 200 once every accepted event is in Kafka; each event's verdict is in results. At most 1 MB "
            "per request and 32 KB per event."
        ),
    ),
    _segment_route("track", SegmentTrack, "Segment track: record an event"),
    _segment_route("identify", SegmentIdentify, "Segment identify: who the user is"),
    _segment_route("page", SegmentPage, "Segment page: a page view"),
    _segment_route("screen", SegmentScreen, "Segment screen: a screen view"),
    _segment_route("group", SegmentGroup, "Segment group: the user's account or organisation"),
    _segment_route("alias", SegmentAlias, "Segment alias: merge two user ids"),
    _segment_route("batch", SegmentBatch, "Segment batch: up to 500 messages of any type"),
    _segment_browser_route("t", "track", SegmentTrack),
    _segment_browser_route("i", "identify", SegmentIdentify),
    _segment_browser_route("p", "page", SegmentPage),
    _segment_browser_route("s", "screen", SegmentScreen),
    _segment_browser_route("g", "group", SegmentGroup),
    _segment_browser_route("a", "alias", SegmentAlias),
    _segment_browser_route("b", "batch", SegmentBatch),
    TELEMETRY_ROUTE,
    *(_preflight_route(letter) for letter in "tipsgabm"),
    RouteDoc(
        path="/v1/openapi.json",
        method="get",
        summary="This document",
        request_model=None,
        scopes=(),
        response_model=None,
        auth=(),
        error_statuses=(),
    ),
]


_Refs = dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, str]]


def build_openapi(
    routes: Sequence[RouteDoc], *, title: str = "CustomerSignal ingestion API", version: str = "1"
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``routes``, as a JSON-ready dict."""
    refs, schemas = _component_schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method] = _operation(route, refs)
    error = refs[(ErrorResponse, "serialization")]
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": SECURITY_SCHEMES,
            "headers": _HEADERS,
            "responses": {name: _error_response(status, error) for status, (name, _) in _ERRORS.items()},
        },
    }


def _component_schemas(routes: Sequence[RouteDoc]) -> tuple[_Refs, dict[str, Any]]:
    """One pass over every model: the $ref of each (model, mode), and the schemas they point to."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorResponse, "serialization")]
    for route in routes:
        if route.request_model is not None:
            models.append((route.request_model, "validation"))
        if route.response_model is not None:
            models.append((route.response_model, "serialization"))
    unique = list(dict.fromkeys(models))
    keys, document = models_json_schema(unique, ref_template=REF_TEMPLATE)
    refs: _Refs = {key: {"$ref": keys[key]["$ref"]} for key in unique}
    return refs, document.get("$defs", {})


def _operation(route: RouteDoc, refs: _Refs) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.method + route.path.replace("/", "_").replace(".", "_"),
        "summary": route.summary,
        "security": [{scheme: list(route.scopes)} for scheme in route.auth],
        "responses": _responses(route, refs),
    }
    if route.description:
        operation["description"] = route.description
    if route.parameters:
        operation["parameters"] = list(route.parameters)
    if route.request_model is not None:
        schema = refs[(route.request_model, "validation")]
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        operation["parameters"] = [*operation.get("parameters", ()), CONTENT_ENCODING]
    return operation


def _responses(route: RouteDoc, refs: _Refs) -> dict[str, Any]:
    body = refs[(route.response_model, "serialization")] if route.response_model else {"type": "object"}
    responses: dict[str, Any] = {
        str(route.success_status): {"description": "Success.", "content": {"application/json": {"schema": body}}}
    }
    if route.success_status == 204:
        responses["204"] = {"description": "Done; no body."}
    statuses = route.error_statuses
    if route.request_model is not None and 415 not in statuses:
        statuses = (*statuses, 415)  # every route that reads a JSON body refuses other types (http.require_json)
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{_ERRORS[status][0]}"}
    if route.rejected_status is not None:
        either = {"oneOf": [body, refs[(ErrorResponse, "serialization")]]}
        responses[str(route.rejected_status)] = {
            "description": "Every event was rejected (the body has the per-event results), or the body can't be read.",
            "content": {"application/json": {"schema": either}},
        }
    return responses


def _error_response(status: int, error: dict[str, str]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERRORS[status][1],
        "content": {"application/json": {"schema": error}},
    }
    if status in _ERROR_HEADERS:
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in _ERROR_HEADERS[status]}
    return response
