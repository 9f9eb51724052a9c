"""Segment's official Python SDK, unchanged, sends to CustomerSignal: our key is its write key."""

from __future__ import annotations

import uuid

import pytest
from segment.analytics.client import Client

from customersignal.domain.auth import Scope
from customersignal.domain.envelope import Envelope
from tests.fixtures.api import ApiServer
from tests.support.waits import scaled

pytestmark = pytest.mark.integration


def test_the_segment_sdk_delivers_every_call_type_into_kafka(api: ApiServer) -> None:
    # Given the SDK pointed at our API with an ingest key as its write key (sent as HTTP Basic)
    tenant = api.new_tenant()
    errors: list[Exception] = []
    client = Client(
        write_key=api.key(tenant, Scope.INGEST),
        host=api.url,
        sync_mode=True,
        max_retries=1,
        timeout=scaled(15),  # the SDK's own default, for a busy machine
        on_error=lambda error, _batch: errors.append(error),
    )
    user = f"user-{uuid.uuid4().hex[:6]}"
    ids = {
        "track": str(uuid.uuid4()),
        "identify": str(uuid.uuid4()),
        "page": str(uuid.uuid4()),
        "screen": str(uuid.uuid4()),
        "group": str(uuid.uuid4()),
        "alias": str(uuid.uuid4()),
    }
    # When it sends one of each call
    client.track(user, "Order Completed", {"revenue": 42.5}, message_id=ids["track"])
    client.identify(user, {"plan": "pro"}, message_id=ids["identify"])
    client.page(user, "Docs", "Pricing", {"path": "/pricing"}, message_id=ids["page"])
    client.screen(user, "App", "Home", message_id=ids["screen"])
    client.group(user, "acme", {"seats": 10}, message_id=ids["group"])
    client.alias("anon-previous", user, message_id=ids["alias"])
    client.flush()
    # Then the SDK saw no error, and each call is in Kafka under this tenant with the mapped type
    assert errors == []
    messages = api.messages_for(set(ids.values()))
    envelopes = {str(e.event.event_id): e for e in (Envelope.model_validate_json(m.value() or b"") for m in messages)}
    assert set(envelopes) == set(ids.values())
    assert all(e.tenant_id == api.tenants[tenant] for e in envelopes.values())
    types = {call: envelopes[message_id].event.event_type for call, message_id in ids.items()}
    assert types == {
        "track": "Order Completed",
        "identify": "$identify",
        "page": "$page",
        "screen": "$screen",
        "group": "$group",
        "alias": "$alias",
    }
    assert envelopes[ids["track"]].event.properties["revenue"] == 42.5
    assert envelopes[ids["track"]].event.user_id == user
