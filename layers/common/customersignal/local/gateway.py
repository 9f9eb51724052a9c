"""A local API Gateway: serves any Chalice app as API Gateway REST (Lambda proxy integration) would.

``LocalApiGateway(chalice_app)`` is an ASGI application. Each HTTP request becomes the REST proxy event
(payload format 1.0) that API Gateway would send to Lambda, the app is called with it and a Lambda
context in a worker thread, and the proxy response dict becomes the HTTP response. What API Gateway does
itself is reproduced where a client or the app can notice it:

* routing on the app's resources, most specific first (literal, then ``{param}``, then ``{proxy+}``); an
  unknown path *or* a method the resource lacks is ``403 {"message":"Missing Authentication Token"}``;
  ``OPTIONS`` is answered (as the MOCK preflight Chalice deploys) only on resources with CORS;
* the event: ``headers``/``queryStringParameters`` hold the last value of each name, the ``multiValue*``
  maps all of them, empty maps are ``null``; the query string is split on ``&`` and ``;`` and decoded with
  ``+`` as a space; path parameters are percent-decoded; the body is base64 (``isBase64Encoded``) only
  when the Content-Type is a binary media type, otherwise it is text (invalid UTF-8 becomes U+FFFD, as
  API Gateway corrupts binary sent under a text type); a base64 response is decoded only for a request
  whose Accept header names a binary media type, otherwise the client gets the base64 text;
* the gateway's own headers on the way in (``X-Forwarded-For/Port/Proto``, ``X-Amzn-Trace-Id``) and out
  (``x-amzn-RequestId``, ``x-amz-apigw-id``, ``X-Amzn-Trace-Id``); response headers API Gateway reserves
  (``Date``, ``Server``, ``WWW-Authenticate``...) come back renamed ``x-amzn-Remapped-<name>``;
* limits: 10 MB request payload (413), Lambda's 6 MB invocation payload both ways (413 in, 502 out),
  the 29 s integration timeout (504), and a failing or malformed function answer (502).

The stage is ``local`` and the server plays a custom domain mapped onto that stage with an empty base
path: ``path`` and ``requestContext.path`` are both the path the client asked for, and ``domainName`` is
its Host header. (On the ``execute-api`` domain ``requestContext.path`` would start with ``/local``.)

Header names reach the event in lower case: ASGI servers lower-case them, so the client's spelling is
gone. API Gateway keeps the client's spelling (and HTTP/2 clients send lower case anyway), so the app
must read headers case-insensitively, as Chalice's ``Request.headers`` does.

Chalice keeps ``current_request`` and ``lambda_context`` on the app object. Lambda runs one invocation at
a time per container; this gateway runs up to ``concurrency`` at once in threads, so the app's class is
swapped for a subclass that keeps both per thread (as ``chalice local`` does for ``current_request``).
Other process-wide state (Powertools Logger keys, Metrics buffers) is shared by concurrent invocations
here and not in Lambda; ``concurrency=1`` gives Lambda's one-at-a-time semantics per worker process.

Local runs only: this module is left out of the Lambda layer (layers/common/Makefile).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus

from chalice.app import Chalice
from chalice.local import LocalGatewayAuthorizer, LocalGatewayException

from customersignal.local.gateway_stats import ResponseCounts, StatsWriter

# LAMBDA_PAYLOAD_LIMIT is re-exported: it is this module's limit too
from customersignal.local.runtime import LAMBDA_PAYLOAD_LIMIT as LAMBDA_PAYLOAD_LIMIT
from customersignal.local.runtime import LambdaContext, new_log_stream_name

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)

STAGE = "local"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway REST request payload
INTEGRATION_TIMEOUT_S = 29.0

# Response headers a Lambda proxy integration may not set: API Gateway renames them.
REMAPPED_RESPONSE_HEADERS = frozenset(
    {"authorization", "connection", "content-length", "date", "server", "www-authenticate", "x-amzn-requestid"}
)
_PROXY_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class GatewayConfig:
    stage: str = STAGE
    api_id: str = "cslocalapi"
    account_id: str = "123456789012"
    region: str = "us-east-1"
    function_name: str = "ApiFunction"
    function_timeout_s: float = 30.0
    memory_mb: int = 512
    integration_timeout_s: float = INTEGRATION_TIMEOUT_S
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    concurrency: int = 16
    binary_media_types: tuple[str, ...] | None = None
    """The API's binaryMediaTypes; None takes the app's ``api.binary_types`` (what ``chalice deploy`` sets).
    ``serve`` passes the template's, since a SAM-built API only has those."""


# --- routing -------------------------------------------------------------------------------------------


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    param: tuple[str, _Node] | None = None
    greedy: tuple[str, str] | None = None  # (parameter name, resource)
    resource: str | None = None


@dataclass(frozen=True)
class RouteMatch:
    resource: str
    path_parameters: dict[str, str]


class RouteTable:
    """API Gateway's resource tree: a literal segment beats ``{param}``, which beats ``{proxy+}``."""

    def __init__(self, resources: Iterable[str]) -> None:
        self._root = _Node()
        for resource in resources:
            self._add(resource)

    def _add(self, resource: str) -> None:
        node = self._root
        parts = _segments(resource)
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if index != len(parts) - 1:
                    raise ValueError(f"{resource}: a greedy {part} must be the last segment")
                node.greedy = (part[1:-2], resource)
                return
            if part.startswith("{") and part.endswith("}"):
                name = part[1:-1]
                if node.param is None:
                    node.param = (name, _Node())
                elif node.param[0] != name:
                    raise ValueError(f"{resource}: {{{name}}} beside {{{node.param[0]}}} (API Gateway refuses this)")
                node = node.param[1]
            else:
                node = node.literals.setdefault(part, _Node())
        node.resource = resource

    def match(self, raw_path: str) -> RouteMatch | None:
        segments = _segments(raw_path)
        if segments and segments[-1] == "":  # API Gateway routes "/a/b/" as "/a/b"
            segments = segments[:-1]
        return _match(self._root, segments, 0, {})


def _segments(path: str) -> list[str]:
    return [] if path in ("", "/") else path.split("/")[1:]


def _match(node: _Node, segments: list[str], index: int, params: dict[str, str]) -> RouteMatch | None:
    if index == len(segments):
        return RouteMatch(node.resource, params) if node.resource is not None else None
    segment = segments[index]
    literal = node.literals.get(unquote(segment))
    if literal is not None and (found := _match(literal, segments, index + 1, params)) is not None:
        return found
    if node.param is not None and segment:
        name, child = node.param
        if (found := _match(child, segments, index + 1, {**params, name: unquote(segment)})) is not None:
            return found
    if node.greedy is not None:
        name, resource = node.greedy
        return RouteMatch(resource, {**params, name: unquote("/".join(segments[index:]))})
    return None


def chalice_routes(app: Chalice) -> set[tuple[str, str]]:
    """``{(path, METHOD)}`` of a Chalice app, to compare with ``template.api_routes``."""
    return {(path, method) for path, methods in app.routes.items() for method in methods}


# --- the event -----------------------------------------------------------------------------------------


def parse_query(raw: bytes) -> dict[str, list[str]]:
    """API Gateway's reading of a query string: ``&`` and ``;`` separate pairs, ``+`` is a space."""
    values: dict[str, list[str]] = {}
    for piece in re.split(r"[&;]", raw.decode("utf-8", "replace")):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        if key:
            values.setdefault(unquote_plus(key), []).append(unquote_plus(value))
    return values


def _single(values: Mapping[str, list[str]]) -> dict[str, str] | None:
    return {name: vals[-1] for name, vals in values.items()} or None


def is_binary(content_type: str | None, binary_media_types: Iterable[str]) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    types = {t.lower() for t in binary_media_types}
    return "*/*" in types or media_type in types or f"{media_type.split('/', 1)[0]}/*" in types


def accepts_binary(accept: str | None, binary_media_types: Iterable[str]) -> bool:
    types = tuple(binary_media_types)
    return any(is_binary(choice, types) for choice in (accept or "").split(","))


def new_trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def request_time(now: float) -> str:
    t = time.gmtime(now)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


@functools.lru_cache(maxsize=1024)
def resource_id(resource: str) -> str:
    """A stable six-character id per resource, like API Gateway's (the same in every worker)."""
    digest = int.from_bytes(hashlib.sha256(resource.encode()).digest()[:8], "big")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    chars = []
    for _ in range(6):
        digest, rem = divmod(digest, 36)
        chars.append(alphabet[rem])
    return "".join(chars)


@dataclass
class _Request:
    """One HTTP request as the gateway sees it, plus the ids API Gateway gives it."""

    method: str
    raw_path: str
    path: str
    headers: dict[str, list[str]]  # lower-case name -> values, in arrival order
    query: dict[str, list[str]]
    client_ip: str
    server_port: int | None
    scheme: str
    protocol: str
    received: float = field(default_factory=time.time)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_request_id: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(11)).decode())

    @classmethod
    def from_scope(cls, scope: Scope) -> _Request:
        raw = scope.get("raw_path")
        raw_path = raw.decode("latin-1") if raw else scope["path"]
        raw_path = raw_path.split("?", 1)[0]
        headers: dict[str, list[str]] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        client = scope.get("client")
        server = scope.get("server")
        return cls(
            method=scope["method"].upper(),
            raw_path=raw_path,
            path=unquote(raw_path),
            headers=headers,
            query=parse_query(scope.get("query_string", b"")),
            client_ip=client[0] if client else "127.0.0.1",
            server_port=server[1] if server and len(server) > 1 else None,
            scheme=scope.get("scheme", "http"),
            protocol="HTTP/2.0" if scope.get("http_version") == "2" else f"HTTP/{scope.get('http_version', '1.1')}",
        )

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[-1] if values else None

    def add_gateway_headers(self) -> None:
        """What API Gateway adds before the integration sees the request."""
        forwarded = ", ".join(self.headers.pop("x-forwarded-for", []))
        self.headers["x-forwarded-for"] = [f"{forwarded}, {self.client_ip}" if forwarded else self.client_ip]
        if self.server_port is not None:
            self.headers["x-forwarded-port"] = [str(self.server_port)]
        self.headers["x-forwarded-proto"] = [self.scheme]
        if "x-amzn-trace-id" not in self.headers:
            self.headers["x-amzn-trace-id"] = [new_trace_id(self.received)]

    @property
    def trace_id(self) -> str | None:
        return self.header("x-amzn-trace-id")

    @property
    def domain_name(self) -> str:
        return self.header("host") or "localhost"


def _event_body(body: bytes, content_type: str | None, binary_media_types: Iterable[str]) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if is_binary(content_type, binary_media_types):
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", "replace"), False


def _identity(request: _Request, api_key: str | None) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": request.client_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": request.header("user-agent"),
        "user": None,
    }
    if api_key is not None:
        identity["apiKey"] = api_key
        identity["apiKeyId"] = resource_id(api_key) + "apikey"
    return identity


def build_event(
    request: _Request,
    match: RouteMatch,
    body: bytes,
    config: GatewayConfig,
    binary_media_types: Iterable[str],
    api_key: str | None = None,
) -> dict[str, Any]:
    """The REST API proxy event (payload format 1.0) for one request."""
    event_body, encoded = _event_body(body, request.header("content-type"), binary_media_types)
    domain = request.domain_name
    return {
        "resource": match.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": _single(request.headers),
        "multiValueHeaders": {name: list(values) for name, values in request.headers.items()} or None,
        "queryStringParameters": _single(request.query),
        "multiValueQueryStringParameters": {k: list(v) for k, v in request.query.items()} or None,
        "pathParameters": dict(match.path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": resource_id(match.resource),
            "resourcePath": match.resource,
            "httpMethod": request.method,
            "extendedRequestId": request.extended_request_id,
            "requestTime": request_time(request.received),
            "path": request.path,
            "accountId": config.account_id,
            "protocol": request.protocol,
            "stage": config.stage,
            "domainPrefix": domain.split(":", 1)[0].split(".", 1)[0],
            "requestTimeEpoch": int(request.received * 1000),
            "requestId": request.request_id,
            "identity": _identity(request, api_key),
            "domainName": domain,
            "apiId": config.api_id,
        },
        "body": event_body,
        "isBase64Encoded": encoded,
    }


# --- the Lambda side -----------------------------------------------------------------------------------


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


def _per_thread(app: Chalice) -> Chalice:
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


def payload_too_large(limit: int) -> HttpResponse:
    """API Gateway's front door answers this one itself, in plain text and without a request id."""
    body = f"HTTP content length exceeded {limit} bytes.".encode()
    return HttpResponse(413, [("Content-Type", "text; charset=utf-8")], body, with_ids=False)


class _BodyTooLargeError(Exception):
    pass


class LocalApiGateway:
    """ASGI application: API Gateway REST + Lambda proxy integration in front of a Chalice app."""

    def __init__(
        self, chalice_app: Chalice, config: GatewayConfig | None = None, *, stats_dir: Path | None = None
    ) -> None:
        """``stats_dir``: where to keep this worker's request counts for ``customersignal status``."""
        self.config = config or GatewayConfig()
        self.counts = ResponseCounts()
        self._stats = StatsWriter(stats_dir, self.counts) if stats_dir is not None else None
        self._stats_task: asyncio.Task[None] | None = None
        self.app = _per_thread(chalice_app)
        self.routes = RouteTable(chalice_app.routes)
        types = self.config.binary_media_types
        self.binary_media_types: tuple[str, ...] = tuple(chalice_app.api.binary_types if types is None else types)
        self._executor = ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix="lambda")
        has_authorizers = any(e.authorizer for methods in chalice_app.routes.values() for e in methods.values())
        self._authorizer = LocalGatewayAuthorizer(chalice_app) if has_authorizers else None
        self._log_stream = new_log_stream_name()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            request = _Request.from_scope(scope)
            request.add_gateway_headers()
            response = await self._handle(request, receive)
            await _send(send, response, request)
            self.counts.count(response.status)
        else:  # websocket: API Gateway REST has none
            raise RuntimeError(f"{scope['type']} is not served by a REST API")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._stats is not None:
                    self._stats_task = asyncio.create_task(self._stats.run())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._stats_task is not None:
            self._stats_task.cancel()
        if self._stats is not None:
            self._stats.remove()

    async def _handle(self, request: _Request, receive: Receive) -> HttpResponse:
        declared = request.header("content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > self.config.max_payload_bytes
        ):
            return payload_too_large(self.config.max_payload_bytes)
        match = self.routes.match(request.raw_path)
        if match is None:
            return MISSING_AUTH_TOKEN
        views = self.app.routes[match.resource]
        view = views.get(request.method)
        if view is None:
            if request.method == "OPTIONS":
                preflight = _cors_preflight(views)
                if preflight is not None:
                    return preflight
            return MISSING_AUTH_TOKEN
        api_key = request.header("x-api-key")
        if view.api_key_required and not api_key:
            return FORBIDDEN
        try:
            body = await self._read_body(receive)
        except _BodyTooLargeError:
            return payload_too_large(self.config.max_payload_bytes)
        event = build_event(
            request, match, body, self.config, self.binary_media_types, api_key if view.api_key_required else None
        )
        if len(body) > LAMBDA_PAYLOAD_LIMIT // 2 and len(json.dumps(event)) > LAMBDA_PAYLOAD_LIMIT:
            return LAMBDA_REQUEST_TOO_LONG
        return await self._invoke(request, event)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.config.max_payload_bytes:
                raise _BodyTooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _invoke(self, request: _Request, event: dict[str, Any]) -> HttpResponse:
        context = LambdaContext(
            self.config.function_name,
            timeout_s=self.config.function_timeout_s,
            memory_mb=self.config.memory_mb,
            log_stream_name=self._log_stream,
            region=self.config.region,
            account_id=self.config.account_id,
        )
        function_first = self.config.function_timeout_s < self.config.integration_timeout_s
        deadline_s = min(self.config.function_timeout_s, self.config.integration_timeout_s)
        try:
            if self.config.concurrency == 1:
                # One invocation at a time per process, as on Lambda: call inline and skip the thread hop
                # (it costs more CPU than a small request's own work). A call past the deadline cannot be
                # interrupted here, so it gets the status it would have got, once it returns.
                started = time.monotonic()
                outcome = self._call_function(request.raw_path, event, context)
                if time.monotonic() - started > deadline_s:
                    raise TimeoutError
            else:
                loop = asyncio.get_running_loop()
                call = loop.run_in_executor(self._executor, self._call_function, request.raw_path, event, context)
                outcome = await asyncio.wait_for(call, deadline_s)
        except TimeoutError:
            if function_first:  # Lambda ends the invocation ("Task timed out"): API Gateway sees a failure
                log.warning("%s %s: function timed out", request.method, request.path)
                return INTERNAL_ERROR
            log.warning("%s %s: integration timed out", request.method, request.path)
            return TIMED_OUT
        except Exception:
            log.exception("%s %s: the function raised", request.method, request.path)
            return INTERNAL_ERROR
        if isinstance(outcome, HttpResponse):  # the authorizer answered
            return outcome
        try:
            return proxy_response(outcome, accepts_binary(request.header("accept"), self.binary_media_types))
        except MalformedProxyResponseError as exc:
            log.error("%s %s: malformed Lambda proxy response: %s", request.method, request.path, exc)
            return INTERNAL_ERROR

    def _call_function(self, raw_path: str, event: dict[str, Any], context: LambdaContext) -> Any:
        """Runs in a worker thread: the authorizer (if the route has one), then the function."""
        if self._authorizer is not None:
            try:
                event, auth_context = self._authorizer.authorize(raw_path, event, context)  # type: ignore[arg-type]
            except LocalGatewayException as denied:
                headers = [("Content-Type", "application/json")]
                headers += [(k, v) for k, v in denied.headers.items() if k.lower() != "x-amzn-requestid"]
                return HttpResponse(denied.CODE, headers, denied.body or b"")
            context = auth_context  # type: ignore[assignment]
        return self.app(event, context)


def _cors_preflight(views: Mapping[str, Any]) -> HttpResponse | None:
    """The MOCK OPTIONS method ``chalice deploy`` puts on resources whose views declare CORS."""
    with_cors = [method for method, view in views.items() if view.cors is not None]
    if not with_cors:
        return None
    cors = views[with_cors[0]].cors
    headers = [
        ("Content-Type", "application/json"),
        ("Access-Control-Allow-Methods", ",".join([*with_cors, "OPTIONS"])),
    ]
    headers.extend(cors.get_access_control_headers().items())
    return HttpResponse(200, headers, b"")


async def _send(send: Send, response: HttpResponse, request: _Request) -> None:
    headers = [(name.encode("latin-1"), value.encode("utf-8")) for name, value in response.headers]
    if response.with_ids:
        headers.append((b"x-amzn-RequestId", request.request_id.encode()))
        headers.append((b"x-amz-apigw-id", request.extended_request_id.encode()))
        if request.trace_id:
            headers.append((b"X-Amzn-Trace-Id", request.trace_id.encode("latin-1")))
    headers.append((b"Content-Length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
