"""Segment's browser SDK (analytics.js 2.0): its short paths, their CORS preflight, and its telemetry.

Browsers call these from any site, so they answer any origin. analytics.js sends ``Content-Type:
text/plain``, ``Authorization: Basic <writeKey:>`` (since 1.7x; older versions only put the key in the
body) and, on a retry, ``X-Retry-Count`` (packages/browser/src/plugins/segmentio/{fetch,batched}-dispatcher.ts).
The last two make the request non-simple, so the browser asks first (``OPTIONS``): a preflight that does not
list every one of them blocks the request, and a retry blocked that way is an event lost for good. So each
path has an OPTIONS route that allows exactly those headers, answered by the function itself, the same way
behind REST, HTTP API and the local gateway (none of them is told to answer CORS on its own).

``Retry-After`` is exposed to the page: the SDK reads it to pace its retries after a 429 or 503.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, CORSConfig, Response

from chalicelib.http import RequestContext, edge, json_response, require_json
from chalicelib.segment_routes import handle
from customersignal.domain.segment_browser import SHORT_PATHS, count_telemetry
from customersignal.observability import metrics

BROWSER_HEADERS = ("Authorization", "Content-Type", "X-Retry-Count")
PREFLIGHT_MAX_AGE_S = 7200  # Chromium's cap: one preflight per path and page for two hours


class BrowserCors(CORSConfig):
    # Chalice adds X-Amz-Date, X-Api-Key... to every allow list; the browser routes allow what the SDK sends
    _REQUIRED_HEADERS: list[str] = []  # noqa: RUF012 - overrides Chalice's class attribute


BROWSER_CORS = BrowserCors(
    allow_origin="*", allow_headers=BROWSER_HEADERS, expose_headers=["Retry-After"], max_age=PREFLIGHT_MAX_AGE_S
)

bp = Blueprint(__name__)


def preflight() -> Response:
    """The answer to a CORS preflight; Chalice adds the allow-origin, -headers and max-age of BROWSER_CORS."""
    return Response(body="", status_code=204, headers={"Access-Control-Allow-Methods": "POST,OPTIONS"})


@bp.route("/v1/t", methods=["POST"], content_types=["*/*"], cors=BROWSER_CORS)
@edge(bp)
def browser_track(ctx: RequestContext) -> Response:
    return handle(ctx, SHORT_PATHS["t"])


@bp.route("/v1/i", methods=["POST"], content_types=["*/*"], cors=BROWSER_CORS)
@edge(bp)
def browser_identify(ctx: RequestContext) -> Response:
    return handle(ctx, SHORT_PATHS["i"])


@bp.route("/v1/p", methods=["POST"], content_types=["*/*"], cors=BROWSER_CORS)
@edge(bp)
def browser_page(ctx: RequestContext) -> Response:
    return handle(ctx, SHORT_PATHS["p"])


@bp.route("/v1/s", methods=["POST"], content_types=["*/*"], cors=BROWSER_CORS)
@edge(bp)
def browser_screen(ctx: RequestContext) -> Response:
    return handle(ctx, SHORT_PATHS["s"])


@bp.route("/v1/g", methods=["POST"], content_types=["*/*"], cors=BROWSER_CORS)
@edge(bp)
def browser_group(ctx: RequestContext) -> Response:
    return handle(ctx, SHORT_PATHS["g"])


@bp.route("/v1/a", methods=["POST"], content_types=["*/*"], cors=BROWSER_CORS)
@edge(bp)
def browser_alias(ctx: RequestContext) -> Response:
    return handle(ctx, SHORT_PATHS["a"])


@bp.route("/v1/b", methods=["POST"], content_types=["*/*"], cors=BROWSER_CORS)
@edge(bp)
def browser_batch(ctx: RequestContext) -> Response:
    return handle(ctx, SHORT_PATHS["b"])


@bp.route("/v1/m", methods=["POST"], content_types=["*/*"], cors=BROWSER_CORS)
@edge(bp)
def browser_telemetry(ctx: RequestContext) -> Response:
    """The SDK's counters about itself: taken (as Segment does) and counted, never stored (domain/segment_browser)."""
    require_json(ctx)
    received = count_telemetry(ctx.body())
    metrics.add_metric(name="BrowserSdkTelemetry", unit=MetricUnit.Count, value=received)
    body = {"success": True, "received": received, "request_id": ctx.request_id, "trace_id": ctx.trace.trace_id}
    return json_response(200, body, ctx)


for _path in ("/v1/t", "/v1/i", "/v1/p", "/v1/s", "/v1/g", "/v1/a", "/v1/b", "/v1/m"):
    bp.route(_path, methods=["OPTIONS"], content_types=["*/*"], cors=BROWSER_CORS, name=f"preflight_{_path[-1]}")(
        preflight
    )
