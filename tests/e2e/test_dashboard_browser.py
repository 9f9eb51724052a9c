"""The dashboard in a real browser against the running local pipeline: Playwright (playwright-core)
drives Debian's headless Chromium through dashboard/e2e/dashboard.e2e.mjs (sign in, post events and watch
them arrive on the Overview chart and in the explorer, filter by user, page, open an event, create and
revoke a key). Screenshots land in test-artifacts/dashboard-e2e/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from customersignal.settings import PlatformSettings
from tests.e2e.walks import run_walk
from tests.fixtures.api import ApiServer

pytestmark = pytest.mark.integration

E2E_REDIS_DB = 11  # this module's own Redis database


def test_the_dashboard_shows_posted_events_and_manages_keys(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    tmp_path: Path,
) -> None:
    run_walk(
        "dashboard", api_server_factory, settings, kafka_topic(1), consumer_group, tmp_path,
        redis_db=E2E_REDIS_DB, hang_bound_s=360,
    )  # fmt: skip
