"""Schemathesis against the running API's own OpenAPI document: generated requests to every operation
(fuzzed and boundary "coverage" cases, with an admin+read+ingest key) must never get a server error, and
every answer must match the document: its status documented, its content type and its body schema.

`make test` runs CS_FUZZ_EXAMPLES=40 per operation (about 6,000 requests); `make fuzz` runs 150 (over
10,000). Found this way and fixed: a timestamp and sent_at millennia apart overflowed the time correction
(a 500 on /v1/events and the Segment routes), a delivery id of "¹" passed str.isdigit() (a 500), and
undocumented 400/415 answers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from customersignal.domain.auth import Scope
from tests.fixtures.api import ApiServer
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_generated_requests_get_no_server_error_and_answers_match_the_schema(api: ApiServer, tmp_path: Path) -> None:
    slug = api.new_tenant(rate_limit_per_s=1_000_000, burst=1_000_000)
    key = api.key(slug, Scope.INGEST, Scope.READ, Scope.ADMIN)
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"{api.url}/v1/openapi.json",
        "--header", f"Authorization: Bearer {key}", "--checks", CHECKS, "--phases", "coverage,fuzzing",
        "--max-examples", os.environ.get("CS_FUZZ_EXAMPLES", "40"), "--seed", "20261127", "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path),
        # a busy machine answers slower and generates slower; neither is what the checks are about
        "--request-timeout", f"{scaled(30):.0f}", "--suppress-health-check", "too_slow",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=scaled(1800))
    summary = done.stdout[-6000:]
    assert done.returncode == 0, summary
    generated = re.search(r"(\d+) generated", summary)
    assert generated is not None, summary
    minimum = int(os.environ.get("CS_FUZZ_MIN_REQUESTS", "5000"))
    assert int(generated.group(1)) >= minimum, f"only {generated.group(1)} requests were generated:\n{summary}"
    print(summary[-1500:])  # schemathesis's own tally; shown by `make fuzz` (pytest -s)
