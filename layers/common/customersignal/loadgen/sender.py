"""HTTP for the load generator: one pooled keep-alive connection per worker, no retries of its own (the
runner retries, with the same body, so it can count and log each one)."""

from __future__ import annotations

from typing import Any

import orjson
import urllib3


class HttpSender:
    def __init__(self, base_url: str, key: str, *, connections: int, timeout_s: float) -> None:
        self._url = base_url.rstrip("/") + "/v1/events"
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self._pool = urllib3.PoolManager(
            maxsize=connections,
            block=True,
            retries=False,
            timeout=urllib3.Timeout(connect=min(2.0, timeout_s), read=timeout_s),
        )

    def post(self, body: dict[str, Any]) -> tuple[int | None, dict[str, str], Any]:
        """(status, headers, parsed body); status None when there was no answer."""
        try:
            response = self._pool.request("POST", self._url, body=orjson.dumps(body), headers=self._headers)
        except urllib3.exceptions.HTTPError:
            return None, {}, None
        try:
            parsed: Any = orjson.loads(response.data) if response.data else None
        except orjson.JSONDecodeError:
            parsed = response.data[:200].decode(errors="replace")
        return response.status, dict(response.headers.items()), parsed

    def close(self) -> None:
        self._pool.clear()
