"""ApiType=HTTP: the same app behind an HTTP API (payload format 1.0 events, as AWS documents them) answers
every route exactly as behind REST. Two local gateways, one per template variant (ApiFunction's Api events,
HttpApiFunction's HttpApi events), share one database and topic; each route gets the same request on both."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from customersignal.domain.auth import Scope
from tests.fixtures.api import ApiServer
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

VOLATILE = {"request_id", "trace_id", "generated_at", "as_of", "now"}
PER_ROUTE_VOLATILE = {"/v1/events/live": {"next_cursor"}}  # the live feed's cursor carries the time it was given


def answer(
    url: str, method: str, headers: dict[str, str], body: bytes | None, volatile: frozenset[str] = frozenset()
) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=scaled(60)) as response:  # noqa: S310 - loopback
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    return status, strip(json.loads(raw), VOLATILE | volatile) if raw else None


def strip(value: Any, volatile: set[str] | frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: strip(v, volatile) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [strip(v, volatile) for v in value]
    return value


def test_every_route_answers_the_same_behind_rest_and_http_api(api_server_factory: Callable[..., ApiServer]) -> None:
    rest = api_server_factory({})
    slug = rest.new_tenant()
    key = rest.key(slug, Scope.INGEST, Scope.READ, Scope.ADMIN)
    # the HTTP API variant on the same database and topic
    http = api_server_factory({"CS_PG_DATABASE": rest.database.pg_database, "CS_KAFKA_EVENTS_TOPIC": rest.topic},
                              "HttpApiFunction")  # fmt: skip
    with urllib.request.urlopen(f"{rest.url}/v1/openapi.json", timeout=scaled(60)) as response:  # noqa: S310 - loopback
        paths = json.loads(response.read())["paths"]
    compared = 0
    for path, operations in sorted(paths.items()):
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
        for method in sorted(operations):
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Origin": "https://x.io"}
            body = b"{}" if method in ("post", "put", "patch") else None
            if method == "post" and path.startswith("/v1/keys"):
                body = None  # no body: a 400 on both (a created key would answer a fresh secret each time)
            volatile = frozenset(PER_ROUTE_VOLATILE.get(path, ()))
            via_rest = answer(f"{rest.url}{concrete}", method.upper(), headers, body, volatile)
            via_http = answer(f"{http.url}{concrete}", method.upper(), headers, body, volatile)
            assert via_http == via_rest, f"{method.upper()} {path}"
            compared += 1
    assert compared == sum(len(ops) for ops in paths.values()) >= 50
