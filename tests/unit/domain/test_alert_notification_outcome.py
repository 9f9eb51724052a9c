"""What the dashboard says became of an alert notification: the outbox status read with the deliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from customersignal.domain.alert_models import DeliveryOut, notification_outcome

AT = datetime(2026, 12, 7, 14, 37, 5, tzinfo=UTC)


def delivery(status: str) -> DeliveryOut:
    return DeliveryOut.model_validate(
        {"id": 1, "endpoint_id": uuid.uuid4(), "alert_history_id": 7, "status": status, "attempts": 1,
         "error": None if status == "delivered" else "HTTP 500", "created_at": AT,
         "delivered_at": AT if status == "delivered" else None}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "deliveries", "expected"),
    [
        # the outbox marks a row 'sent' when nothing is left to deliver: with no channel that is at once
        ("sent", [], "no_channels"),
        ("sent", ["delivered"], "sent"),
        ("sent", ["failed", "delivered"], "sent"),  # a retry got through
        ("pending", [], "pending"),
        ("pending", ["failed"], "retrying"),
        ("pending", ["delivered", "failed"], "retrying"),
        ("suppressed", [], "suppressed"),
    ],
)
def test_sent_only_when_something_was_delivered(status: str, deliveries: list[str], expected: str) -> None:
    assert notification_outcome(status, [delivery(d) for d in deliveries]) == expected
