"""Issue 18's insight builder and alerts on insights in a real browser against the running local pipeline:
Playwright (playwright-core) drives Debian's headless Chromium through dashboard/e2e/insights.e2e.mjs (send
events with a property, build a breakdown chart on the Metrics page, add the previous period, copy its link,
open the link in a fresh tab and see the same chart; then create an alert rule on the sum of a numeric
property where plan = pro with the rule form, see it described in the list and on its page, and see the
alert evaluator, running beside the walk on its schedule, fire it on that sum). Screenshots land in
test-artifacts/insights-e2e/."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from customersignal.adapters.aws import AwsClients
from customersignal.settings import PlatformSettings
from tests.e2e.walks import run_walk
from tests.fixtures.api import ApiServer
from tests.fixtures.pipeline import running_evaluator

pytestmark = pytest.mark.integration

E2E_REDIS_DB = 7  # this module's own Redis database


@pytest.mark.timeout(600)  # the evaluator's run after the rule is saved can be a minute away
def test_a_breakdown_chart_shared_by_its_url_and_an_alert_on_its_filtered_sum(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    moto_clients: AwsClients,
    tmp_path: Path,
) -> None:
    def evaluator(api: ApiServer) -> AbstractContextManager[None]:
        return running_evaluator(api, consumer_group, moto_clients, tmp_path / "evaluator.log")

    run_walk(
        "insights", api_server_factory, settings, kafka_topic(1), consumer_group, tmp_path,
        redis_db=E2E_REDIS_DB, hang_bound_s=480, alongside=evaluator,
    )  # fmt: skip
