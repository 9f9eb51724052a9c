"""The CustomerSignal HTTP API on API Gateway (REST) + Lambda. This module only wires things together:
routes live in chalicelib/*_routes.py, the error mapping in chalicelib/http.py, clients in chalicelib/deps.py.
"""

from typing import Any

from chalice import Chalice, ConvertToMiddleware

from chalicelib import (
    admin_routes,
    alert_routes,
    browser_routes,
    dashboard_routes,
    docs_routes,
    funnel_routes,
    ingest_routes,
    people_routes,
    segment_routes,
)
from customersignal.observability import flush_or_discard, logger, metrics

app = Chalice(app_name="customersignal-api")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))


@app.middleware("all")
def publish_metrics(event: Any, get_response: Any) -> Any:
    try:
        return get_response(event)
    finally:
        flush_or_discard(metrics)


app.register_blueprint(ingest_routes.bp)
app.register_blueprint(segment_routes.bp)
app.register_blueprint(browser_routes.bp)
app.register_blueprint(dashboard_routes.bp)
app.register_blueprint(people_routes.bp)
app.register_blueprint(funnel_routes.bp)
app.register_blueprint(admin_routes.bp)
app.register_blueprint(alert_routes.bp)
app.register_blueprint(docs_routes.bp)
