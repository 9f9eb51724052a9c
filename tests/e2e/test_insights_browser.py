"""Issue 18's insight builder in a real browser against the running local pipeline: Playwright
(playwright-core) drives Debian's headless Chromium through dashboard/e2e/insights.e2e.mjs (send events
with a property, build a breakdown chart on the Metrics page, add the previous period, copy its link,
open the link in a fresh tab and see the same chart). Screenshots land in test-artifacts/insights-e2e/."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from customersignal.domain.auth import Scope
from customersignal.settings import PlatformSettings
from tests.fixtures.api import ApiServer
from tests.fixtures.pipeline import redis_url_for, running_esm
from tests.fixtures.services import ROOT
from tests.support.waits import time_scale

DIST = ROOT / "dashboard" / "dist"
SCRIPT = ROOT / "dashboard" / "e2e" / "insights.e2e.mjs"
ARTIFACTS = ROOT / "test-artifacts" / "insights-e2e"
E2E_REDIS_DB = 12


pytestmark = pytest.mark.integration


def test_a_breakdown_chart_shared_by_its_url_opens_the_same(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    tmp_path: Path,
) -> None:
    assert (DIST / "index.html").is_file(), "build the dashboard first: make dashboard"
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert chromium, "the browser test needs Chromium: make browser (apt-get install chromium)"
    redis_url = redis_url_for(settings, E2E_REDIS_DB)
    api = api_server_factory({"CUSTOMERSIGNAL_GATEWAY_SITE": str(DIST), "CS_REDIS_URL": redis_url})
    slug = api.new_tenant()
    with running_esm(
        api, settings, redis_db=E2E_REDIS_DB, dlq_topic=kafka_topic(1), consumer_group=consumer_group,
        log=tmp_path / "esm.log",
    ):  # fmt: skip
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        ARTIFACTS.mkdir(parents=True)
        scale = time_scale()
        env = os.environ | {
            "BASE_URL": api.url,
            "CS_ADMIN_KEY": api.key(slug, Scope.READ, Scope.ADMIN),
            "CS_INGEST_KEY": api.key(slug, Scope.INGEST),
            "ARTIFACTS_DIR": str(ARTIFACTS),
            "CHROMIUM": chromium,
            "CS_TEST_TIME_SCALE": str(scale),  # the script's timeouts scale by the same factor
        }
        # the script stops itself after 240 s x that factor; this bound only catches a script that hangs
        run = subprocess.run(
            ["node", str(SCRIPT)], cwd=ROOT / "dashboard", env=env, capture_output=True, text=True, timeout=300 * scale
        )
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")), "the run saved no screenshot"
