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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from customersignal.domain.errors import MalformedRequest, PayloadTooLarge

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


# --- the SDK's own telemetry ------------------------------------------------------------------------------
# Every 30 s analytics.js posts counters about itself ({"series": [{"type": "Counter", "metric":
# "analytics_js.…", "value": 1, "tags": {...}}]}) to {apiHost}/m, as text/plain with no write key
# (packages/browser/src/core/stats/remote-metrics.ts). Segment's API takes them; refusing them makes every
# page log an error. We take them too and keep only their number (a metric): they describe the SDK, not
# the customer's users, and carry no key to say whose they are.

MAX_TELEMETRY_BYTES = 64 * 1024  # the SDK queues at most 20 counters: a few KB


class TelemetryCounter(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="Counter, the only type the SDK sends.")
    metric: str = Field(description="analytics_js.…")
    value: int = 1


class TelemetryRequest(BaseModel):
    """What analytics.js posts to /m: up to 20 counters about itself."""

    model_config = ConfigDict(extra="allow")

    series: list[TelemetryCounter]


class TelemetryResponse(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    success: bool = Field(description="Always true: the counters were read (and only their number is kept).")
    received: int = Field(ge=0, description="How many counters the body held.")
    request_id: str
    trace_id: str


def count_telemetry(body: bytes) -> int:
    """How many counters a telemetry body holds; a body that is too large or not the SDK's shape is refused."""
    if len(body) > MAX_TELEMETRY_BYTES:
        raise PayloadTooLarge(
            code="request_too_large",
            message=f"the body is {len(body)} bytes; telemetry is at most {MAX_TELEMETRY_BYTES}",
        )
    try:
        return len(TelemetryRequest.model_validate_json(body).series)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        code = "malformed_json" if first["type"] == "json_invalid" else "invalid_body"
        raise MalformedRequest(code=code, message=f"not analytics.js telemetry: {first['msg']}", field=field) from None
