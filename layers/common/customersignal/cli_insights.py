"""``customersignal insights backfill``: add the events received before a rollup was marked, now.

    customersignal insights backfill                 # every tenant's pending rollups
    customersignal insights backfill --tenant acme   # one tenant's

The maintenance job does the same every 6 hours; this is for not waiting, and for a backfill too large for
the job's 15 minutes. Each rollup is one transaction (adapters/pg_rollup_backfill.py): Ctrl-C or a crash
leaves that rollup pending and nothing added, and running the command again finishes the job.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from customersignal.adapters.pg_rollup_backfill import backfill_rollups
from customersignal.adapters.postgres import connect

if TYPE_CHECKING:
    from customersignal.cli import Deps

EXIT_OK, EXIT_INTERRUPTED = 0, 130


def backfill(args: argparse.Namespace, deps: Deps) -> int:
    db = connect(deps.settings)
    done = waiting = rows = 0
    try:
        print("backfilling rollups (each one commits whole)...", file=deps.err, flush=True)
        for result in backfill_rollups(db, datetime.now(UTC), args.tenant):
            name = f"{result.event_type}.{result.property_name} ({result.role}, tenant {result.tenant_id})"
            if result.done:
                done, rows = done + 1, rows + result.rows
                print(f"  {name}: {result.rows} rows", file=deps.err, flush=True)
            else:
                waiting += 1
                print(f"  {name}: waiting for the tenant's events to be counted up to its mark", file=deps.err)
    except KeyboardInterrupt:
        print(f"\ninterrupted after {done} rollups; the one under way was not added: run it again", file=deps.err)
        return EXIT_INTERRUPTED
    finally:
        db.close()
    note = f"; {waiting} waiting (their tenant's freshness has not passed active_from yet)" if waiting else ""
    print(f"backfilled {done} rollups, {rows} rollup rows written{note}", file=deps.out)
    return EXIT_OK


def register(
    nouns: argparse._SubParsersAction[argparse.ArgumentParser], command: Callable[..., argparse.ArgumentParser]
) -> None:
    insights = nouns.add_parser("insights", help="property rollups (docs/insights.md)").add_subparsers(
        dest="verb", required=True
    )
    parser = command(insights, "backfill", "add the events received before each pending rollup was marked", backfill)
    parser.add_argument("--tenant", metavar="SLUG", help="only this tenant's rollups (default: every tenant)")
