"""The Funnels page in a real browser against the running local pipeline: Playwright drives Debian's
headless Chromium through dashboard/e2e/funnels.e2e.mjs (events posted to the API, a funnel built in the
page with a filter, window and breakdown, its shared URL opened afresh). Screenshots land in
test-artifacts/funnels-e2e/."""

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

pytestmark = pytest.mark.integration

DIST = ROOT / "dashboard" / "dist"
SCRIPT = ROOT / "dashboard" / "e2e" / "funnels.e2e.mjs"
ARTIFACTS = ROOT / "test-artifacts" / "funnels-e2e"
E2E_REDIS_DB = 9  # this module's own Redis database (the hot store its aggregator writes)


def test_a_funnel_built_in_the_page_counts_the_people_sent(
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    kafka_topic: Callable[[int], str],
    consumer_group: str,
    tmp_path: Path,
) -> None:
    assert (DIST / "index.html").is_file(), "build the dashboard first: make dashboard"
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert chromium, "the browser test needs Chromium: make browser (apt-get install chromium)"
    api = api_server_factory(
        {"CUSTOMERSIGNAL_GATEWAY_SITE": str(DIST), "CS_REDIS_URL": redis_url_for(settings, E2E_REDIS_DB)}
    )
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
            "CS_TEST_TIME_SCALE": str(scale),
        }
        # the script stops itself after 240 s x that factor; this bound only catches a script that hangs
        run = subprocess.run(
            ["node", str(SCRIPT)], cwd=ROOT / "dashboard", env=env, capture_output=True, text=True, timeout=300 * scale
        )
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    assert "PASS  funnels e2e: all steps passed" in run.stdout, run.stdout[-4000:]
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")), "the run saved no screenshot"
