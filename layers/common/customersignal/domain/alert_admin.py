"""Alert rules and webhook endpoints, as the API manages them (admin scope edits, read scope reads). Pure:
the stores, DNS and SNS come in as ports.

A webhook endpoint gets a fresh signing secret (shown once, stored encrypted) and an SNS subscription.
Its URL must be https and resolve only to public addresses (``webhook_urls``); a local stack may allow
http and loopback, and only when its deployment says so (``CS_WEBHOOK_LOCAL_MODE``).
"""

from __future__ import annotations

import builtins
import uuid
from datetime import datetime
from typing import Protocol

from customersignal.domain.alert_evaluation import AlertChannel, Delivery, Notification, SecretOpener, send
from customersignal.domain.alert_models import (
    DeliveryList,
    DeliveryOut,
    EndpointCreate,
    EndpointCreated,
    EndpointList,
    EndpointOut,
    HistoryEntry,
    HistoryPage,
    RuleList,
    RuleOut,
    list_item,
)
from customersignal.domain.alert_rules import RuleSpec, apply_patch, parse_patch, parse_rule
from customersignal.domain.dashboard import parse_body
from customersignal.domain.errors import MalformedRequest, NotFound
from customersignal.domain.webhook_signing import new_secret
from customersignal.domain.webhook_urls import Resolver, UrlPolicy


class RuleStore(Protocol):
    def list(self, tenant_id: uuid.UUID) -> builtins.list[RuleOut]: ...

    def get(self, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> RuleOut | None: ...

    def save(self, tenant_id: uuid.UUID, rule_id: uuid.UUID | None, spec: RuleSpec) -> RuleOut | None:
        """Create (``rule_id`` None) or replace; None when the rule to replace does not exist. A name the
        tenant already uses is a ``Conflict``."""
        ...

    def delete(self, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> bool: ...

    def history(
        self, tenant_id: uuid.UUID, rule_id: uuid.UUID, before_id: int | None, limit: int
    ) -> builtins.list[HistoryEntry]: ...

    def usable_endpoints(self, tenant_id: uuid.UUID, endpoint_ids: builtins.list[uuid.UUID]) -> set[uuid.UUID]: ...


class EndpointStore(Protocol):
    def list(self, tenant_id: uuid.UUID) -> builtins.list[EndpointOut]: ...

    def create(
        self, tenant_id: uuid.UUID, endpoint: EndpointCreate, endpoint_id: uuid.UUID, sealed: bytes
    ) -> EndpointOut: ...

    def subscribed(
        self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, subscription_arn: str, *, confirmed: bool
    ) -> EndpointOut: ...

    def disable(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> tuple[EndpointOut, str | None] | None: ...

    def deliveries(
        self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, limit: int
    ) -> builtins.list[DeliveryOut] | None: ...


class DeliveryStore(Protocol):
    def notification_of(self, tenant_id: uuid.UUID, delivery_id: int) -> Notification | None:
        """The notification a delivery carried, addressed to that delivery's endpoint (if still enabled)."""
        ...

    def record(self, tenant_id: uuid.UUID, history_id: int, delivery: Delivery) -> DeliveryOut: ...


class Subscriptions(Protocol):
    def subscribe(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, url: str) -> str:
        """Subscribe (again: SNS then re-sends the confirmation of a pending subscription)."""
        ...

    def confirmed(self, subscription_arn: str) -> bool: ...

    def unsubscribe(self, subscription_arn: str) -> None: ...


class Sealer(Protocol):
    def seal(self, secret: str, endpoint_id: uuid.UUID) -> bytes: ...


def list_rules(tenant_id: uuid.UUID, rules: RuleStore) -> RuleList:
    return RuleList(rules=[list_item(rule) for rule in rules.list(tenant_id)])


def get_rule(tenant_id: uuid.UUID, rule_id: uuid.UUID, rules: RuleStore) -> RuleOut:
    found = rules.get(tenant_id, rule_id)
    if found is None:
        raise NotFound("rule_not_found", f"this tenant has no alert rule {rule_id}", "rule_id")
    return found


def create_rule(tenant_id: uuid.UUID, raw: bytes, rules: RuleStore) -> RuleOut:
    spec = parse_rule(raw)
    _check_channels(tenant_id, spec, rules)
    saved = rules.save(tenant_id, None, spec)
    assert saved is not None
    return saved


def replace_rule(tenant_id: uuid.UUID, rule_id: uuid.UUID, raw: bytes, rules: RuleStore) -> RuleOut:
    return _save(tenant_id, rule_id, parse_rule(raw), rules)


def patch_rule(tenant_id: uuid.UUID, rule_id: uuid.UUID, raw: bytes, rules: RuleStore) -> RuleOut:
    patch = parse_patch(raw)
    current = get_rule(tenant_id, rule_id, rules)
    spec = apply_patch(RuleSpec.model_validate(current.model_dump(include=set(RuleSpec.model_fields))), patch)
    return _save(tenant_id, rule_id, spec, rules)


def delete_rule(tenant_id: uuid.UUID, rule_id: uuid.UUID, rules: RuleStore) -> None:
    if not rules.delete(tenant_id, rule_id):
        raise NotFound("rule_not_found", f"this tenant has no alert rule {rule_id}", "rule_id")


def rule_history(
    tenant_id: uuid.UUID, rule_id: uuid.UUID, before_id: int | None, limit: int, rules: RuleStore
) -> HistoryPage:
    get_rule(tenant_id, rule_id, rules)
    rows = rules.history(tenant_id, rule_id, before_id, limit + 1)
    page = rows[:limit]
    return HistoryPage(history=page, next_cursor=str(page[-1].id) if len(rows) > limit else None)


def register_endpoint(
    tenant_id: uuid.UUID,
    raw: bytes,
    *,
    endpoints: EndpointStore,
    resolver: Resolver,
    subscriptions: Subscriptions,
    sealer: Sealer,
    local_mode: bool,
) -> EndpointCreated:
    body = parse_body(EndpointCreate, raw)
    UrlPolicy(resolver, local_mode).check(body.url)
    endpoint_id, secret = uuid.uuid4(), new_secret()
    endpoints.create(tenant_id, body, endpoint_id, sealer.seal(secret, endpoint_id))
    arn = subscriptions.subscribe(tenant_id, endpoint_id, body.url)
    endpoint = endpoints.subscribed(tenant_id, endpoint_id, arn, confirmed=subscriptions.confirmed(arn))
    return EndpointCreated(endpoint=endpoint, secret=secret)


def list_endpoints(tenant_id: uuid.UUID, endpoints: EndpointStore, subscriptions: Subscriptions) -> EndpointList:
    """Endpoints still pending are checked with SNS, so the list says when a receiver has confirmed."""
    listed = []
    for endpoint in endpoints.list(tenant_id):
        if (
            endpoint.status == "pending"
            and endpoint.subscription_arn
            and subscriptions.confirmed(endpoint.subscription_arn)
        ):
            endpoint = endpoints.subscribed(tenant_id, endpoint.id, endpoint.subscription_arn, confirmed=True)
        listed.append(endpoint)
    return EndpointList(endpoints=listed)


def resend_confirmation(
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    endpoints: EndpointStore,
    subscriptions: Subscriptions,
    urls: UrlPolicy,
) -> EndpointOut:
    """For a receiver that was not up when it was registered: SNS sends the confirmation again (to a URL that
    still passes the policy: its name may resolve elsewhere than at registration)."""
    endpoint = next((e for e in endpoints.list(tenant_id) if e.id == endpoint_id), None)
    if endpoint is None or endpoint.status == "disabled":
        raise NotFound("endpoint_not_found", f"this tenant has no active webhook endpoint {endpoint_id}", "endpoint_id")
    if endpoint.subscription_arn and subscriptions.confirmed(endpoint.subscription_arn):
        return endpoints.subscribed(tenant_id, endpoint_id, endpoint.subscription_arn, confirmed=True)
    urls.check(endpoint.url)
    if endpoint.subscription_arn:  # a fresh subscription is what makes SNS send a new confirmation
        subscriptions.unsubscribe(endpoint.subscription_arn)
    arn = subscriptions.subscribe(tenant_id, endpoint_id, endpoint.url)
    return endpoints.subscribed(tenant_id, endpoint_id, arn, confirmed=subscriptions.confirmed(arn))


def disable_endpoint(
    tenant_id: uuid.UUID, endpoint_id: uuid.UUID, endpoints: EndpointStore, subscriptions: Subscriptions
) -> EndpointOut:
    found = endpoints.disable(tenant_id, endpoint_id)
    if found is None:
        raise NotFound("endpoint_not_found", f"this tenant has no webhook endpoint {endpoint_id}", "endpoint_id")
    endpoint, subscription_arn = found
    if subscription_arn:
        subscriptions.unsubscribe(subscription_arn)
    return endpoint


def endpoint_deliveries(
    tenant_id: uuid.UUID, endpoint_id: uuid.UUID, limit: int, endpoints: EndpointStore
) -> DeliveryList:
    found = endpoints.deliveries(tenant_id, endpoint_id, limit)
    if found is None:
        raise NotFound("endpoint_not_found", f"this tenant has no webhook endpoint {endpoint_id}", "endpoint_id")
    return DeliveryList(deliveries=found)


def _save(tenant_id: uuid.UUID, rule_id: uuid.UUID, spec: RuleSpec, rules: RuleStore) -> RuleOut:
    _check_channels(tenant_id, spec, rules)
    saved = rules.save(tenant_id, rule_id, spec)
    if saved is None:
        raise NotFound("rule_not_found", f"this tenant has no alert rule {rule_id}", "rule_id")
    return saved


def _check_channels(tenant_id: uuid.UUID, spec: RuleSpec, rules: RuleStore) -> None:
    unknown = [c for c in spec.channels if c not in rules.usable_endpoints(tenant_id, list(spec.channels))]
    if unknown:
        raise MalformedRequest(
            "unknown_channel",
            f"channels: {', '.join(map(str, unknown))} is not an active webhook endpoint of this tenant; "
            "register it with POST /v1/webhooks first",
            "channels",
        )


def redeliver(
    tenant_id: uuid.UUID,
    delivery_id: int,
    *,
    deliveries: DeliveryStore,
    channel: AlertChannel,
    secrets: SecretOpener,
    urls: UrlPolicy,
    now: datetime,
) -> DeliveryOut:
    """Publish a delivery's notification to its endpoint again: the same webhook id (a receiver that already
    processed it drops it), a fresh timestamp and signature, and a new delivery record (failed, with the
    reason, when the endpoint's URL no longer passes the policy)."""
    notification = deliveries.notification_of(tenant_id, delivery_id)
    if notification is None:
        raise NotFound(
            "delivery_not_found", f"this tenant has no delivery {delivery_id} to an enabled endpoint", "delivery_id"
        )
    [result] = send(notification, channel, secrets, int(now.timestamp()), urls=urls)
    return deliveries.record(tenant_id, notification.history_id, result)
