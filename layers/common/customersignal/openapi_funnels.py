"""The funnel route in the OpenAPI document; its body is the pydantic model the route answers with."""

from __future__ import annotations

from customersignal.domain.funnel import FunnelResponse
from customersignal.openapi import RouteDoc
from customersignal.openapi_dashboard import READ_ERRORS, TIME, query, read

STEP = {
    "name": "step",
    "in": "query",
    "required": True,
    "description": (
        'A step as URL-encoded JSON, {"type": "signup", "filters": [{"property": "plan", "op": "eq", "value": '
        '"pro"}]}; repeat 2 to 5 times, in order. Filter ops: eq, neq, in (non-empty array), contains '
        "(case-insensitive substring), is_set, is_not_set (no value), gt, lt (numbers); up to 5 filters, ANDed."
    ),
    "style": "form",
    "explode": True,
    "schema": {"type": "array", "minItems": 2, "maxItems": 5, "items": {"type": "string"}},
}

FUNNEL_ROUTES: list[RouteDoc] = [
    read(
        "/v1/insights/funnel",
        "Conversion through 2 to 5 ordered steps, per person, with the median time between steps",
        FunnelResponse,
        STEP,
        query("start", "Entries from (inclusive). Default end - 30 days.", **TIME),
        query("end", "Entries until (exclusive). Default now.", **TIME),
        query(
            "window",
            "Seconds from a person's entry within which every later step must happen.",
            kind="integer",
            minimum=60,
            maximum=90 * 86_400,
            default=7 * 86_400,
        ),
        query("breakdown", "A property of the entering step-1 event: one funnel per value (top N, then $other)."),
        query("limit", "Breakdown values (N).", kind="integer", minimum=1, maximum=25, default=10),
        errors=(*READ_ERRORS, 422),
    ),
]
