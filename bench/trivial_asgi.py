"""The floor's floor: the least an ASGI app on uvicorn can do per request (read the body, answer 200 with a
small JSON body). ingest_bench serves it with the gateway's uvicorn options and drives it with the same wrk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
_BODY = {"type": "http.response.body", "body": b'{"ok":true}'}


async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body", False):
        pass
    await send(_START)
    await send(_BODY)
