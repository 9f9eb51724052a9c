"""A browser's retry lands: Segment's browser SDK (analytics-next 1.84.3, unchanged) in headless Chromium sends
one track call from a page on another origin; a proxy in front of the API answers its first attempt 503, the
SDK retries with X-Retry-Count (so Chromium preflights it against our OPTIONS route), and the event is in
Kafka exactly once. tests/e2e/browser_sdk/retry.e2e.mjs drives the browser (`make browser-sdk` installs it)."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from customersignal.domain.auth import Scope
from customersignal.domain.segment import event_id_for
from tests.fixtures.api import ApiServer
from tests.fixtures.http_server import QuietHandler, serving
from tests.fixtures.services import ROOT
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

SDK_DIR = ROOT / "tests" / "e2e" / "browser_sdk"
BUNDLE = SDK_DIR / "node_modules" / "@segment" / "analytics-next" / "dist" / "umd"
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script src="/index.js"></script></head><body>a customer's site</body></html>"""
# a retry waits out the SDK's backoff (about a second) on a machine that may be busy: generous, not tight,
# and scaled with the machine's load when the test starts (tests/support/waits.py)
RETRY_BASE_S = 120.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FailingProxy:
    """Forwards to the API, except the first POST to /v1/t, answered 503 as an overloaded API would be."""

    upstream: str
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failed_once: bool = False

    def handler(self) -> type[QuietHandler]:
        proxy = self

        class Handler(QuietHandler):
            def do_OPTIONS(self) -> None:
                self.forward()

            def do_POST(self) -> None:
                self.forward()

            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with proxy.lock:
                    fail = self.command == "POST" and self.path == "/v1/t" and not proxy.failed_once
                    proxy.failed_once = proxy.failed_once or fail
                if fail:
                    self.answer(503, [("Access-Control-Allow-Origin", "*"), ("Content-Type", "application/json")],
                                b'{"error": {"code": "unavailable"}}', headers)  # fmt: skip
                    return
                target = urlsplit(proxy.upstream)
                connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=scaled(60))
                try:
                    connection.request(self.command, self.path, body=body or None, headers=dict(self.headers))
                    response = connection.getresponse()
                    self.answer(response.status, response.getheaders(), response.read(), headers)
                finally:
                    connection.close()

            def answer(self, status: int, headers: list[tuple[str, str]], body: bytes, seen: dict[str, str]) -> None:
                with proxy.lock:
                    proxy.seen.append(Seen(self.command, self.path, seen, status))
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def page_handler() -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            name = self.path.split("?", 1)[0].lstrip("/")
            file = BUNDLE / name if name else None
            if file is not None and (file.parent != BUNDLE or not file.is_file()):
                self.send_error(404)
                return
            body, kind = (PAGE, "text/html") if file is None else (file.read_bytes(), "text/javascript")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.mark.parametrize("function", ["ApiFunction", "HttpApiFunction"])
def test_a_retried_browser_event_lands_exactly_once(
    api_server_factory: Callable[..., ApiServer], function: str
) -> None:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert chromium, "the browser test needs Chromium: make browser (apt-get install chromium)"
    assert (BUNDLE / "index.js").is_file(), "install the browser SDK first: make browser-sdk"
    api = api_server_factory({}, function)
    key = api.key(api.new_tenant(), Scope.INGEST)
    proxy = FailingProxy(api.url)
    run = uuid.uuid4().hex
    retry_timeout_s = scaled(RETRY_BASE_S)
    with serving(page_handler()) as page_url, serving(proxy.handler()) as proxy_url:
        env = os.environ | {
            "PAGE_URL": f"{page_url}/",
            "API_HOST": f"{urlsplit(proxy_url).netloc}/v1",
            "WRITE_KEY": key,
            "CHROMIUM": chromium,
            "RUN": run,
            "TIMEOUT_MS": str(int(retry_timeout_s * 1000)),
        }
        done = subprocess.run(
            ["node", str(SDK_DIR / "retry.e2e.mjs")], cwd=SDK_DIR, env=env, capture_output=True, text=True,
            timeout=retry_timeout_s + scaled(120),
        )  # fmt: skip
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    message_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("MESSAGE_ID "))
    posts = [s for s in proxy.seen if s.method == "POST" and s.path == "/v1/t"]
    # Then: the first attempt failed, the retry said so and was answered 200 by the API
    assert [(p.status, p.headers.get("x-retry-count")) for p in posts][:2] == [(503, None), (200, "1")], posts
    # the request is not a simple one (Basic auth, X-Retry-Count): Chromium asked, and our OPTIONS route agreed
    preflights = [s for s in proxy.seen if s.method == "OPTIONS" and s.path == "/v1/t"]
    assert preflights, proxy.seen
    assert all(p.status == 204 for p in preflights), preflights
    # and the event is in Kafka exactly once
    messages = api.messages_for({str(event_id_for(message_id))})
    assert len(messages) == 1
