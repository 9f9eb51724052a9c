"""One dashboard walk in a real browser against the running local pipeline: the local API serving the
built dashboard, its own event-source mapping and Redis database, and a Playwright script
(dashboard/e2e/<name>.e2e.mjs) driving Debian's headless Chromium with an admin and an ingest key of a
new tenant. Screenshots land in test-artifacts/<name>-e2e/."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from customersignal.domain.auth import Scope
from customersignal.settings import PlatformSettings
from tests.fixtures.api import ApiServer
from tests.fixtures.pipeline import redis_url_for, running_esm
from tests.fixtures.services import ROOT
from tests.support.waits import time_scale

DIST = ROOT / "dashboard" / "dist"


def artifacts_dir(name: str) -> Path:
    return ROOT / "test-artifacts" / f"{name}-e2e"


def run_walk(
    name: str,
    api_server_factory: Callable[[dict[str, str]], ApiServer],
    settings: PlatformSettings,
    dlq_topic: str,
    consumer_group: str,
    tmp_path: Path,
    *,
    redis_db: int,
    hang_bound_s: float,
    alongside: Callable[[ApiServer], AbstractContextManager[object]] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Runs the walk and returns its process; ``hang_bound_s`` (scaled by the machine's time scale, like the
    script's own timeouts) only catches a script that hangs: each script stops itself before it.
    ``alongside``: more of the pipeline for this walk (e.g. the alert evaluator), run on its API while the
    walk runs."""
    assert (DIST / "index.html").is_file(), "build the dashboard first: make dashboard"
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert chromium, "the browser test needs Chromium: make browser (apt-get install chromium)"
    api = api_server_factory(
        {"CUSTOMERSIGNAL_GATEWAY_SITE": str(DIST), "CS_REDIS_URL": redis_url_for(settings, redis_db)}
    )
    slug = api.new_tenant()
    artifacts = artifacts_dir(name)
    extra = alongside(api) if alongside else nullcontext()
    with running_esm(
        api, settings, redis_db=redis_db, dlq_topic=dlq_topic, consumer_group=consumer_group,
        log=tmp_path / "esm.log",
    ), extra:  # fmt: skip
        shutil.rmtree(artifacts, ignore_errors=True)
        artifacts.mkdir(parents=True)
        scale = time_scale()
        env = os.environ | {
            "BASE_URL": api.url,
            "CS_ADMIN_KEY": api.key(slug, Scope.READ, Scope.ADMIN),
            "CS_INGEST_KEY": api.key(slug, Scope.INGEST),
            "ARTIFACTS_DIR": str(artifacts),
            "CHROMIUM": chromium,
            "CS_TEST_TIME_SCALE": str(scale),  # the script's timeouts scale by the same factor
        }
        script = ROOT / "dashboard" / "e2e" / f"{name}.e2e.mjs"
        run = subprocess.run(
            ["node", str(script)], cwd=ROOT / "dashboard", env=env, capture_output=True, text=True,
            timeout=hang_bound_s * scale,
        )  # fmt: skip
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    assert sorted(p.name for p in artifacts.glob("*.png")), "the run saved no screenshot"
    return run
