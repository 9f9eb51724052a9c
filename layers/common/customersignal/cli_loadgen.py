"""``customersignal loadgen``: send paced load to an API and check afterwards that nothing was lost.

    customersignal loadgen run --rate 200 --duration 60 --ledger run.ledger     # key: CS_LOADGEN_KEY or --key
    customersignal loadgen verify --tenant acme --ledger run.ledger [--wait 120]

``run`` shows progress on stderr every second and a summary on stdout. Ctrl-C (or SIGTERM) stops sending at
once: queued requests are dropped unsent, nothing is retried, and the attempts in flight get ``--stop-grace``
seconds (default 5) to be answered; a second Ctrl-C abandons them. The ledger keeps every acknowledgement.
``verify`` waits until the aggregator has caught up, then compares the ledger with Postgres and Redis:
exit 0 only when nothing acknowledged is lost and nothing is counted twice.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

import pg8000.native
import redis

from customersignal.adapters.load_audit_store import store_snapshot, stored_count, tenant_id_for
from customersignal.adapters.pipeline_lag import KafkaPipelineLag
from customersignal.adapters.postgres import connect
from customersignal.domain.events import MAX_EVENTS_PER_REQUEST
from customersignal.loadgen.audit import Audit, audit
from customersignal.loadgen.ledger import LedgerWriter, read_ledgers
from customersignal.loadgen.plan import EventPlanner, LoadMix
from customersignal.loadgen.runner import LoadRun, RunLimits, Tally
from customersignal.loadgen.sender import HttpSender

if TYPE_CHECKING:
    from customersignal.cli import Deps

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def _progress(err: TextIO, text: str) -> None:
    print(f"  {text}", end="\r" if err.isatty() else "\n", file=err, flush=True)


def _line(tally: Tally, elapsed: float) -> str:
    o, r = tally.outcomes, tally.retries
    rate = tally.submitted / elapsed if elapsed > 0 else 0.0
    return (
        f"[{elapsed:5.0f}s] {tally.submitted:,} events answered ({rate:,.0f}/s): {o['accepted']:,} accepted, "
        f"{o['rejected']:,} rejected, {o['unacknowledged']:,} unacknowledged; retries: {r['throttled']} throttled, "
        f"{r['unavailable']} unavailable, {r['no_answer']} no answer; {tally.behind_s:.1f}s behind schedule"
    )


def run(args: argparse.Namespace, deps: Deps) -> int:
    key = args.key or os.environ.get("CS_LOADGEN_KEY")
    if not key:
        print(
            "error: no API key: pass --key or set CS_LOADGEN_KEY (an ingest key: customersignal key create)",
            file=deps.err,
        )
        return EXIT_FAILED
    mix = LoadMix(batch=args.batch, resend_share=args.resend_share, invalid_share=args.invalid_share, users=args.users)
    limits = RunLimits(
        rate=args.rate, events=args.events, duration_s=args.duration, workers=args.workers,
        give_up_after_s=args.give_up_after, stop_grace_s=args.stop_grace,
    )  # fmt: skip
    sender = HttpSender(args.url, key, connections=args.workers, timeout_s=args.timeout)
    ledger = LedgerWriter(args.ledger)
    load = LoadRun(limits, EventPlanner(mix, seed=args.seed), sender, ledger, time.monotonic)
    tick: Callable[[], None] = lambda: _progress(deps.err, _line(load.tally, time.monotonic() - load.started))  # noqa: E731
    interrupted = False
    previous_term = _sigterm_as_interrupt()
    load.start()
    try:
        try:
            load.pace(tick)
            load.finish(tick)
        except KeyboardInterrupt:
            interrupted = True
            print(
                f"\nstopping: nothing more is sent; waiting up to {limits.stop_grace_s:g}s for the "
                f"{load.in_flight} requests in flight (Ctrl-C again to abandon them)",
                file=deps.err,
            )
            try:
                load.settle(tick)
            except KeyboardInterrupt:
                load.abandon()
    finally:
        ledger.close()
        sender.close()
        signal.signal(signal.SIGTERM, previous_term)
    return _summarize(args, deps, load, interrupted)


def _sigterm_as_interrupt() -> signal._HANDLER:
    """SIGTERM (a supervisor stopping the run) ends it like Ctrl-C: the ledger keeps every acknowledgement."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _summarize(args: argparse.Namespace, deps: Deps, load: LoadRun, interrupted: bool) -> int:
    tally, elapsed = load.tally, time.monotonic() - load.started
    summary = {
        "elapsed_s": round(elapsed, 2),
        "requests": tally.requests,
        "events_answered": tally.submitted,
        "outcomes": dict(tally.outcomes),
        "kinds": dict(tally.kinds),
        "retries": dict(tally.retries),
        "rejections": dict(tally.rejections),
        "unsent": tally.unsent,
        "interrupted": interrupted,
        "fatal": tally.fatal,
        "ledger": str(args.ledger),
    }
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(_line(tally, elapsed), file=deps.out)
    if tally.unsent:
        print(f"{tally.unsent:,} events planned but never sent: the run was stopped first", file=deps.out)
    print(
        f"ledger: {args.ledger} (check it: customersignal loadgen verify --tenant SLUG --ledger {args.ledger})",
        file=deps.out,
    )
    if tally.fatal:
        print(f"error: {tally.fatal}", file=deps.err)
        return EXIT_FAILED
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def verify(args: argparse.Namespace, deps: Deps) -> int:
    missing = [str(path) for path in args.ledger if not path.is_file()]
    if missing:
        print(
            f"error: no ledger at {', '.join(missing)}; `customersignal loadgen run --ledger PATH` writes one",
            file=deps.err,
        )
        return EXIT_FAILED
    settings = deps.settings
    db = connect(settings)
    hot = redis.Redis.from_url(settings.redis_url.get_secret_value())
    try:
        tenant_id = tenant_id_for(db, args.tenant)
        if tenant_id is None:
            print(
                f"error: no tenant '{args.tenant}': pass the slug of the tenant whose key the run used",
                file=deps.err,
            )
            return EXIT_FAILED
        ledger = read_ledgers(args.ledger)
        _wait_until_applied(deps, db, tenant_id, args.wait)
        result = audit(ledger, store_snapshot(db, hot, tenant_id))
    finally:
        db.close()
        hot.close()
    if args.json:
        Path(args.json).write_text(json.dumps({**asdict(result), "passed": result.passed}, indent=2) + "\n")
    _report(deps.out, result)
    return EXIT_OK if result.passed else EXIT_FAILED


def _wait_until_applied(deps: Deps, db: pg8000.native.Connection, tenant_id: uuid.UUID, wait_s: float) -> None:
    """Until Kafka's log is applied to its end and the tenant's stored count stops moving, or ``wait_s``."""
    settings = deps.settings
    lag = KafkaPipelineLag(
        {"bootstrap.servers": settings.kafka_bootstrap, "log_level": 3},
        settings.kafka_events_topic,
        settings.aggregator_consumer_group,
        lambda: connect(settings),
    )
    deadline, last = time.monotonic() + wait_s, -1
    while time.monotonic() < deadline:
        now = stored_count(db, tenant_id)
        if lag.caught_up() and now == last:
            return
        _progress(deps.err, f"waiting for the aggregator: {now:,} events stored")
        last = now
        time.sleep(1.0)
    print(f"\nthe aggregator did not catch up within {wait_s:.0f}s: the figures below may still move", file=deps.err)


def _report(out: TextIO, a: Audit) -> None:
    rows = [
        ("event submissions", a.submissions), ("of them resends (same event id)", a.resends),
        ("acknowledged (distinct)", a.acknowledged), ("rejected by the API", a.rejected),
        ("unacknowledged (gave up)", a.unacknowledged), ("stored (distinct)", a.stored), ("counted", a.counted),
        ("lost", a.lost), ("double-counted", a.double_counted), ("stored but never accepted", a.wrongly_stored),
    ]  # fmt: skip
    for label, value in rows:
        print(f"{label:<34}{value:>12,}", file=out)
    print(f"counts compared at: {', '.join(a.grains_checked)}", file=out)
    if "hot" not in a.grains_checked:
        print("  (not the Redis hot window: it does not cover the run; `customersignal rebuild-hot` does)", file=out)
    for mismatch in a.grain_mismatches:
        print(f"MISMATCH {mismatch}", file=out)
    print("PASS: nothing lost, nothing counted twice" if a.passed else "FAIL", file=out)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share is between 0 and 1")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _batch(text: str) -> int:
    value = _count(text)
    if value > MAX_EVENTS_PER_REQUEST:
        raise argparse.ArgumentTypeError(f"the API takes at most {MAX_EVENTS_PER_REQUEST} events per request")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def register(
    nouns: argparse._SubParsersAction[argparse.ArgumentParser], command: Callable[..., argparse.ArgumentParser]
) -> None:
    verbs = nouns.add_parser("loadgen", help="send paced load to the API; verify nothing was lost").add_subparsers(
        dest="verb", required=True
    )
    send = command(verbs, "run", "send events at a fixed rate; record every acknowledgement in a ledger", run)
    send.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('CS_API_PORT', '8000')}", help="the API")
    send.add_argument("--key", help="an ingest key (default: $CS_LOADGEN_KEY; keeps it out of the process list)")
    send.add_argument("--rate", type=_positive, default=100.0, help="events per second (default 100)")
    send.add_argument("--events", type=_count, help="stop after this many events")
    send.add_argument("--duration", type=_positive, metavar="SECONDS", help="stop after this long")
    send.add_argument("--batch", type=_batch, default=1, help="events per request (default 1; the API takes 500)")
    send.add_argument(
        "--resend-share", type=_share, default=0.0, help="share of events that repeat an acknowledged one"
    )
    send.add_argument("--invalid-share", type=_share, default=0.0, help="share of events invalid on purpose")
    send.add_argument("--users", type=_count, default=1_000, help="distinct user ids (default 1000)")
    send.add_argument("--workers", type=_count, default=8, help="concurrent requests (default 8)")
    send.add_argument("--timeout", type=_positive, default=10.0, help="seconds to wait for an answer (default 10)")
    send.add_argument(
        "--give-up-after", type=_positive, default=120.0, help="retry a request this long (default 120 s)"
    )
    send.add_argument(
        "--stop-grace", type=_positive, default=5.0, metavar="SECONDS",
        help="after Ctrl-C, wait this long for the requests in flight (default 5 s)",
    )  # fmt: skip
    send.add_argument("--seed", type=int, default=0, help="the mix's random seed")
    send.add_argument("--ledger", type=Path, default=Path("loadgen.ledger"), help="where acknowledgements go")
    send.add_argument("--summary-json", type=Path, help="also write the summary here")
    check = command(verbs, "verify", "check a ledger against Postgres and Redis: lost, double-counted", verify)
    check.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant the ledger's key belongs to")
    check.add_argument("--ledger", type=Path, nargs="+", required=True, help="the ledgers `loadgen run` wrote")
    check.add_argument("--wait", type=float, default=120.0, help="wait this long for the aggregator (default 120 s)")
    check.add_argument("--json", type=Path, help="also write the figures here")
