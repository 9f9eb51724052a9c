"""Segment's browser SDK (analytics.js 2.0, "analytics-next"): short paths, and the write key in the body.

Its Segment.io plugin posts each call to ``{apiHost}/{first letter of the call type}`` (``t``, ``i``,
``p``, ``s``, ``g``, ``a``) and, with the batching strategy, ``{writeKey, batch, sentAt}`` to
``{apiHost}/b``; bodies are JSON sent as ``text/plain`` (a CORS "simple" request: no preflight), and the
write key travels in the body as ``writeKey``, not in an Authorization header
(segmentio/analytics-next, packages/browser/src/plugins/segmentio). Point its ``apiHost`` at
``<our host>/v1`` and these paths line up with Segment's.
"""

from __future__ import annotations

import json
from typing import Literal

from customersignal.domain.errors import MalformedRequest

SegmentCall = Literal["track", "identify", "page", "screen", "group", "alias", "batch"]

SHORT_PATHS: dict[str, SegmentCall] = {
    "t": "track",
    "i": "identify",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
    "b": "batch",
}


def authorization_for(header: str | None, body: bytes) -> str | None:
    """The Authorization header if the client sent one, else a Bearer header made of the body's writeKey."""
    if header:
        return header
    key = write_key_in(body)
    return None if key is None else f"Bearer {key}"


def write_key_in(body: bytes) -> str | None:
    """The body's writeKey. A body that is not JSON is a 400 here: with no header, the key would be in it."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise MalformedRequest(code="malformed_json", message=f"the body is not valid JSON: {exc}") from None
    key = document.get("writeKey") if isinstance(document, dict) else None
    return key if isinstance(key, str) and key else None
