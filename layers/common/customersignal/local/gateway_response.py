"""The Lambda side of the local gateway: Chalice's per-invocation state kept per thread, and the HTTP response
API Gateway makes of a Lambda proxy response (``customersignal.local.gateway`` says what is reproduced)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalice.app import Chalice

from customersignal.local.runtime import LAMBDA_PAYLOAD_LIMIT

# Response headers a Lambda proxy integration may not set: API Gateway renames them.
REMAPPED_RESPONSE_HEADERS = frozenset(
    {"authorization", "connection", "content-length", "date", "server", "www-authenticate", "x-amzn-requestid"}
)
_PROXY_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


class _PerThreadInvocation:
    """Keeps Chalice's per-invocation attributes per thread (see the module docstring)."""

    _invocation_state = threading.local()

    @property
    def current_request(self) -> Any:
        return getattr(self._invocation_state, "current_request", None)

    @current_request.setter
    def current_request(self, value: Any) -> None:
        self._invocation_state.current_request = value

    @property
    def lambda_context(self) -> Any:
        return getattr(self._invocation_state, "lambda_context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._invocation_state.lambda_context = value


def per_thread(app: Chalice) -> Chalice:
    if not isinstance(app, _PerThreadInvocation):
        cls = type(app)
        app.__class__ = type(
            f"Local{cls.__name__}", (_PerThreadInvocation, cls), {"_invocation_state": threading.local()}
        )
    return app


class MalformedProxyResponseError(ValueError):
    pass


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    with_ids: bool = True
    """API Gateway adds x-amzn-RequestId, x-amz-apigw-id and X-Amzn-Trace-Id (not on front-door errors)."""


def _header_values(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_header_value(v) for v in value]
    return [_header_value(value)]


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedProxyResponseError(f"header value {value!r} is not a string")


def _merge_headers(single: Mapping[str, Any], multi: Mapping[str, Any]) -> list[tuple[str, str]]:
    """API Gateway merges ``headers`` into ``multiValueHeaders``; a pair present in both appears once."""
    merged: dict[str, tuple[str, list[str]]] = {}
    for name, value in multi.items():
        spelling, values = merged.setdefault(name.lower(), (name, []))
        values.extend(_header_values(value))
    for name, value in single.items():
        spelling, values = merged.setdefault(name.lower(), (name, []))
        for one in _header_values(value):
            if one not in values:
                values.append(one)
    out: list[tuple[str, str]] = []
    for key, (spelling, values) in merged.items():
        name = f"x-amzn-Remapped-{spelling}" if key in REMAPPED_RESPONSE_HEADERS else spelling
        out.extend((name, value) for value in values)
    return out


def _status(result: dict[str, Any]) -> int:
    status = result.get("statusCode")
    if isinstance(status, str) and status.isascii() and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedProxyResponseError(f"statusCode {status!r}")
    return status


def _payload(result: dict[str, Any], binary_accepted: bool) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedProxyResponseError(f"body is {type(body).__name__}, not a string")
    if not result.get("isBase64Encoded") or not binary_accepted:  # the latter: clients get the base64 text
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise MalformedProxyResponseError("isBase64Encoded but the body is not base64") from exc


def proxy_response(result: Any, binary_accepted: bool = True) -> HttpResponse:
    """The HTTP response API Gateway makes of a Lambda proxy response (raises when API Gateway gives 502).

    A base64 body (``isBase64Encoded``) is decoded only when the request's Accept header names one of the
    API's binary media types (``binary_accepted``); otherwise API Gateway passes the base64 text on.
    """
    if not isinstance(result, dict):
        raise MalformedProxyResponseError(f"the function returned {type(result).__name__}, not an object")
    extra = set(result) - _PROXY_RESPONSE_KEYS
    if extra:
        raise MalformedProxyResponseError(f"unexpected fields {sorted(extra)}")
    status = _status(result)
    single, multi = result.get("headers") or {}, result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponseError("headers and multiValueHeaders must be objects")
    payload = _payload(result, binary_accepted)
    if len(payload) > LAMBDA_PAYLOAD_LIMIT // 2 and len(json.dumps(result, default=str)) > LAMBDA_PAYLOAD_LIMIT:
        raise MalformedProxyResponseError(f"the response is larger than Lambda's {LAMBDA_PAYLOAD_LIMIT} bytes")
    headers = _merge_headers(single, multi)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))  # API Gateway's default for proxy responses
    return HttpResponse(status, headers, payload)


# --- the ASGI application ------------------------------------------------------------------------------


def _json_error(status: int, message_json: bytes, error_type: str | None) -> HttpResponse:
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, message_json)


MISSING_AUTH_TOKEN = _json_error(
    403, b'{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException"
)
FORBIDDEN = _json_error(403, b'{"message":"Forbidden"}', "ForbiddenException")
INTERNAL_ERROR = _json_error(502, b'{"message": "Internal server error"}', "InternalServerErrorException")
TIMED_OUT = _json_error(504, b'{"message": "Endpoint request timed out"}', None)
LAMBDA_REQUEST_TOO_LONG = _json_error(413, b'{"message": "Request Too Long"}', "BadRequestException")
# An HTTP API's own answers differ: no route is a 404, a failing function a 500, a timeout a 503
HTTP_API_NOT_FOUND = _json_error(404, b'{"message":"Not Found"}', None)
HTTP_API_INTERNAL_ERROR = _json_error(500, b'{"message":"Internal Server Error"}', None)
HTTP_API_TIMED_OUT = _json_error(503, b'{"message":"Service Unavailable"}', None)


def payload_too_large(limit: int) -> HttpResponse:
    """API Gateway's front door answers this one itself, in plain text and without a request id."""
    body = f"HTTP content length exceeded {limit} bytes.".encode()
    return HttpResponse(413, [("Content-Type", "text; charset=utf-8")], body, with_ids=False)


class BodyTooLargeError(Exception):
    pass
