"""``customersignal`` commands for the event pipeline: hot-store rebuild, dead letters, maintenance.

    customersignal rebuild-hot                     # restore Redis's 48 h window from Postgres
    customersignal dlq list [--reason R] [--tenant ID] [--all]
    customersignal dlq replay [--id N ...] [--reason R] [--tenant ID] [--dry-run]
    customersignal maintain [--events-retention-days N]   # prune dedup claims, add/expire partitions

Long commands report progress on stderr and a summary on stdout. Ctrl-C stops them between steps; every
step is idempotent, so running the command again finishes the job and loses nothing.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

import redis

from customersignal.adapters import dead_letter_admin as letters
from customersignal.adapters.hot_rebuild import hot_window_updates, window_hours
from customersignal.adapters.hot_store import RedisHotStore
from customersignal.adapters.pipeline_maintenance import MIN_RETENTION_DAYS, MaintenanceReport, run_maintenance
from customersignal.adapters.postgres import connect
from customersignal.domain.hot_window import HOT_WINDOW

if TYPE_CHECKING:
    from customersignal.cli import Deps

EXIT_OK, EXIT_REFUSED, EXIT_INTERRUPTED = 0, 1, 130
REPLAY_CHUNK = 200


def _kafka(deps: Deps) -> dict[str, Any]:
    return {"bootstrap.servers": deps.settings.kafka_bootstrap, "log_level": 3}


def _progress(err: TextIO, text: str) -> None:
    end = "\r" if err.isatty() else "\n"
    print(f"  {text}", end=end, file=err, flush=True)


def rebuild_hot(args: argparse.Namespace, deps: Deps) -> int:
    db = connect(deps.settings)
    store = RedisHotStore(redis.Redis.from_url(deps.settings.redis_url.get_secret_value()))
    now = datetime.now(UTC)
    steps = len(window_hours(now)) + 1
    buckets = users = 0
    try:
        for step, (hour, update) in enumerate(hot_window_updates(db, now), start=1):
            store.apply(update)
            buckets += len(update.totals)
            users += sum(len(members) for members in update.users.values())
            _progress(deps.err, f"[{step}/{steps}] {hour:%Y-%m-%d %H:00} UTC: {buckets} buckets, {users} user keys")
    except KeyboardInterrupt:
        print(f"\ninterrupted after {step - 1}/{steps} steps; nothing is lost: run it again to finish", file=deps.err)
        return EXIT_INTERRUPTED
    finally:
        db.close()
    store.mark_covered_from(now - HOT_WINDOW)
    print(f"rebuilt the hot window ({steps - 1} hours): {buckets} minute buckets, {users} user keys", file=deps.out)
    return EXIT_OK


def maintain(args: argparse.Namespace, deps: Deps) -> int:
    db = connect(deps.settings)
    report = MaintenanceReport()
    try:
        for line in run_maintenance(db, datetime.now(UTC), args.events_retention_days, report):
            _progress(deps.err, line)
    except KeyboardInterrupt:
        print(f"\ninterrupted; so far: {report.summary()}. Each step committed: run it again", file=deps.err)
        return EXIT_INTERRUPTED
    finally:
        db.close()
    print(report.summary(), file=deps.out)
    return EXIT_OK


def dlq_list(args: argparse.Namespace, deps: Deps) -> int:
    from customersignal.cli import table, when

    db = connect(deps.settings)
    try:
        found = letters.find_letters(db, _filter(args), limit=args.limit)
    finally:
        db.close()
    rows = [
        [str(x.id), x.reason_code, x.tenant_id or "-", x.source, when(x.received_at), x.status, x.error_text[:60]]
        for x in found
    ]
    print(table(["ID", "REASON", "TENANT", "SOURCE", "RECEIVED", "STATUS", "ERROR"], rows), file=deps.out)
    if not found:
        print("no dead letters match", file=deps.err)
    return EXIT_OK


def dlq_replay(args: argparse.Namespace, deps: Deps) -> int:
    db = connect(deps.settings)
    replayer = None if args.dry_run else letters.LetterReplayer(deps.settings, _kafka(deps))
    replayed, last_id = 0, 0
    try:
        while chunk := letters.find_letters(db, _filter(args), after=last_id, limit=REPLAY_CHUNK):
            last_id = chunk[-1].id
            if replayer is not None:
                replayer.replay(chunk)
                letters.mark_replayed(db, [x.id for x in chunk])
            replayed += len(chunk)
            _progress(deps.err, f"{replayed} letters {'would be ' if args.dry_run else ''}replayed")
    except KeyboardInterrupt:
        print(f"\ninterrupted: {replayed} replayed; the rest are still new: run it again", file=deps.err)
        return EXIT_INTERRUPTED
    finally:
        db.close()
        if replayer is not None:
            replayer.close()
    verb = "would replay" if args.dry_run else "replayed"
    print(f"{verb} {replayed} dead letters into {deps.settings.kafka_events_topic}", file=deps.out)
    if replayed and not args.dry_run:
        print(
            "letters whose cause is not fixed are dead-lettered again: check `customersignal dlq list`", file=deps.err
        )
    return EXIT_OK


def _retention(text: str) -> int:
    days = int(text)
    if days < MIN_RETENTION_DAYS:
        raise argparse.ArgumentTypeError(f"at least {MIN_RETENTION_DAYS} days (late events may still arrive)")
    return days


def _filter(args: argparse.Namespace) -> letters.LetterFilter:
    return letters.LetterFilter(
        status=None if getattr(args, "all", False) else "new",
        reason=args.reason,
        tenant_id=None if args.tenant is None else str(args.tenant),
        ids=getattr(args, "id", None),
    )


def register(
    nouns: argparse._SubParsersAction[argparse.ArgumentParser], command: Callable[..., argparse.ArgumentParser]
) -> None:
    command(nouns, "rebuild-hot", "restore the Redis hot window (48 h) from Postgres", rebuild_hot)
    upkeep = command(
        nouns,
        "maintain",
        "prune dedup keys past 8 days; add (and expire) partitions",
        maintain,
    )
    upkeep.add_argument(
        "--events-retention-days",
        type=_retention,
        metavar="DAYS",
        help=f"also drop raw-event partitions older than DAYS (at least {MIN_RETENTION_DAYS}); default: keep all",
    )
    dlq = nouns.add_parser("dlq", help="list and replay dead-lettered records").add_subparsers(
        dest="verb", required=True
    )
    listing = command(dlq, "list", "list dead letters (new ones unless --all)", dlq_list)
    replay = command(
        dlq, "replay", "produce new dead letters into events_raw again, once their cause is fixed", dlq_replay
    )
    for parser in (listing, replay):
        parser.add_argument("--reason", help="only this reason code, e.g. unknown_tenant")
        parser.add_argument("--tenant", type=uuid.UUID, metavar="TENANT_ID", help="only this tenant's letters")
    listing.add_argument("--all", action="store_true", help="include replayed and discarded letters")
    listing.add_argument("--limit", type=int, default=50, help="at most this many rows (default 50)")
    replay.add_argument("--id", type=int, nargs="+", metavar="N", help="only these letters (ids from `dlq list`)")
    replay.add_argument("--dry-run", action="store_true", help="count what would be replayed, produce nothing")
