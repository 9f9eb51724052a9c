"""The Funnels page in a real browser against the running local pipeline: Playwright drives Debian's
headless Chromium through dashboard/e2e/funnels.e2e.mjs (events posted to the API, a funnel built in the
page with a filter, window and breakdown, its shared URL opened afresh). Screenshots land in
test-artifacts/funnels-e2e/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from customersignal.settings import PlatformSettings
from tests.e2e.walks import run_walk
from tests.fixtures.api import ApiServer

pytestmark = pytest.mark.integration

E2E_REDIS_DB = 8  # this module's own Redis database (the hot store its aggregator writes)


def test_a_funnel_built_in_the_page_counts_the_people_sent(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    tmp_path: Path,
) -> None:
    run = run_walk(
        "funnels", api_server_factory, settings, kafka_topic(1), consumer_group, tmp_path,
        redis_db=E2E_REDIS_DB, hang_bound_s=300,
    )  # fmt: skip
    assert "PASS  funnels e2e: all steps passed" in run.stdout, run.stdout[-4000:]
