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

``GatewayConfig(api_type="HTTP")`` plays an HTTP API (payload format 1.0, ``$default`` stage) instead,
as the template's ``HttpApi`` events ask (``serve`` reads which): the same event with a ``version`` and the
HTTP API's request context (``gateway_event.as_http_api``); bodies base64-encoded unless the Content-Type is
text and there is no Content-Encoding (an HTTP API has no binaryMediaTypes); no route is ``404 Not Found``,
a failing function ``500``, a timeout ``503``; base64 answers are always decoded; ``Apigw-Requestid`` is the
one id header; no API keys and no CORS of its own (ours has no CorsConfiguration: the function answers).

Local runs only: this module is left out of the Lambda layer (layers/common/Makefile).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chalice.app import Chalice
from chalice.local import LocalGatewayAuthorizer, LocalGatewayException

from customersignal.local.gateway_event import (
    INTEGRATION_TIMEOUT_S as INTEGRATION_TIMEOUT_S,
)
from customersignal.local.gateway_event import (
    MAX_PAYLOAD_BYTES as MAX_PAYLOAD_BYTES,
)
from customersignal.local.gateway_event import (
    ApiType,
    GatewayConfig,
    GatewayRequest,
    accepts_binary,
    build_event,
)
from customersignal.local.gateway_response import (
    FORBIDDEN,
    HTTP_API_INTERNAL_ERROR,
    HTTP_API_NOT_FOUND,
    HTTP_API_TIMED_OUT,
    INTERNAL_ERROR,
    LAMBDA_REQUEST_TOO_LONG,
    MISSING_AUTH_TOKEN,
    TIMED_OUT,
    BodyTooLargeError,
    HttpResponse,
    MalformedProxyResponseError,
    payload_too_large,
    per_thread,
    proxy_response,
)
from customersignal.local.gateway_routing import RouteTable
from customersignal.local.gateway_routing import chalice_routes as chalice_routes
from customersignal.local.gateway_stats import ResponseCounts, StatsWriter

# LAMBDA_PAYLOAD_LIMIT is re-exported: it is this module's limit too
from customersignal.local.runtime import LAMBDA_PAYLOAD_LIMIT as LAMBDA_PAYLOAD_LIMIT
from customersignal.local.runtime import LambdaContext, new_log_stream_name

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)

__all__ = ["GatewayConfig", "LocalApiGateway", "MalformedProxyResponseError", "RouteTable", "proxy_response"]


class LocalApiGateway:
    """ASGI application: API Gateway (REST, or HTTP API with payload format 1.0) + Lambda proxy integration in
    front of a Chalice app."""

    def __init__(
        self, chalice_app: Chalice, config: GatewayConfig | None = None, *, stats_dir: Path | None = None
    ) -> None:
        """``stats_dir``: where to keep this worker's request counts for ``customersignal status``."""
        self.config = config or GatewayConfig()
        self.counts = ResponseCounts()
        self._stats = StatsWriter(stats_dir, self.counts) if stats_dir is not None else None
        self._stats_task: asyncio.Task[None] | None = None
        self.app = per_thread(chalice_app)
        self.routes = RouteTable(chalice_app.routes)
        types = self.config.binary_media_types
        self.binary_media_types: tuple[str, ...] = tuple(chalice_app.api.binary_types if types is None else types)
        self._executor = ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix="lambda")
        has_authorizers = any(e.authorizer for methods in chalice_app.routes.values() for e in methods.values())
        self._authorizer = LocalGatewayAuthorizer(chalice_app) if has_authorizers else None
        self._log_stream = new_log_stream_name()
        http_api = self.config.api_type == "HTTP"
        self._no_route = HTTP_API_NOT_FOUND if http_api else MISSING_AUTH_TOKEN
        self._failed = HTTP_API_INTERNAL_ERROR if http_api else INTERNAL_ERROR
        self._timed_out = HTTP_API_TIMED_OUT if http_api else TIMED_OUT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            request = GatewayRequest.from_scope(scope)
            request.add_gateway_headers()
            response = await self._handle(request, receive)
            await _send(send, response, request, self.config.api_type)
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

    async def _handle(self, request: GatewayRequest, receive: Receive) -> HttpResponse:
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
            return self._no_route
        views = self.app.routes[match.resource]
        view = views.get(request.method)
        if view is None:
            # `chalice deploy` puts a MOCK OPTIONS on REST resources with CORS; an HTTP API without a CORS
            # configuration (ours) passes preflights to an OPTIONS route or answers 404
            if request.method == "OPTIONS" and self.config.api_type == "REST":
                preflight = _cors_preflight(views)
                if preflight is not None:
                    return preflight
            return self._no_route
        api_key = request.header("x-api-key")
        if view.api_key_required and not api_key:
            return FORBIDDEN
        try:
            body = await self._read_body(receive)
        except BodyTooLargeError:
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
                raise BodyTooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _invoke(self, request: GatewayRequest, event: dict[str, Any]) -> HttpResponse:
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
                return self._failed
            log.warning("%s %s: integration timed out", request.method, request.path)
            return self._timed_out
        except Exception:
            log.exception("%s %s: the function raised", request.method, request.path)
            return self._failed
        if isinstance(outcome, HttpResponse):  # the authorizer answered
            return outcome
        # an HTTP API decodes a base64 answer whatever the client accepts; REST only for a binary Accept
        binary_accepted = self.config.api_type == "HTTP" or accepts_binary(
            request.header("accept"), self.binary_media_types
        )
        try:
            return proxy_response(outcome, binary_accepted)
        except MalformedProxyResponseError as exc:
            log.error("%s %s: malformed Lambda proxy response: %s", request.method, request.path, exc)
            return self._failed

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


async def _send(send: Send, response: HttpResponse, request: GatewayRequest, api_type: ApiType) -> None:
    headers = [(name.encode("latin-1"), value.encode("utf-8")) for name, value in response.headers]
    if response.with_ids and api_type == "HTTP":
        headers.append((b"Apigw-Requestid", request.extended_request_id.encode()))
    elif response.with_ids:
        headers.append((b"x-amzn-RequestId", request.request_id.encode()))
        headers.append((b"x-amz-apigw-id", request.extended_request_id.encode()))
        if request.trace_id:
            headers.append((b"X-Amzn-Trace-Id", request.trace_id.encode("latin-1")))
    headers.append((b"Content-Length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
