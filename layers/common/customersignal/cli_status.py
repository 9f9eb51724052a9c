"""``customersignal status [--watch [SECONDS]]``: the live figures of a running stack.

    API           requests/s by status class (the local gateway's counters, see local/gateway_stats.py)
    events_raw    events/s into Kafka (end offsets) and events/s applied by the aggregator (offset fences)
    lag           per partition: end offset, the group's committed offset, the Postgres fence, lag
    freshness     per tenant: events received up to this time are counted
    dead letters  new letters in the table (`customersignal dlq list`) and records in the events_dlq topic

Rates are differences between two snapshots divided by the time between them: one second apart for a
single report, the refresh interval with ``--watch``. Ctrl-C ends a watch (exit 0).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from customersignal.adapters.pipeline_status import (
    PartitionLag,
    new_dead_letters,
    offset_fences,
    partition_lags,
    tenant_freshness,
    topic_records,
)
from customersignal.adapters.postgres import connect
from customersignal.local.gateway_stats import STATUS_CLASSES, WorkerStats, read_stats

if TYPE_CHECKING:
    from customersignal.cli import Deps

EXIT_OK, EXIT_REFUSED = 0, 1
SAMPLE_GAP_S = 1.0
CLEAR_SCREEN = "\x1b[H\x1b[2J"


@dataclass(frozen=True)
class Snapshot:
    taken: float  # time.monotonic()
    gateway: list[WorkerStats]
    lags: list[PartitionLag]
    freshness: list[tuple[str, datetime]]
    new_letters: int
    dlq_records: int


def default_stats_dir() -> Path:
    return Path(os.environ.get("CS_STATE_DIR", ".state")) / "run"


def take_snapshot(deps: Deps, stats_dir: Path) -> Snapshot:
    settings = deps.settings
    kafka: dict[str, Any] = {"bootstrap.servers": settings.kafka_bootstrap, "log_level": 3}
    db = connect(settings)
    try:
        fences = offset_fences(db, settings.aggregator_consumer_group, settings.kafka_events_topic)
        freshness = tenant_freshness(db)
        letters = new_dead_letters(db)
    finally:
        db.close()
    lags = partition_lags(kafka, settings.kafka_events_topic, settings.aggregator_consumer_group, fences)
    dlq = topic_records(kafka, settings.kafka_dlq_topic)
    return Snapshot(time.monotonic(), read_stats(stats_dir), lags, freshness, letters, dlq)


def request_rates(before: Snapshot, after: Snapshot) -> dict[str, float] | None:
    """Responses/s by status class over workers alive in both snapshots; None when no gateway reports."""
    if not after.gateway:
        return None
    elapsed = max(after.taken - before.taken, 1e-6)
    earlier = {w.pid: w for w in before.gateway}
    rates = dict.fromkeys(STATUS_CLASSES, 0.0)
    for worker in after.gateway:
        if worker.pid in earlier:  # a restarted worker's counters start again from zero
            for status_class in rates:
                delta = worker.responses.get(status_class, 0) - earlier[worker.pid].responses.get(status_class, 0)
                rates[status_class] += max(0, delta) / elapsed
    return rates


def render(before: Snapshot, after: Snapshot, deps: Deps, now: datetime) -> str:
    from customersignal.cli import table

    settings = deps.settings
    elapsed = max(after.taken - before.taken, 1e-6)
    lines = [f"customersignal status at {now:%Y-%m-%d %H:%M:%S} UTC (rates over {elapsed:.1f} s)", ""]
    rates = request_rates(before, after)
    if rates is None:
        lines.append("API: no local gateway reports request counts (is `make up` running?)")
    else:
        by_class = ", ".join(f"{name} {value:,.1f}" for name, value in rates.items())
        lines.append(f"API: {sum(rates.values()):,.1f} requests/s ({by_class}; {len(after.gateway)} workers)")
    produced = sum(a.end_offset - b.end_offset for a, b in zip(after.lags, before.lags, strict=False))
    applied = sum((a.applied or 0) - (b.applied or 0) for a, b in zip(after.lags, before.lags, strict=False))
    lines.append(
        f"{settings.kafka_events_topic}: {max(0, produced) / elapsed:,.1f} events/s in, "
        f"{max(0, applied) / elapsed:,.1f} events/s aggregated"
    )
    total_lag = sum(x.lag for x in after.lags)
    lines += ["", f"consumer group {settings.aggregator_consumer_group}: total lag {total_lag} records"]
    rows = [[str(x.partition), str(x.end_offset), _opt(x.committed), _opt(x.applied), str(x.lag)] for x in after.lags]
    lines.append(table(["PARTITION", "END", "COMMITTED", "APPLIED", "LAG"], rows))
    fresh_rows = [
        [slug, f"{moment:%Y-%m-%d %H:%M:%S} UTC", f"{(now - moment).total_seconds():.1f}s"]
        for slug, moment in after.freshness
    ]
    lines += ["", "freshness (events received up to this time are counted)"]
    lines.append(table(["TENANT", "COMPLETE UP TO", "BEHIND"], fresh_rows or [["-", "-", "-"]]))
    lines += [
        "",
        f"dead letters: {after.new_letters} new in the table (customersignal dlq list), "
        f"{after.dlq_records} records in {settings.kafka_dlq_topic}",
    ]
    return "\n".join(lines)


def status(args: argparse.Namespace, deps: Deps) -> int:
    sample: Callable[[], Snapshot] = lambda: take_snapshot(deps, args.stats_dir)  # noqa: E731
    try:
        before = sample()
    except Exception as error:  # noqa: BLE001 - any service failure gets the same advice
        return _unreachable(deps, error)
    interval = args.watch if args.watch is not None else SAMPLE_GAP_S
    shown = 0
    try:
        while True:
            time.sleep(interval)
            try:
                after = sample()
            except Exception as error:  # noqa: BLE001
                return _unreachable(deps, error)
            prefix = CLEAR_SCREEN if args.watch is not None and deps.out.isatty() else ""
            print(prefix + render(before, after, deps, datetime.now(UTC)), file=deps.out, flush=True)
            shown += 1
            if args.watch is None or (args.count is not None and shown >= args.count):
                return EXIT_OK
            if not deps.out.isatty():
                print("", file=deps.out)
            before = after
    except KeyboardInterrupt:
        return EXIT_OK


def _unreachable(deps: Deps, error: Exception) -> int:
    settings = deps.settings
    print(
        f"error: cannot read the pipeline's state ({error}); check Kafka at {settings.kafka_bootstrap} and "
        "Postgres, e.g. `make services` or `make up`",
        file=deps.err,
    )
    return EXIT_REFUSED


def _opt(value: int | None) -> str:
    return "-" if value is None else str(value)


def register(
    nouns: argparse._SubParsersAction[argparse.ArgumentParser], command: Callable[..., argparse.ArgumentParser]
) -> None:
    parser = command(nouns, "status", "requests/s, lag per partition, freshness per tenant, dead letters", status)
    parser.add_argument(
        "--watch",
        nargs="?",
        type=float,
        const=2.0,
        metavar="SECONDS",
        help="refresh every SECONDS (default 2) until Ctrl-C",
    )
    parser.add_argument("--count", type=int, help="with --watch: stop after this many reports")
    parser.add_argument(
        "--stats-dir",
        type=Path,
        default=default_stats_dir(),
        help="where the local gateway keeps its request counts (default $CS_STATE_DIR/run, i.e. .state/run)",
    )
