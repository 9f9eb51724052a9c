"""Issue 18's person timeline and live event feed in a real browser against the running local pipeline:
dashboard/e2e/people.e2e.mjs (Playwright driving Debian's Chromium) opens a user from the explorer and
follows events live while they are sent through the real API. Screenshots land in test-artifacts/people-e2e/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from customersignal.settings import PlatformSettings
from tests.e2e.walks import run_walk
from tests.fixtures.api import ApiServer

pytestmark = pytest.mark.integration

E2E_REDIS_DB = 9  # this module's own Redis database


def test_a_user_opens_from_the_explorer_and_the_events_page_follows_live(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    tmp_path: Path,
) -> None:
    run = run_walk(
        "people", api_server_factory, settings, kafka_topic(1), consumer_group, tmp_path,
        redis_db=E2E_REDIS_DB, hang_bound_s=300,
    )  # fmt: skip
    assert "PASS  people e2e: all steps passed" in run.stdout, run.stdout[-4000:]
