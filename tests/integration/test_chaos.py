"""The fault suite's quick profile (`make chaos` runs the full one): under steady load, the aggregator
SIGKILLed inside batch transactions, the broker and Postgres restarted, Redis flushed and rebuilt, and
poison records mixed in, nothing acknowledged is lost and nothing is counted twice, in the counts and in the
property rollups marked under the load. On a stack of its own."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.chaos.run import PROFILES, run

pytestmark = pytest.mark.integration


@pytest.mark.timeout(900)
def test_under_faults_nothing_acknowledged_is_lost_or_counted_twice(tmp_path: Path) -> None:
    state = Path(tempfile.mkdtemp(prefix="cs-chaos-", dir="/var/tmp"))
    try:
        passed = run(PROFILES["quick"], state, tmp_path / "results", seed=8)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    report = (tmp_path / "results.md").read_text()
    figures = json.loads((tmp_path / "results.json").read_text())
    assert figures["audit"]["acknowledged"] > 1_000, report
    assert (figures["audit"]["lost"], figures["audit"]["double_counted"]) == (0, 0), report
    tables = figures["rollups"]["tables"]
    assert "property_rollup_hour" in [t["table"] for t in tables], report
    assert all(t["cells"] > 0 and t["lost"] == t["double_counted"] == 0 and not t["mismatches"] for t in tables), report
    assert passed, report
