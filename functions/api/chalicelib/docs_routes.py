"""GET /v1/openapi.json: the contract, generated from the same pydantic models the API validates with."""

from __future__ import annotations

import functools
from typing import Any

from chalice import Blueprint, Response

from chalicelib.http import RequestContext, edge, json_response
from customersignal.openapi import INGEST_ROUTES, build_openapi
from customersignal.openapi_alerts import ALERT_ROUTES
from customersignal.openapi_dashboard import DASHBOARD_ROUTES
from customersignal.openapi_funnels import FUNNEL_ROUTES
from customersignal.openapi_people import PEOPLE_ROUTES

bp = Blueprint(__name__)


@functools.cache
def openapi_document() -> dict[str, Any]:
    routes = [*INGEST_ROUTES, *DASHBOARD_ROUTES, *PEOPLE_ROUTES, *FUNNEL_ROUTES, *ALERT_ROUTES]
    return build_openapi(routes, title="CustomerSignal API")


@bp.route("/v1/openapi.json", methods=["GET"])
@edge(bp)
def openapi(ctx: RequestContext) -> Response:
    return json_response(200, openapi_document(), ctx, {"Cache-Control": "public, max-age=300"})
