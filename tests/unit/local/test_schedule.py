"""The local scheduler reads template.yaml's Schedule events, as EventBridge would run them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from customersignal.local.runtime import import_handler
from customersignal.local.schedule import period_s, scheduled_event, scheduled_jobs
from customersignal.local.template import TemplateError
from tests.fixtures.services import ROOT

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200), ("rate(1 day)", 86400)],
)
def test_rates_become_periods(expression: str, seconds: int) -> None:
    assert period_s(expression) == seconds


@pytest.mark.parametrize("expression", ["cron(0 12 * * ? *)", "rate(0 minutes)", "rate(1 fortnight)", "every minute"])
def test_what_cannot_run_locally_is_refused_by_name(expression: str) -> None:
    with pytest.raises(TemplateError, match="schedule"):
        period_s(expression)


def test_the_template_schedules_the_evaluator_and_maintenance_and_their_handlers_import() -> None:
    jobs = scheduled_jobs(ROOT / "template.yaml")
    assert [(j.function.logical_id, j.event_name, j.every_s) for j in jobs] == [
        ("AlertsEvaluatorFunction", "EveryMinute", 60),
        ("MaintenanceFunction", "EverySixHours", 6 * 3600),
    ]
    assert all(callable(import_handler(job.function)) for job in jobs)
    event = scheduled_event(jobs[0], datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    assert (event["source"], event["detail-type"], event["time"]) == (
        "aws.events",
        "Scheduled Event",
        "2026-11-27T12:00:00Z",
    )
