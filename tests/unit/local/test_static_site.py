"""The local dashboard server and the CloudFront distribution agree: the same client-side-route rewrite
(the distribution's function is run with Node), the same cache headers, and /v1 goes to the API."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest

from customersignal.local.static_site import IMMUTABLE, REVALIDATE, StaticSite, rewrite
from customersignal.local.template import load_template
from tests.fixtures.services import ROOT

pytestmark = pytest.mark.unit

URIS = ["/", "/events", "/events/3f0e8d7a-1c2b-4d5e-8f90-a1b2c3d4e5f6", "/catalog/sign.up", "/index.html",
        "/assets/index-AbC123.js", "/assets/logo.svg", "/favicon.ico", "/catalog/", "/deep/a/b"]  # fmt: skip


def cloudfront_function() -> str:
    resources = load_template(ROOT / "template.yaml")["Resources"]
    code: str = resources["DashboardSpaRewrite"]["Properties"]["FunctionCode"]
    return code


def test_the_cloudfront_function_rewrites_exactly_as_the_local_server() -> None:
    script = cloudfront_function() + (
        "\nconst uris = JSON.parse(process.argv[1]);"
        "\nconsole.log(JSON.stringify(uris.map(u => handler({request: {uri: u}}).uri)));"
    )
    out = subprocess.run(["node", "-e", script, json.dumps(URIS)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [rewrite(uri) for uri in URIS]
    assert rewrite("/events") == "/index.html"
    assert rewrite("/assets/index-AbC123.js") == "/assets/index-AbC123.js"


def call(app: StaticSite, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": method, "path": path, "headers": []}, receive, send))
    headers = {k.decode(): v.decode() for k, v in sent[0].get("headers", [])}
    return sent[0]["status"], headers, sent[1]["body"]


@pytest.fixture
def site(tmp_path: Path) -> StaticSite:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>CustomerSignal</title>")
    (tmp_path / "assets" / "index-AbC123.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("no")

    async def api(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    return StaticSite(api, tmp_path)


def test_files_routes_and_the_api_share_one_origin(site: StaticSite) -> None:
    status, headers, body = call(site, "GET", "/events/abc")
    assert (status, headers["cache-control"]) == (200, REVALIDATE)
    assert body.startswith(b"<!doctype html>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    status, headers, body = call(site, "GET", "/assets/index-AbC123.js")
    assert (status, headers["cache-control"], body) == (200, IMMUTABLE, b"console.log(1)")
    assert call(site, "GET", "/v1/metrics/series")[0] == 299
    assert call(site, "POST", "/v1/events")[0] == 299
    assert call(site, "POST", "/events")[0] == 405
    assert call(site, "GET", "/assets/missing.js")[0] == 404
    assert call(site, "GET", "/../secret.txt")[0] == 404
    assert call(site, "HEAD", "/")[2] == b""
