"""Test-only Lambda handlers for the ESM emulator tests (tests/integration/test_esm_emulator.py).

Each template written by a test points CodeUri here. A handler appends one JSON line per invocation to
the file named by ``ESM_TEST_LOG`` (the event, the context's attributes, start and end on the monotonic
clock, and what it did), so the test sees exactly what the emulator delivered. ``ESM_TEST_STATE`` names a
file a handler creates on its first invocation, for behaviour that differs the first time; the test creates
the file named by ``ESM_TEST_RELEASE`` to let a held invocation finish.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

POISON = b"poison"


def _values(event: dict[str, Any]) -> list[bytes]:
    return [base64.b64decode(r["value"]) for rs in event["records"].values() for r in rs if r["value"] is not None]


def _log(event: dict[str, Any], context: Any, outcome: str, started: float) -> None:
    entry = {
        "outcome": outcome,
        "event": event,
        "context": {
            "function_name": context.function_name,
            "aws_request_id": context.aws_request_id,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "start": started,
        "end": time.monotonic(),
        "env": os.environ.get("ESM_TEST_MARKER"),
    }
    with Path(os.environ["ESM_TEST_LOG"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def _first_time() -> bool:
    state = Path(os.environ["ESM_TEST_STATE"])
    if state.exists():
        return False
    state.write_text("seen", encoding="utf-8")
    return True


def record(event: dict[str, Any], context: Any) -> None:
    _log(event, context, "ok", time.monotonic())


def fail_on_poison(event: dict[str, Any], context: Any) -> None:
    started = time.monotonic()
    if POISON in _values(event):
        _log(event, context, "error", started)
        raise ValueError("poison record")
    _log(event, context, "ok", started)


def partial_once(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    """First invocation: reports the third record of the first partition (in key order) as failed."""
    started = time.monotonic()
    if not _first_time():
        _log(event, context, "ok", started)
        return None
    key = sorted(event["records"])[0]
    offset = event["records"][key][2]["offset"]
    _log(event, context, f"partial:{key}:{offset}", started)
    return {"batchItemFailures": [{"itemIdentifier": {"partition": key, "offset": offset}}]}


def hang_once(event: dict[str, Any], context: Any) -> None:
    """First invocation: logs, then never returns (the test kills the emulator)."""
    started = time.monotonic()
    if _first_time():
        _log(event, context, "hang", started)
        time.sleep(3600)
    _log(event, context, "ok", started)


def slow_once(event: dict[str, Any], context: Any) -> None:
    """First invocation: logs ``started``, runs until the test creates ``ESM_TEST_RELEASE`` (at most until the
    function's timeout), then logs ``finished``. The test decides when it ends, not a fixed sleep."""
    started = time.monotonic()
    if _first_time():
        _log(event, context, "started", started)
        release = Path(os.environ["ESM_TEST_RELEASE"])
        while not release.exists() and context.get_remaining_time_in_millis() > 0:
            time.sleep(0.05)
        _log(event, context, "finished", started)
        return
    _log(event, context, "ok", started)
