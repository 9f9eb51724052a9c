"""The dashboard API's routes in the OpenAPI document (``customersignal.openapi`` builds it). Bodies are
the pydantic models the code answers with; query parameters are described here, next to the routes."""

from __future__ import annotations

from typing import Any

from customersignal.domain.dashboard_models import (
    CatalogDetail,
    CatalogList,
    CatalogPatch,
    DeadLetterPage,
    EventDetail,
    EventPage,
    KeyCreate,
    KeyCreated,
    KeyList,
    KeyOut,
    ReplayRequest,
    ReplayResponse,
    SeriesResponse,
    SessionResponse,
    SummaryResponse,
)
from customersignal.domain.rollups import RollupMarked, RollupMarks
from customersignal.domain.trend_models import MEASURES, TrendResponse
from customersignal.openapi import RouteDoc

READ = ("read",)
ADMIN = ("admin",)
READ_ERRORS = (400, 401, 403, 503)


def query(
    name: str, description: str, *, required: bool = False, kind: str = "string", **schema: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": kind, **schema},
    }


def path(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }


TIME: dict[str, Any] = {"format": "date-time"}
RANGE = (
    query("from", "Start, ISO 8601 with an offset or Z.", required=True, **TIME),
    query("to", "End (exclusive), ISO 8601 with an offset or Z.", required=True, **TIME),
)
CURSOR = query("cursor", "next_cursor of the previous page.")


def limit(default: int, maximum: int) -> dict[str, Any]:
    return query("limit", "Page size.", kind="integer", minimum=1, maximum=maximum, default=default)


def read(
    path_: str, summary: str, model: Any, *params: dict[str, Any], errors: tuple[int, ...] = READ_ERRORS
) -> RouteDoc:
    return RouteDoc(
        path=path_,
        method="get",
        summary=summary,
        request_model=None,
        response_model=model,
        scopes=READ,
        error_statuses=errors,
        parameters=params,
        description="Needs a key with the read or the admin scope; answers this tenant's data only.",
    )


DASHBOARD_ROUTES: list[RouteDoc] = [
    read("/v1/session", "Who this key is: tenant, project, scopes", SessionResponse, errors=(401, 403, 404, 503)),
    read(
        "/v1/metrics/series",
        "Events or unique users per bucket, with the freshness watermark",
        SeriesResponse,
        query("types", "Comma-separated event types (1 to 20).", required=True),
        query("interval", "Bucket width.", required=True, enum=["1m", "5m", "1h", "1d"]),
        *RANGE,
        query("metric", "What to count.", enum=["count", "unique_users"], default="count"),
        query("tz", "IANA time zone where 1h and 1d buckets start.", default="UTC"),
    ),
    read(
        "/v1/metrics/summary",
        "Totals and top types against the previous period",
        SummaryResponse,
        *RANGE,
        limit(10, 50),
    ),
    read(
        "/v1/insights/trend",
        "One event type's count, unique users or numeric sum/avg/min/max over time, filtered, by property",
        TrendResponse,
        query("type", "The event type.", required=True),
        query("start", "Start, ISO 8601 with an offset or Z.", required=True, **TIME),
        query("end", "End (exclusive), ISO 8601 with an offset or Z.", required=True, **TIME),
        query("interval", "Bucket width.", enum=["1m", "5m", "1h", "1d"], default="1d"),
        query("tz", "IANA time zone where 1h and 1d buckets start.", default="UTC"),
        query("measure", "What to compute per bucket.", enum=list(MEASURES), default="count"),
        query("property", "The numeric property (required for sum, avg, min and max).", maxLength=255),
        query("breakdown", "A property whose top values each get a series (plus $other).", maxLength=255),
        query("limit", "How many breakdown values.", kind="integer", minimum=1, maximum=25, default=10),
        {
            "name": "filter",
            "in": "query",
            "required": False,
            "description": 'Repeated (up to 5, ANDed): a JSON object {"property": "plan", "op": "eq", "value": '
            '"pro"}; op is eq, neq, in (value an array), contains, is_set, is_not_set (no value), gt or lt '
            "(value a number; only JSON-number properties match).",
            "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
            "style": "form",
            "explode": True,
        },
        errors=(*READ_ERRORS, 422),
    ),
    read(
        "/v1/events",
        "The event explorer: newest first, keyset pages",
        EventPage,
        query("types", "Comma-separated event types."),
        query("user_id", "Exact user id."),
        query("from", "Default now - 24 h.", **TIME),
        query("to", "Default now + 1 h.", **TIME),
        query("property", "Top-level property name (with value)."),
        query("value", "Property value: JSON if it parses (42, true), else a string."),
        limit(50, 200),
        CURSOR,
    ),
    read(
        "/v1/events/{event_id}",
        "One event, in full",
        EventDetail,
        path("event_id", "The event id.", format="uuid"),
        query("at", "The event's occurred_at, as the list gave it.", required=True, **TIME),
        errors=(*READ_ERRORS, 404),
    ),
    read(
        "/v1/catalog",
        "The event catalog",
        CatalogList,
        query("status", "Filter.", enum=["planned", "unplanned", "blocked", "all"], default="all"),
        query("q", "Part of the name."),
    ),
    read(
        "/v1/catalog/{name}",
        "One event type with its properties",
        CatalogDetail,
        path("name", "Event type."),
        errors=(*READ_ERRORS, 404),
    ),
    RouteDoc(
        path="/v1/catalog/{name}",
        method="patch",
        summary="Edit an event type's description, owner or status",
        request_model=CatalogPatch,
        response_model=CatalogDetail,
        scopes=ADMIN,
        error_statuses=(*READ_ERRORS, 404),
        parameters=(path("name", "Event type."),),
        description="Blocking a type makes the aggregator dead-letter its new events (reason blocked_event_type).",
    ),
    RouteDoc(
        path="/v1/catalog/{name}/properties/{property}/rollup",
        method="put",
        summary="Pre-aggregate a property: as a dimension (breakdowns), a measure (sums), both or neither",
        request_model=RollupMarks,
        response_model=RollupMarked,
        scopes=ADMIN,
        error_statuses=(*READ_ERRORS, 404, 422),
        parameters=(path("name", "Event type."), path("property", "A property of the type, as the catalog lists it.")),
        description=(
            "At most 5 dimensions and 5 measures per event type (422 too_many_rollups); a measure must be a "
            "property only ever seen as a number (422 not_numeric). New events are added from active_from; "
            "the events before are added once by the backfill (backfilled_at). Unmarking deletes the rollup "
            "and its rows. See docs/insights.md."
        ),
    ),
    read(
        "/v1/dead-letters",
        "Dead letters, newest first, with counts by reason",
        DeadLetterPage,
        query("reason", "Reason code."),
        query("status", "Filter.", enum=["new", "replayed", "discarded", "all"], default="new"),
        limit(50, 200),
        CURSOR,
    ),
    RouteDoc(
        path="/v1/dead-letters/replay",
        method="post",
        summary="Replay dead letters into events_raw",
        request_model=ReplayRequest,
        response_model=ReplayResponse,
        scopes=ADMIN,
        error_statuses=(*READ_ERRORS, 409),
        description="Answers once Kafka holds every replayed record; then the letters are marked replayed.",
    ),
    RouteDoc(
        path="/v1/keys",
        method="get",
        summary="This tenant's API keys",
        request_model=None,
        response_model=KeyList,
        scopes=ADMIN,
        error_statuses=(401, 403, 503),
    ),
    RouteDoc(
        path="/v1/keys",
        method="post",
        summary="Create an API key (the secret is shown once)",
        request_model=KeyCreate,
        response_model=KeyCreated,
        success_status=201,
        scopes=ADMIN,
        error_statuses=(*READ_ERRORS, 404),
    ),
    RouteDoc(
        path="/v1/keys/{key_id}/revoke",
        method="post",
        summary="Revoke an API key",
        request_model=None,
        response_model=KeyOut,
        scopes=ADMIN,
        error_statuses=(*READ_ERRORS, 404),
        parameters=(path("key_id", "Key id.", format="uuid"),),
        description="Revoked keys are refused everywhere within 60 s (at once by this container).",
    ),
]
