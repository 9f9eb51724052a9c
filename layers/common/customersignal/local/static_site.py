"""The dashboard, served beside the API the way CloudFront serves it on AWS (template.yaml,
``DashboardDistribution``): one origin, ``/v1/*`` to the API, everything else from the built files.

* A path with no file extension is a client-side route (``/events``, ``/catalog/signup``): it gets
  ``/index.html``, as the distribution's viewer-request function ``DashboardSpaRewrite`` does. A test runs
  that function's JavaScript and checks it rewrites every path the way ``rewrite`` below does.
* ``/assets/*`` carry content hashes in their names (Vite), so they are cached for a year, immutable;
  everything else (index.html) must be revalidated: ``no-cache``. ``make deploy-dashboard`` uploads with
  the same Cache-Control values.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath
from typing import Any

from customersignal.local.gateway import Receive, Scope, Send

ASGIApp = Any
API_PREFIX = "/v1"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def rewrite(uri: str) -> str:
    """The file a request path maps to: routes without an extension are the single-page app's."""
    last = uri.rsplit("/", 1)[-1]
    return "/index.html" if "." not in last else uri


def cache_control(uri: str) -> str:
    return IMMUTABLE if uri.startswith("/assets/") else REVALIDATE


class StaticSite:
    def __init__(self, api: ASGIApp, root: Path) -> None:
        self._api = api
        self._root = root.resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            await self._api(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _respond(send, 405, b"method not allowed\n", "text/plain", REVALIDATE, scope)
            return
        uri = rewrite(path)
        file = self._file(uri)
        if file is None:
            await _respond(send, 404, b"not found\n", "text/plain", REVALIDATE, scope)
            return
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        await _respond(send, 200, file.read_bytes(), content_type, cache_control(uri), scope)

    def _file(self, uri: str) -> Path | None:
        relative = PurePosixPath(uri.lstrip("/"))
        if ".." in relative.parts:
            return None
        candidate = (self._root / relative).resolve()
        if not candidate.is_relative_to(self._root) or not candidate.is_file():
            return None
        return candidate


async def _respond(send: Send, status: int, body: bytes, content_type: str, cache: str, scope: Scope) -> None:
    headers = [
        (b"content-type", content_type.encode() + (b"; charset=utf-8" if content_type.startswith("text/") else b"")),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", cache.encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
