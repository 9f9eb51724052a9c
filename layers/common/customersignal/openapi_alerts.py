"""The alert routes in the OpenAPI document: rules (read scope reads, admin edits), their history, and the
webhook endpoints (admin)."""

from __future__ import annotations

from customersignal.domain.alert_models import (
    DeliveryList,
    DeliveryOut,
    EndpointCreate,
    EndpointCreated,
    EndpointList,
    EndpointOut,
    HistoryPage,
    RuleList,
    RuleOut,
)
from customersignal.domain.alert_rules import RulePatch, RuleSpec
from customersignal.openapi import RouteDoc
from customersignal.openapi_dashboard import ADMIN, READ, READ_ERRORS, limit, path, query

RULE_ID = path("rule_id", "Alert rule id.", format="uuid")
ENDPOINT_ID = path("endpoint_id", "Webhook endpoint id.", format="uuid")
DELIVERY_ID = path("delivery_id", "Delivery number (from a delivery log).")
EDIT_ERRORS = (*READ_ERRORS, 404, 409)
RULE_ERRORS = (*EDIT_ERRORS, 422)  # 422: a bad entry in the rule's filters (invalid_filter, naming filters[i])


def _admin(route: str, method: str, summary: str, **fields: object) -> RouteDoc:
    return RouteDoc(path=route, method=method, summary=summary, scopes=ADMIN, **fields)  # type: ignore[arg-type]


ALERT_ROUTES: list[RouteDoc] = [
    RouteDoc(path="/v1/alerts", method="get", summary="This tenant's alert rules, each whole, with its state",
             request_model=None, response_model=RuleList, scopes=READ, error_statuses=READ_ERRORS,
             description="Each item is the body of GET /v1/alerts/{rule_id} (metric, property, filters, window, "
             "condition, channels, status) plus condition_kind, state and since, flat. FIRING rules first."),
    _admin("/v1/alerts", "post", "Create an alert rule", request_model=RuleSpec, response_model=RuleOut,
           success_status=201, error_statuses=RULE_ERRORS,
           description="Invalid rules are 400s naming the field (422 for a bad filter); channels must be active "
           "webhook endpoints."),
    RouteDoc(path="/v1/alerts/{rule_id}", method="get", summary="One alert rule with its state",
             request_model=None, response_model=RuleOut, scopes=READ, error_statuses=(*READ_ERRORS, 404),
             parameters=(RULE_ID,)),
    _admin("/v1/alerts/{rule_id}", "put", "Replace an alert rule (a new measurement restarts it at OK)",
           request_model=RuleSpec, response_model=RuleOut, error_statuses=RULE_ERRORS, parameters=(RULE_ID,)),
    _admin("/v1/alerts/{rule_id}", "patch", "Change an alert rule's settings (silence, enable, channels...)",
           request_model=RulePatch, response_model=RuleOut, error_statuses=EDIT_ERRORS, parameters=(RULE_ID,)),
    _admin("/v1/alerts/{rule_id}", "delete", "Delete an alert rule and its history", request_model=None,
           response_model=None, success_status=204, error_statuses=(400, 401, 403, 404, 503), parameters=(RULE_ID,)),
    RouteDoc(path="/v1/alerts/{rule_id}/history", method="get", summary="The rule's transitions and deliveries",
             request_model=None, response_model=HistoryPage, scopes=READ, error_statuses=(*READ_ERRORS, 404),
             parameters=(RULE_ID, query("cursor", "next_cursor of the previous page."), limit(50, 200))),
    _admin("/v1/webhooks", "get", "This tenant's webhook endpoints", request_model=None,
           response_model=EndpointList, error_statuses=(401, 403, 503)),
    _admin("/v1/webhooks", "post", "Register a webhook endpoint (its signing secret is shown once)",
           request_model=EndpointCreate, response_model=EndpointCreated, success_status=201,
           error_statuses=EDIT_ERRORS,
           description="The URL must be https and resolve only to public addresses; it becomes an SNS "
           "subscription that must be confirmed."),
    _admin("/v1/webhooks/{endpoint_id}", "delete", "Disable a webhook endpoint and unsubscribe it",
           request_model=None, response_model=EndpointOut, error_statuses=(400, 401, 403, 404, 503),
           parameters=(ENDPOINT_ID,)),
    _admin("/v1/webhooks/{endpoint_id}/confirmation", "post", "Ask SNS to send the subscription confirmation again",
           request_model=None, response_model=EndpointOut, error_statuses=(400, 401, 403, 404, 503),
           parameters=(ENDPOINT_ID,),
           description="For a receiver that was not listening when it was registered."),
    _admin("/v1/deliveries/{delivery_id}/redeliver", "post", "Send a delivery's notification again",
           request_model=None, response_model=DeliveryOut, success_status=201,
           error_statuses=(400, 401, 403, 404, 503), parameters=(DELIVERY_ID,),
           description="Same webhook id (receivers drop what they processed), fresh timestamp and signature."),
    _admin("/v1/webhooks/{endpoint_id}/deliveries", "get", "The endpoint's delivery log", request_model=None,
           response_model=DeliveryList, error_statuses=(400, 401, 403, 404, 503),
           parameters=(ENDPOINT_ID, limit(50, 200))),
]  # fmt: skip
