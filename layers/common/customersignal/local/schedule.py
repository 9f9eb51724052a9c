"""EventBridge schedules, locally: every ``Type: Schedule`` event that template.yaml declares (the alert
evaluator's ``rate(1 minute)``) invokes its function's handler in-process with the scheduled event AWS
sends, at the declared rate, one invocation at a time per function (a run that overruns delays the next
one, as a single container would; on AWS overlapping runs are possible, and the evaluator is safe under
them).

    python -m customersignal.local.schedule --template template.yaml [--once]

Only ``rate(N minute|minutes|hour|hours|day|days)`` is understood; a ``cron(...)`` schedule is refused by
name, so a template change cannot silently stop a local job. The function's environment follows
``customersignal.local.serve`` (template variables except CS_* and intrinsics).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from customersignal.local.runtime import LambdaContext, import_handler, new_log_stream_name
from customersignal.local.serve import template_environment
from customersignal.local.template import FunctionSpec, TemplateError, function_spec, load_template

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Job:
    function: FunctionSpec
    event_name: str
    every_s: int


def period_s(expression: str) -> int:
    match = RATE.match(expression.strip())
    if match is None:
        raise TemplateError(f"schedule {expression!r}: only rate(N minutes|hours|days) runs locally")
    count, unit = int(match.group(1)), match.group(2).rstrip("s")
    if count < 1:
        raise TemplateError(f"schedule {expression!r}: the rate must be at least 1")
    return count * UNIT_S[unit]


def scheduled_jobs(template_path: Path) -> list[Job]:
    template = load_template(template_path)
    jobs = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function" or resource.get("Condition"):
            continue
        for name, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
            if event.get("Type") == "Schedule":
                spec = function_spec(template, logical_id, base_dir=template_path.parent)
                jobs.append(Job(spec, name, period_s(str(event["Properties"]["Schedule"]))))
    return jobs


def scheduled_event(job: Job, now: datetime) -> dict[str, Any]:
    """The event EventBridge sends for a scheduled rule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{job.function.logical_id}-{job.event_name}"],
        "detail": {},
    }


def invoke(job: Job, handler: Any) -> None:
    context = LambdaContext(
        job.function.logical_id,
        timeout_s=float(job.function.timeout_s),
        memory_mb=job.function.memory_mb,
        log_stream_name=new_log_stream_name(),
    )
    started = time.monotonic()
    try:
        result = handler(scheduled_event(job, datetime.now(UTC)), context)
        print(f"{job.function.logical_id}.{job.event_name}: {result} ({time.monotonic() - started:.2f} s)", flush=True)
    except Exception:  # noqa: BLE001 - a failed run is logged; the next one comes at its time, as on AWS
        print(
            f"{job.function.logical_id}.{job.event_name} failed:\n{traceback.format_exc()}", file=sys.stderr, flush=True
        )


def run(jobs: list[Job], stop: threading.Event, *, once: bool) -> None:
    handlers = []
    for job in jobs:
        os.environ.update(template_environment(job.function)[0])
        handlers.append(import_handler(job.function))
    due = [time.monotonic()] * len(jobs)
    while not stop.is_set():
        for index, job in enumerate(jobs):
            if time.monotonic() >= due[index]:
                invoke(job, handlers[index])
                due[index] += job.every_s
        if once:
            return
        stop.wait(max(0.0, min(due) - time.monotonic()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m customersignal.local.schedule", description=__doc__.split("\n")[0])
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--once", action="store_true", help="invoke every scheduled function once, then exit")
    args = parser.parse_args(argv)
    try:
        jobs = scheduled_jobs(args.template.resolve())
    except (TemplateError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not jobs:
        print(f"error: {args.template} declares no Schedule event", file=sys.stderr)
        return 2
    names = ", ".join(f"{j.function.logical_id}.{j.event_name} every {j.every_s} s" for j in jobs)
    print(f"scheduling {names}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run(jobs, stop, once=args.once)
    return 0


if __name__ == "__main__":
    sys.exit(main())
