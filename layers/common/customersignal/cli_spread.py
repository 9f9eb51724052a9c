"""``customersignal tenant spread``: show or set how many partitions one tenant's events spread over.

    customersignal tenant spread --tenant acme              # show it
    customersignal tenant spread --tenant acme --factor 4   # spread acme over 4 partitions of events_raw

See domain/spread.py for the keys, and docs/scaling.md for when to use it and what it costs (the
tenant's events are no longer in one order).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_spread import SpreadChange, TenantSpreads
from customersignal.domain.spread import MAX_SPREAD, MIN_SPREAD

if TYPE_CHECKING:
    from customersignal.cli import Deps

EXIT_OK = 0
KEY_CACHE_BOUND_S = 60  # adapters/key_cache.py: MAX_REVOCATION_DELAY_S


def spread_factor(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not MIN_SPREAD <= value <= MAX_SPREAD:
        raise argparse.ArgumentTypeError(f"expected a whole number from {MIN_SPREAD} to {MAX_SPREAD}, got {text!r}")
    return value


def tenant_spread(args: argparse.Namespace, deps: Deps) -> int:
    spreads = TenantSpreads(lambda: connect(deps.settings))
    try:
        if args.factor is None:
            spread, changed_at = spreads.read(args.tenant)
            since = "" if changed_at is None else f" (since {changed_at:%Y-%m-%d %H:%M UTC})"
            print(f"Tenant {args.tenant} spreads over {spread} partition(s){since}.", file=deps.out)
            return EXIT_OK
        change = spreads.set(args.tenant, args.factor)
    finally:
        spreads.close()
    for key_hash in change.key_hashes:
        deps.invalidator(key_hash)  # the API reads the spread with the key: make it re-read soon
    report(args.tenant, change, deps)
    return EXIT_OK


def report(tenant: str, change: SpreadChange, deps: Deps) -> None:
    if change.previous == change.spread:
        print(f"Tenant {tenant} already spreads over {change.spread} partition(s); nothing changed.", file=deps.out)
        return
    print(
        f"Tenant {tenant} now spreads over {change.spread} partition(s) (was {change.previous}); "
        f"the API uses it within {KEY_CACHE_BOUND_S} s.",
        file=deps.out,
    )
    if change.spread > 1:
        print(
            f"events_raw needs at least {change.spread} partitions for that (`customersignal topics --check`); "
            "this tenant's events are no longer in one order across them.",
            file=deps.out,
        )
    if change.spread < change.previous:
        print(
            "Its freshness waits for the retired partitions to drain (docs/runbook.md, Hot tenant).",
            file=deps.out,
        )
    if deps.invalidator.failure is not None:
        print(
            f"note: could not clear the tenant's keys from the Redis key cache ({deps.invalidator.failure}); "
            f"API containers still pick up the change within {KEY_CACHE_BOUND_S} s.",
            file=deps.err,
        )


def register(
    tenant: argparse._SubParsersAction[argparse.ArgumentParser], command: Callable[..., argparse.ArgumentParser]
) -> None:
    parser = command(tenant, "spread", "show or set how many partitions a tenant's events spread over", tenant_spread)
    parser.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant's slug")
    parser.add_argument(
        "--factor",
        type=spread_factor,
        metavar="N",
        help=f"partitions of events_raw, {MIN_SPREAD}-{MAX_SPREAD} (1, the default, keeps the tenant in one order)",
    )
