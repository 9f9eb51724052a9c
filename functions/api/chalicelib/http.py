"""The HTTP edge: request context, the one exception-to-status table, and JSON responses."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.deps import get_tracer
from customersignal.domain.content_encoding import decode_body
from customersignal.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RetryableError,
    Unauthenticated,
    Unavailable,
    Unprocessable,
    UnsupportedMediaType,
)
from customersignal.domain.events import MAX_REQUEST_BYTES
from customersignal.domain.tracing import TraceContext, parse_traceparent
from customersignal.observability import logger

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    MalformedRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    Unprocessable: 422,
    RateLimited: 429,
    Unavailable: 503,
}

JSON_TYPES = ("application/json", "text/plain")  # Segment's browser SDK posts JSON as text/plain


@dataclass(frozen=True)
class RequestContext:
    request: Request
    request_id: str
    trace: TraceContext
    received_at: datetime
    started: float

    def body(self) -> bytes:
        """The body as the client meant it: Content-Encoding (gzip, deflate) undone, once per request."""
        return self._decoded_body

    @functools.cached_property
    def _decoded_body(self) -> bytes:
        raw: str | bytes = self.request.raw_body
        body = raw if isinstance(raw, bytes) else raw.encode()
        encoding = self.header("content-encoding")
        # every route's bodies are bounded by the ingest limit: nothing we take is larger
        return body if encoding is None else decode_body(body, encoding, max_bytes=MAX_REQUEST_BYTES)

    def header(self, name: str) -> str | None:
        value: str | None = self.request.headers.get(name)
        return value


def status_for(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def json_response(status: int, body: Any, ctx: RequestContext, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=orjson.dumps(body).decode(),
        status_code=status,
        headers={
            "Content-Type": "application/json",
            "X-Request-Id": ctx.request_id,
            "traceparent": ctx.trace.traceparent,
            **(headers or {}),
        },
    )


def error_response(error: DomainError, ctx: RequestContext) -> Response:
    status = status_for(error)
    headers: dict[str, str] = {}
    if isinstance(error, RetryableError):
        headers["Retry-After"] = str(error.retry_after_s)
    if isinstance(error, RateLimited):
        headers |= rate_limit_headers(error.limit, error.remaining, error.reset_after_s)
        # Segment's browser SDK waits X-RateLimit-Reset seconds before retrying a 429 (else a fixed 5 s)
        headers["X-RateLimit-Reset"] = str(error.retry_after_s)
    body = {
        "error": {"code": error.code, "message": error.message, "field": error.field},
        "request_id": ctx.request_id,
        "trace_id": ctx.trace.trace_id,
    }
    log = logger.warning if status >= 500 else logger.info
    log("request refused", status=status, code=error.code)
    return json_response(status, body, ctx, headers)


def rate_limit_headers(limit: int, remaining: int, reset_after_s: float) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, remaining)),
        "RateLimit-Reset": str(max(0, math.ceil(reset_after_s))),
    }


def require_json(ctx: RequestContext) -> None:
    content_type = (ctx.header("content-type") or "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise UnsupportedMediaType(
            "unsupported_media_type", f"send JSON with 'Content-Type: application/json' (got '{content_type}')"
        )


def edge(bp: Blueprint) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Wrap a view: one server span per request (in the caller's trace when its ``traceparent`` is valid),
    its RequestContext, and domain errors turned into responses (the only place)."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(**path_params: str) -> Response:
            request = bp.current_request
            request_id = str(request.context.get("requestId") or "")
            route = str(request.context.get("resourcePath") or "")
            attributes = {"http.request.method": request.method, "http.route": route, "cs.request_id": request_id}
            parent = parse_traceparent(request.headers.get("traceparent"))
            with get_tracer().span(
                f"{request.method} {route}", kind="server", parent=parent, attributes=attributes
            ) as span:
                # thread-local keys: the local gateway serves several requests per process at once
                logger.thread_safe_clear_keys()
                logger.thread_safe_append_keys(request_id=request_id, trace_id=span.context.trace_id)
                ctx = RequestContext(request, request_id, span.context, datetime.now(UTC), time.perf_counter())
                try:
                    response = view(ctx, **path_params)
                except DomainError as error:
                    response = error_response(error, ctx)
                span.set_attribute("http.response.status_code", response.status_code)
                return response

        return wrapper

    return decorate
