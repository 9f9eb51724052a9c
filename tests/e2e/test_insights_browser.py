"""Issue 18's insight builder in a real browser against the running local pipeline: Playwright
(playwright-core) drives Debian's headless Chromium through dashboard/e2e/insights.e2e.mjs (send events
with a property, build a breakdown chart on the Metrics page, add the previous period, copy its link,
open the link in a fresh tab and see the same chart). Screenshots land in test-artifacts/insights-e2e/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from customersignal.settings import PlatformSettings
from tests.e2e.walks import run_walk
from tests.fixtures.api import ApiServer

pytestmark = pytest.mark.integration

E2E_REDIS_DB = 7  # this module's own Redis database


def test_a_breakdown_chart_shared_by_its_url_opens_the_same(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    tmp_path: Path,
) -> None:
    run_walk(
        "insights", api_server_factory, settings, kafka_topic(1), consumer_group, tmp_path,
        redis_db=E2E_REDIS_DB, hang_bound_s=300,
    )  # fmt: skip
