"""Scopes, over real HTTP: every route of the API, called with every kind of key, answers what its documented
scope says.

The routes come from the Chalice app and their scopes from the API's own OpenAPI document (``security``), so
a route added without documented scopes fails ``test_every_route_documents_its_scopes``, and a route whose
code checks another scope than the document says fails the matrix. The rules (docs/ingestion.md, "Whole-request
errors", and docs/dashboard.md, "The dashboard API"): a key with the documented scope passes (``admin`` also passes
``read`` routes); a live key without it gets 403 ``missing_scope``; a revoked key 403 ``key_revoked``; an
unknown or malformed key 401; no key 401 ``missing_key``. Every refusal has the machine-readable body
``{"error": {"code", "message", "field"}, "request_id", "trace_id"}``.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from customersignal.adapters.aws import AwsClients
from customersignal.domain.auth import Scope
from customersignal.settings import PlatformSettings
from tests.fixtures.security import LoggedApi, logged_api
from tests.integration.test_tenant_isolation_matrix import app_routes
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

# placeholders for path parameters: the scope is checked before anything is looked up
PATH_VALUES = {
    "{event_id}": str(uuid.uuid4()),
    "{name}": "checkout",
    "{key_id}": str(uuid.uuid4()),
    "{rule_id}": str(uuid.uuid4()),
    "{endpoint_id}": str(uuid.uuid4()),
    "{delivery_id}": "1",
}


@dataclass(frozen=True)
class Credential:
    """One way of presenting a key, and what every protected route must answer to it when its scope is missing."""

    name: str
    authorization: str | None
    scopes: frozenset[str]  # the live key's scopes (empty: no usable key at all)
    refusal: tuple[int, str] | None  # the answer regardless of scope (revoked, unknown, malformed, none)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@pytest.fixture(scope="module")
def security_api(
    settings: PlatformSettings, pg_template: str, moto_clients: AwsClients, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoggedApi]:
    with logged_api(settings, pg_template, moto_clients, tmp_path_factory.mktemp("scopes")) as api:
        yield api


@pytest.fixture(scope="module")
def credentials(security_api: LoggedApi) -> list[Credential]:
    api = security_api.api
    slug = api.new_tenant(rate_limit_per_s=10_000, burst=10_000)
    revoked = api.key(slug, Scope.INGEST, Scope.READ, Scope.ADMIN)
    api.admin.revoke_key(slug, revoked)
    unknown = "cs_" + secrets.token_urlsafe(32)  # well formed, never issued
    basic = base64.b64encode(f"{api.key(slug, Scope.INGEST)}:".encode()).decode()
    return [
        Credential("ingest key", f"Bearer {api.key(slug, Scope.INGEST)}", frozenset({"ingest"}), None),
        Credential("ingest key as Basic", f"Basic {basic}", frozenset({"ingest"}), None),
        Credential("read key", f"Bearer {api.key(slug, Scope.READ)}", frozenset({"read"}), None),
        Credential("admin key", f"Bearer {api.key(slug, Scope.ADMIN)}", frozenset({"admin"}), None),
        Credential("revoked key", f"Bearer {revoked}", frozenset(), (403, "key_revoked")),
        Credential("unknown key", f"Bearer {unknown}", frozenset(), (401, "unknown_key")),
        Credential("not a key", "Bearer not-a-customersignal-key", frozenset(), (401, "unknown_key")),
        Credential("another scheme", f"Token {unknown}", frozenset(), (401, "malformed_authorization")),
        Credential("bad Basic", "Basic %%%not-base64%%%", frozenset(), (401, "malformed_authorization")),
        Credential("no key", None, frozenset(), (401, "missing_key")),
    ]


@pytest.fixture(scope="module")
def documented(security_api: LoggedApi) -> dict[tuple[str, str], frozenset[str]]:
    """(path, METHOD) -> the scopes the served OpenAPI document's ``security`` names for it (empty: public)."""
    with urllib.request.urlopen(f"{security_api.api.url}/v1/openapi.json", timeout=scaled(10)) as response:  # noqa: S310
        document = json.loads(response.read())
    scopes: dict[tuple[str, str], frozenset[str]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            named = [
                scope for requirement in operation["security"] for listed in requirement.values() for scope in listed
            ]
            scopes[(path, method.upper())] = frozenset(named)
    return scopes


def passes(required: frozenset[str], scopes: frozenset[str]) -> bool:
    """The documented rule: a key with any required scope passes, and ``admin`` also reads."""
    granted = scopes | ({"read"} if "admin" in scopes else set())
    return bool(required & granted)


def call(base: str, method: str, path: str, authorization: str | None) -> Answer:
    body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
    request = urllib.request.Request(base + path, data=body, method=method)  # noqa: S310 - loopback
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=scaled(30)) as response:  # noqa: S310
            raw, status, headers = response.read(), response.status, dict(response.headers.items())
    except urllib.error.HTTPError as error:
        raw, status, headers = error.read(), error.code, dict(error.headers.items())
    return Answer(status, json.loads(raw) if raw else {}, {k.lower(): v for k, v in headers.items()})


def concrete(path: str) -> str:
    for placeholder, value in PATH_VALUES.items():
        path = path.replace(placeholder, value)
    return path


def machine_readable(answer: Answer) -> bool:
    error = answer.body.get("error")
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and bool(error.get("message"))
        and "field" in error
        and bool(answer.body.get("request_id"))
        and bool(answer.body.get("trace_id"))
        and answer.headers.get("x-request-id") == answer.body["request_id"]
    )


def test_every_route_documents_its_scopes(documented: dict[tuple[str, str], frozenset[str]]) -> None:
    # Given the routes the app serves and the operations its OpenAPI document describes
    routes = app_routes()
    # Then they are the same set, and only these are public: the document, the browser SDK's telemetry (read,
    # counted and dropped: no tenant, nothing stored) and the CORS preflights of the browser routes (no body)
    assert routes == set(documented), f"undocumented: {routes - set(documented)}; stale: {set(documented) - routes}"
    public = {("/v1/openapi.json", "GET"), ("/v1/m", "POST")} | {(f"/v1/{c}", "OPTIONS") for c in "tipsgabm"}
    assert {route for route, scopes in documented.items() if not scopes} == public


def test_every_route_answers_every_kind_of_key_as_its_documented_scope_says(
    security_api: LoggedApi, credentials: list[Credential], documented: dict[tuple[str, str], frozenset[str]]
) -> None:
    # Given every route with its documented scopes, and keys of each scope, revoked, unknown, malformed, none
    routes = sorted(documented.items())
    wrong: list[str] = []
    counted = {"allowed": 0, "missing_scope": 0, "refused_key": 0}
    for (path, method), required in routes:
        if not required:
            continue
        for credential in credentials:
            # When the route is called with it
            answer = call(security_api.api.url, method, concrete(path), credential.authorization)
            # Then a refusal has the documented status, code and machine-readable body; a pass is never 401/403
            if credential.refusal is not None:
                expected: tuple[int, str] | None = credential.refusal
                counted["refused_key"] += 1
            elif passes(required, credential.scopes):
                expected = None
                counted["allowed"] += 1
            else:
                expected = (403, "missing_scope")
                counted["missing_scope"] += 1
            got = (answer.status, answer.body.get("error", {}).get("code"))
            if expected is None and answer.status in (401, 403):
                wrong.append(f"{method} {path} refused the {credential.name}: {got}")
            elif expected is not None and (got != expected or not machine_readable(answer)):
                wrong.append(f"{method} {path} with the {credential.name}: {got} {answer.body}, wanted {expected}")
            if answer.status >= 500:
                wrong.append(f"{method} {path} with the {credential.name}: a server error {answer.body}")
    assert wrong == [], "\n".join(wrong)
    # (and each kind of answer was exercised: the matrix is not all refusals, nor all passes)
    assert min(counted.values()) > 0, counted
    protected = sum(1 for _, required in routes if required)
    print(f"\nscope matrix: {protected} protected routes x {len(credentials)} credentials: {counted}")


def test_an_ingest_key_cannot_read_or_administer_and_a_read_key_cannot_ingest_or_administer(
    security_api: LoggedApi, credentials: list[Credential]
) -> None:
    # Given one key of each scope
    keys = {c.name: c.authorization for c in credentials}
    base = security_api.api.url
    cases = [
        ("ingest key", "GET", "/v1/events"),
        ("ingest key", "GET", "/v1/keys"),
        ("ingest key", "POST", "/v1/keys"),
        ("read key", "POST", "/v1/events"),
        ("read key", "POST", "/v1/track"),
        ("read key", "POST", "/v1/keys"),
        ("read key", "PATCH", "/v1/catalog/checkout"),
        ("admin key", "POST", "/v1/events"),  # admin is not ingest either
    ]
    # When each tries what its scope does not allow / Then 403 missing_scope, naming the scope it lacks
    for name, method, path in cases:
        answer = call(base, method, path, keys[name])
        assert (answer.status, answer.body["error"]["code"]) == (403, "missing_scope"), (name, method, path)
        assert "scope" in answer.body["error"]["message"]
