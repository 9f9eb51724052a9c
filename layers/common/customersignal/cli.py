"""``customersignal``: administer tenants, projects and API keys from a terminal.

    customersignal tenant create --name "Acme Corp" --slug acme
    customersignal tenant spread --tenant acme --factor 4   # a hot tenant (see cli_spread)
    customersignal project create --tenant acme --name "Web app"
    customersignal key create --tenant acme --project web-app --scopes ingest
    customersignal key list --tenant acme
    customersignal key revoke --tenant acme cs_AbCd1234
    customersignal demo --quiet            # `make up` prints this key
    customersignal status | rebuild-hot | maintain | dlq list | dlq replay   (see cli_status, cli_pipeline)
    customersignal loadgen run | verify                                     (see cli_loadgen)
    customersignal insights backfill [--tenant SLUG]                        (see cli_insights)

Settings come from the environment (``CS_PG_*``, ``CS_REDIS_URL``), as for every other entry point.
Exit codes: 0 done, 1 refused (the message says why and what to do next), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

import redis
from pg8000.exceptions import DatabaseError
from redis.backoff import NoBackoff
from redis.retry import Retry

from customersignal import cli_insights, cli_loadgen, cli_pipeline, cli_spread, cli_status, cli_topics
from customersignal.adapters.key_cache import invalidate_cached_key
from customersignal.adapters.key_store import error_field, sqlstate
from customersignal.adapters.postgres import connect
from customersignal.adapters.tenant_admin import KeyInfo, TenantAdmin, slugify
from customersignal.domain.auth import Scope
from customersignal.domain.errors import DomainError
from customersignal.settings import PlatformSettings

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
SHOWN_ONCE = "Store it now; it cannot be shown again."


# -- composition root -------------------------------------------------------------------------------


class CacheInvalidator:
    """Best effort: drop a revoked key from the Redis key cache, and remember why if that failed."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self.failure: str | None = None

    def __call__(self, key_hash: bytes) -> None:
        try:
            invalidate_cached_key(self._client, key_hash)
        except redis.RedisError as error:
            self.failure = str(error)


@dataclass
class Deps:
    settings: PlatformSettings
    admin: TenantAdmin
    invalidator: CacheInvalidator
    out: TextIO
    err: TextIO

    def close(self) -> None:
        self.admin.close()


def build_deps(settings: PlatformSettings, out: TextIO, err: TextIO) -> Deps:
    """Every adapter the CLI uses, built once. Nothing connects until a command needs it."""
    # One quick attempt: a CLI should not sit through redis-py's default retries with backoff.
    cache = redis.Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=1.0,
        socket_timeout=1.0,
        retry=Retry(NoBackoff(), 0),
    )
    invalidator = CacheInvalidator(cache)
    admin = TenantAdmin(lambda: connect(settings), on_revoke=invalidator)
    return Deps(settings=settings, admin=admin, invalidator=invalidator, out=out, err=err)


# -- output -----------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = [headers, *rows]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def scope_list(scopes: frozenset[Scope]) -> str:
    return ",".join(s.value for s in Scope if s in scopes)  # in the enum's order: ingest, read, admin


def key_rows(keys: Sequence[KeyInfo]) -> list[list[str]]:
    return [
        [
            k.display_prefix,
            k.project_slug,
            k.name or "-",
            scope_list(k.scopes),
            when(k.created_at),
            when(k.last_used_at),
            k.status if k.revoked_at is None else f"revoked {when(k.revoked_at)}",
            str(k.key_id),
        ]
        for k in keys
    ]


# -- commands ---------------------------------------------------------------------------------------


def tenant_create(args: argparse.Namespace, deps: Deps) -> int:
    tenant = deps.admin.create_tenant(args.name, args.slug)
    print(f"Created tenant {tenant.slug} ({tenant.name}), id {tenant.tenant_id}.", file=deps.out)
    print(f"Next: customersignal project create --tenant {tenant.slug} --name NAME", file=deps.out)
    return EXIT_OK


def project_create(args: argparse.Namespace, deps: Deps) -> int:
    slug = args.slug or slugify(args.name)
    project = deps.admin.create_project(
        args.tenant, args.name, slug, rate_limit_per_s=args.rate_limit, burst=args.burst
    )
    print(
        f"Created project {args.tenant}/{project.slug} ({project.name}): {project.rate_limit_per_s} events/s, "
        f"burst {project.burst}, id {project.project_id}.",
        file=deps.out,
    )
    print(
        f"Next: customersignal key create --tenant {args.tenant} --project {project.slug} --scopes ingest",
        file=deps.out,
    )
    return EXIT_OK


def key_create(args: argparse.Namespace, deps: Deps) -> int:
    info, new = deps.admin.create_key(args.tenant, args.project, args.scopes, args.name)
    print(
        f"Created key {info.display_prefix} for {args.tenant}/{info.project_slug} "
        f"(scopes {scope_list(info.scopes)}, id {info.key_id}):",
        file=deps.out,
    )
    print(f"\n    {new.secret}\n", file=deps.out)
    print(SHOWN_ONCE, file=deps.out)
    return EXIT_OK


def key_list(args: argparse.Namespace, deps: Deps) -> int:
    keys = deps.admin.list_keys(args.tenant)
    if not keys:
        print(f"Tenant {args.tenant} has no keys yet. Create one with:", file=deps.out)
        print(f"  customersignal key create --tenant {args.tenant} --project PROJECT --scopes ingest", file=deps.out)
        return EXIT_OK
    headers = ["PREFIX", "PROJECT", "NAME", "SCOPES", "CREATED", "LAST USED", "STATUS", "ID"]
    print(table(headers, key_rows(keys)), file=deps.out)
    return EXIT_OK


def key_revoke(args: argparse.Namespace, deps: Deps) -> int:
    info = deps.admin.revoke_key(args.tenant, args.key)
    print(
        f"Revoked key {info.display_prefix} of {args.tenant}/{info.project_slug} (id {info.key_id}) "
        f"at {when(info.revoked_at)}.",
        file=deps.out,
    )
    if deps.invalidator.failure is not None:
        print(
            f"note: could not clear it from the Redis key cache ({deps.invalidator.failure}); "
            "API containers still stop accepting it within 60 s.",
            file=deps.err,
        )
    return EXIT_OK


def demo(args: argparse.Namespace, deps: Deps) -> int:
    kind = "ingest" if Scope.INGEST in args.scopes else "dashboard"
    info, new = deps.admin.ensure_demo(scopes=args.scopes, key_name=f"demo {kind} key")
    if args.quiet:
        print(new.secret, file=deps.out)
        return EXIT_OK
    print(f"A new {scope_list(info.scopes)} key for the demo tenant (demo/{info.project_slug}):", file=deps.out)
    print(f"\n    {new.secret}\n", file=deps.out)
    print(SHOWN_ONCE, file=deps.out)
    return EXIT_OK


# -- arguments --------------------------------------------------------------------------------------


def scopes_argument(text: str) -> frozenset[Scope]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one scope: ingest, read, admin")
    try:
        return frozenset(Scope(name) for name in names)
    except ValueError:
        unknown = ", ".join(n for n in names if n not in {s.value for s in Scope})
        raise argparse.ArgumentTypeError(f"unknown scope {unknown}; choose from ingest, read, admin") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


Handler = Callable[[argparse.Namespace, Deps], int]


def _command(
    group: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str, handler: Handler
) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="customersignal",
        description="Administer CustomerSignal: tenants, projects, API keys, and the event pipeline.",
        epilog="Settings come from CS_PG_* and CS_REDIS_URL (defaults: the local stack of `make services`).",
    )
    nouns = parser.add_subparsers(
        dest="noun", required=True, metavar="{tenant,project,key,demo,status,rebuild-hot,maintain,dlq}"
    )

    tenant = nouns.add_parser("tenant", help="create tenants, spread them").add_subparsers(dest="verb", required=True)
    create = _command(tenant, "create", "create a tenant (a customer organisation)", tenant_create)
    create.add_argument("--name", required=True, help="display name, e.g. 'Acme Corp'")
    create.add_argument("--slug", required=True, help="short unique id: lowercase letters, digits, hyphens")
    cli_spread.register(tenant, _command)

    project = nouns.add_parser("project", help="create projects").add_subparsers(dest="verb", required=True)
    create = _command(project, "create", "create a project (a source of events) in a tenant", project_create)
    create.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant's slug")
    create.add_argument("--name", required=True, help="display name, e.g. 'Web app'")
    create.add_argument("--slug", help="short id, unique in the tenant (default: made from the name)")
    create.add_argument("--rate-limit", type=positive_int, metavar="N", help="events per second (default 1000)")
    create.add_argument("--burst", type=positive_int, metavar="N", help="bucket size in events (default 2 x rate)")

    key = nouns.add_parser("key", help="create, list and revoke API keys").add_subparsers(dest="verb", required=True)
    create = _command(key, "create", "create an API key; the key is printed once", key_create)
    create.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant's slug")
    create.add_argument("--project", required=True, metavar="SLUG", help="the project's slug")
    create.add_argument(
        "--scopes", required=True, type=scopes_argument, metavar="SCOPES", help="comma-separated: ingest,read,admin"
    )
    create.add_argument("--name", default="", help="what the key is for, e.g. 'iOS app'")
    listing = _command(key, "list", "list a tenant's keys (prefixes only, never the keys)", key_list)
    listing.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant's slug")
    revoke = _command(key, "revoke", "revoke a key; it stops working within a minute", key_revoke)
    revoke.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant's slug")
    revoke.add_argument("key", metavar="KEY_ID_OR_PREFIX", help="the key's id or prefix (from `key list`)")

    demo_parser = _command(nouns, "demo", "ensure the demo tenant and project; print a new ingest key", demo)
    demo_parser.add_argument("--quiet", action="store_true", help="print only the key")
    demo_parser.add_argument(
        "--scopes",
        default=frozenset({Scope.INGEST}),
        type=scopes_argument,
        metavar="SCOPES",
        help="the key's scopes (default ingest); read,admin signs in to the dashboard",
    )
    cli_status.register(nouns, _command)
    cli_topics.register(nouns, _command)
    cli_pipeline.register(nouns, _command)
    cli_loadgen.register(nouns, _command)
    cli_insights.register(nouns, _command)
    return parser


# -- errors -----------------------------------------------------------------------------------------


def hint(error: DomainError, args: argparse.Namespace) -> str | None:
    """A concrete next command for the errors people hit most."""
    tenant, project = getattr(args, "tenant", None), getattr(args, "project", None)
    hints = {
        "tenant_not_found": f"customersignal tenant create --name NAME --slug {tenant}",
        "project_not_found": f"customersignal project create --tenant {tenant} --name NAME --slug {project}",
        "key_not_found": f"customersignal key list --tenant {tenant}",
        "ambiguous_key": f"customersignal key list --tenant {tenant}",
    }
    return hints.get(error.code)


def explain_database_error(error: DatabaseError, settings: PlatformSettings) -> str:
    code = sqlstate(error)
    where = f"{settings.pg_host}:{settings.pg_port}"
    if code == "3D000":
        return f"database '{settings.pg_database}' does not exist on {where}; create it, or set CS_PG_DATABASE"
    if code == "42P01":
        return f"database '{settings.pg_database}' has no CustomerSignal schema yet; run `make migrate`"
    if code in {"28P01", "28000"}:
        return f"Postgres at {where} refused user '{settings.pg_user}'; check CS_PG_USER and CS_PG_PASSWORD"
    return f"Postgres refused the request: {error_field(error, 'M')} (SQLSTATE {code})"


def run(args: argparse.Namespace, deps: Deps) -> int:
    settings = deps.settings
    try:
        handler: Handler = args.handler
        return handler(args, deps)
    except DomainError as error:
        if error.code == "postgres_unavailable":
            where = f"{settings.pg_host}:{settings.pg_port}"
            print(f"error: cannot reach Postgres at {where} — is it running? try `make services`", file=deps.err)
            return EXIT_REFUSED
        print(f"error: {error.message}", file=deps.err)
        next_step = hint(error, args)
        if next_step is not None:
            print(f"  try: {next_step}", file=deps.err)
        return EXIT_REFUSED
    except DatabaseError as error:
        print(f"error: {explain_database_error(error, settings)}", file=deps.err)
        return EXIT_REFUSED


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) and usage errors (2, message already printed)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    deps = build_deps(PlatformSettings(), sys.stdout, sys.stderr)
    try:
        return run(args, deps)
    finally:
        deps.close()


if __name__ == "__main__":
    sys.exit(main())
