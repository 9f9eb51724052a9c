"""The event API Gateway sends to Lambda for one request: REST's proxy event, or HTTP API's payload format 1.0.

Both are "1.0" events with the same fields; what differs is listed in ``build_event``. Part of the local
gateway (``customersignal.local.gateway``), whose docstring says what is reproduced and why.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import random
import re
import time
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, unquote_plus

from customersignal.local.gateway_routing import RouteMatch
from customersignal.local.runtime import new_uuid4

Scope = MutableMapping[str, Any]
ApiType = Literal["REST", "HTTP"]

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
    ``serve`` passes the template's, since a SAM-built API only has those. An HTTP API has none."""
    api_type: ApiType = "REST"
    """REST: API Gateway REST's proxy event. HTTP: an HTTP API's payload format 1.0 on its ``$default`` stage."""


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


# Unique, not secret: the Mersenne Twister makes them, as runtime.new_uuid4 says why
def new_trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{random.getrandbits(96):024x}"


def new_extended_request_id() -> str:
    return base64.b64encode(random.getrandbits(88).to_bytes(11, "big")).decode()


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
class GatewayRequest:
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
    request_id: str = field(default_factory=new_uuid4)
    extended_request_id: str = field(default_factory=new_extended_request_id)

    @classmethod
    def from_scope(cls, scope: Scope) -> GatewayRequest:
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


# What an HTTP API delivers as text; any other body (or one with a Content-Encoding) arrives base64-encoded
HTTP_API_TEXT_TYPES = ("text/*", "application/json", "application/xml", "application/javascript")


def http_api_is_binary(content_type: str | None, content_encoding: str | None) -> bool:
    """An HTTP API has no binaryMediaTypes: it base64-encodes every body it does not know to be text."""
    return bool(content_encoding) or not is_binary(content_type, HTTP_API_TEXT_TYPES)


def _event_body(body: bytes, binary: bool) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if binary:
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", "replace"), False


def _identity(request: GatewayRequest, api_key: str | None) -> dict[str, Any]:
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
    request: GatewayRequest,
    match: RouteMatch,
    body: bytes,
    config: GatewayConfig,
    binary_media_types: Iterable[str],
    api_key: str | None = None,
) -> dict[str, Any]:
    """The REST API proxy event (payload format 1.0) for one request."""
    if config.api_type == "HTTP":
        binary = http_api_is_binary(request.header("content-type"), request.header("content-encoding"))
    else:
        binary = is_binary(request.header("content-type"), binary_media_types)
    event_body, encoded = _event_body(body, binary)
    domain = request.domain_name
    event: dict[str, Any] = {
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
    return as_http_api(event, request) if config.api_type == "HTTP" else event


def as_http_api(event: dict[str, Any], request: GatewayRequest) -> dict[str, Any]:
    """A REST proxy event made into what an HTTP API sends with payload format 1.0 (AWS's example in "Create
    AWS Lambda proxy integrations for HTTP APIs"): a ``version``, the ``$default`` stage (no stage in the
    path), a route key instead of a resource id, an authorizer slot, and request ids in the HTTP API's form."""
    context = event["requestContext"]
    context.update(
        stage="$default",
        resourceId=f"{request.method} {context['resourcePath']}",
        requestId=request.extended_request_id,
        authorizer={"claims": None, "scopes": None},
    )
    context["identity"].pop("apiKey", None)  # an HTTP API has no API keys
    context["identity"].pop("apiKeyId", None)
    return {"version": "1.0", **event}
