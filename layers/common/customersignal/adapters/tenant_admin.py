"""Tenant administration in Postgres: tenants, projects, and API keys (create, list, revoke).

Used by the ``customersignal`` CLI (and later an admin API). It runs as the owner role, which bypasses
row-level security, so every statement filters by the tenant's slug explicitly: a key id that belongs
to another tenant is simply not found.

Each operation is one statement where possible (``INSERT ... SELECT`` resolves the tenant and project in
the same statement), so there is no transaction to leave half done. Errors come back as domain errors
whose messages say what to do next: ``NotFound`` for a missing tenant, project or key; ``Conflict`` for
a duplicate slug or an ambiguous key prefix; ``DomainError`` for invalid input.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pg8000.native
from pg8000.exceptions import DatabaseError

from customersignal.adapters.key_store import PgSession, error_field, sqlstate
from customersignal.domain.auth import DISPLAY_PREFIX_LENGTH, NewKey, Scope, generate_key, hash_key, looks_like_key
from customersignal.domain.errors import Conflict, DomainError, NotFound

# The same rules as the schema's CHECK constraints, checked first for a friendlier message.
SLUG_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_NAME_LENGTH = 200
DEFAULT_RATE_LIMIT_PER_S = 1000  # the schema's defaults for projects.rate_limit_per_s ...
BURST_PER_RATE = 2  # ... and projects.burst (2 s worth of the rate)

DEMO_TENANT = "demo"
DEMO_PROJECT = "default"


@dataclass(frozen=True)
class Tenant:
    tenant_id: uuid.UUID
    slug: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Project:
    project_id: uuid.UUID
    tenant_id: uuid.UUID
    slug: str
    name: str
    rate_limit_per_s: int
    burst: int
    created_at: datetime


@dataclass(frozen=True)
class KeyInfo:
    """A key as people see it: never the secret, never the hash."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    project_id: uuid.UUID
    project_slug: str
    display_prefix: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        return "active" if self.revoked_at is None else "revoked"


def slugify(name: str) -> str:
    """A slug from a display name: "My Web App!" -> "my-web-app"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].rstrip("-")


def validate_slug(slug: str, what: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise DomainError(
            code="invalid_slug",
            message=f"'{slug}' is not a valid {what} slug: use 1-63 lowercase letters, digits and inner hyphens",
            field="slug",
        )


def validate_name(name: str, what: str) -> None:
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise DomainError(
            code="invalid_name", message=f"the {what} name must be 1-{MAX_NAME_LENGTH} characters", field="name"
        )


def _tenant_not_found(slug: str) -> NotFound:
    return NotFound(
        code="tenant_not_found",
        message=f"no tenant with slug '{slug}'; check the slug, or create the tenant first",
        field="tenant",
    )


INSERT_TENANT = "INSERT INTO tenants (slug, name) VALUES (:slug, :name) RETURNING id, slug, name, created_at"

INSERT_PROJECT = """
INSERT INTO projects (tenant_id, slug, name, rate_limit_per_s, burst)
SELECT t.id, :slug, :name, CAST(:rate AS integer), CAST(:burst AS integer) FROM tenants t WHERE t.slug = :tenant
RETURNING id, tenant_id, slug, name, rate_limit_per_s, burst, created_at
"""

# Queries that return keys select the columns of KeyInfo, in its order (see _key_info).
INSERT_KEY = """
WITH k AS (
    INSERT INTO api_keys (tenant_id, project_id, name, key_hash, display_prefix, scopes)
    SELECT p.tenant_id, p.id, :name, CAST(:key_hash AS bytea), :display_prefix, CAST(:scopes AS text[])
    FROM projects p JOIN tenants t ON t.id = p.tenant_id
    WHERE t.slug = :tenant AND p.slug = :project
    RETURNING *
)
SELECT k.id, k.tenant_id, k.project_id, p.slug, k.display_prefix, k.name, k.scopes,
       k.created_at, k.last_used_at, k.revoked_at
FROM k JOIN projects p ON p.tenant_id = k.tenant_id AND p.id = k.project_id
"""

TENANT_ID_BY_SLUG = "SELECT id FROM tenants WHERE slug = :tenant"

# LEFT JOINs so that "tenant exists, no keys" (one row of NULLs) differs from "no such tenant" (no rows).
LIST_KEYS = """
SELECT k.id, k.tenant_id, k.project_id, p.slug, k.display_prefix, k.name, k.scopes,
       k.created_at, k.last_used_at, k.revoked_at
FROM tenants t
LEFT JOIN api_keys k ON k.tenant_id = t.id
LEFT JOIN projects p ON p.tenant_id = k.tenant_id AND p.id = k.project_id
WHERE t.slug = :tenant
ORDER BY p.slug, k.created_at, k.id
"""

MATCH_KEY = """
SELECT t.id, k.id
FROM tenants t
LEFT JOIN api_keys k ON k.tenant_id = t.id
    AND (k.id = CAST(:key_id AS uuid) OR k.display_prefix = :display_prefix OR k.key_hash = CAST(:key_hash AS bytea))
WHERE t.slug = :tenant
"""

# COALESCE keeps the first revocation time: revoking twice is a no-op that returns the same record.
REVOKE_KEY = """
WITH k AS (
    UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
    WHERE id = :key_id AND tenant_id = :tenant_id
    RETURNING *
)
SELECT k.id, k.tenant_id, k.project_id, p.slug, k.display_prefix, k.name, k.scopes,
       k.created_at, k.last_used_at, k.revoked_at, k.key_hash
FROM k JOIN projects p ON p.tenant_id = k.tenant_id AND p.id = k.project_id
"""

ENSURE_TENANT = "INSERT INTO tenants (slug, name) VALUES (:slug, :name) ON CONFLICT (slug) DO NOTHING"

ENSURE_PROJECT = """
INSERT INTO projects (tenant_id, slug, name) SELECT t.id, :slug, :name FROM tenants t WHERE t.slug = :tenant
ON CONFLICT (tenant_id, slug) DO NOTHING
"""


def _key_info(row: Sequence[Any]) -> KeyInfo:
    key_id, tenant_id, project_id, project_slug, prefix, name, scopes, created, last_used, revoked = row[:10]
    return KeyInfo(
        key_id=key_id,
        tenant_id=tenant_id,
        project_id=project_id,
        project_slug=project_slug,
        display_prefix=prefix,
        name=name,
        scopes=frozenset(Scope(s) for s in scopes),
        created_at=created,
        last_used_at=last_used,
        revoked_at=revoked,
    )


class TenantAdmin:
    """Administrative operations on tenants, projects and keys.

    ``on_revoke(key_hash)`` runs after every successful revocation, e.g. to drop the key from the Redis
    key cache so other containers stop honouring it at their next local refresh. It must not raise.
    """

    def __init__(
        self,
        connect: Callable[[], pg8000.native.Connection],
        *,
        on_revoke: Callable[[bytes], object] | None = None,
    ) -> None:
        self._session = PgSession(connect)
        self._on_revoke = on_revoke

    def close(self) -> None:
        self._session.close()

    def create_tenant(self, name: str, slug: str) -> Tenant:
        validate_name(name, "tenant")
        validate_slug(slug, "tenant")
        rows = self._run(INSERT_TENANT, idempotent=False, slug=slug, name=name)
        return Tenant(*rows[0])

    def create_project(
        self,
        tenant_slug: str,
        name: str,
        slug: str,
        *,
        rate_limit_per_s: int | None = None,
        burst: int | None = None,
    ) -> Project:
        """A project with its own token bucket; ``burst`` defaults to two seconds' worth of the rate."""
        validate_name(name, "project")
        validate_slug(slug, "project")
        rate = DEFAULT_RATE_LIMIT_PER_S if rate_limit_per_s is None else rate_limit_per_s
        burst = BURST_PER_RATE * rate if burst is None else burst
        if rate < 1 or burst < 1:
            raise DomainError(
                code="invalid_rate_limit", message="the rate limit and the burst must both be at least 1 event"
            )
        rows = self._run(
            INSERT_PROJECT, idempotent=False, tenant=tenant_slug, slug=slug, name=name, rate=rate, burst=burst
        )
        if not rows:
            raise _tenant_not_found(tenant_slug)
        return Project(*rows[0])

    def create_key(
        self, tenant_slug: str, project_slug: str, scopes: Collection[Scope], name: str = ""
    ) -> tuple[KeyInfo, NewKey]:
        """A new key for the project. ``NewKey.secret`` exists only in the return value: show it once."""
        if not scopes:
            raise DomainError(code="invalid_scopes", message="a key needs at least one scope", field="scopes")
        if len(name) > MAX_NAME_LENGTH:
            raise DomainError(code="invalid_name", message=f"the key name must be at most {MAX_NAME_LENGTH} characters")
        new = generate_key()
        rows = self._run(
            INSERT_KEY,
            idempotent=False,
            tenant=tenant_slug,
            project=project_slug,
            name=name,
            key_hash=new.key_hash,
            display_prefix=new.display_prefix,
            scopes=sorted(Scope(s).value for s in scopes),
        )
        if not rows:
            raise self._missing_tenant_or_project(tenant_slug, project_slug)
        return _key_info(rows[0]), new

    def list_keys(self, tenant_slug: str) -> list[KeyInfo]:
        """Every key of the tenant, revoked ones included, by project then age."""
        rows = self._run(LIST_KEYS, idempotent=True, tenant=tenant_slug)
        if not rows:
            raise _tenant_not_found(tenant_slug)
        return [_key_info(row) for row in rows if row[0] is not None]

    def revoke_key(self, tenant_slug: str, key_ref: str) -> KeyInfo:
        """Revoke by key id, display prefix (``cs_AbCd1234``) or the full key. Revoking twice is a no-op."""
        params, key_ref = _key_ref_params(key_ref)  # key_ref is now safe to print: never a whole key
        matches = self._run(MATCH_KEY, idempotent=True, tenant=tenant_slug, **params)
        if not matches:
            raise _tenant_not_found(tenant_slug)
        tenant_id = matches[0][0]
        key_ids = [row[1] for row in matches if row[1] is not None]
        if not key_ids:
            raise NotFound(
                code="key_not_found",
                message=f"tenant '{tenant_slug}' has no key '{key_ref}'; list its keys to find the id or prefix",
                field="key",
            )
        if len(key_ids) > 1:
            raise Conflict(
                code="ambiguous_key",
                message=f"'{key_ref}' matches {len(key_ids)} keys; revoke by id instead: "
                + ", ".join(str(k) for k in key_ids),
                field="key",
            )
        rows = self._run(REVOKE_KEY, idempotent=True, key_id=key_ids[0], tenant_id=tenant_id)
        if not rows:  # deleted between the two statements (its project was deleted)
            raise NotFound(code="key_not_found", message=f"tenant '{tenant_slug}' has no key '{key_ref}'")
        if self._on_revoke is not None:
            self._on_revoke(bytes(rows[0][10]))
        return _key_info(rows[0])

    def ensure_demo(
        self,
        tenant_slug: str = DEMO_TENANT,
        project_slug: str = DEMO_PROJECT,
        *,
        scopes: Collection[Scope] = (Scope.INGEST,),
        key_name: str = "demo ingest key",
    ) -> tuple[KeyInfo, NewKey]:
        """Create the demo tenant and project if missing, and return a fresh key (every call)."""
        self._run(ENSURE_TENANT, idempotent=True, slug=tenant_slug, name="Demo")
        self._run(ENSURE_PROJECT, idempotent=True, tenant=tenant_slug, slug=project_slug, name="Default")
        return self.create_key(tenant_slug, project_slug, scopes, key_name)

    def _missing_tenant_or_project(self, tenant_slug: str, project_slug: str) -> NotFound:
        if not self._run(TENANT_ID_BY_SLUG, idempotent=True, tenant=tenant_slug):
            return _tenant_not_found(tenant_slug)
        return NotFound(
            code="project_not_found",
            message=f"tenant '{tenant_slug}' has no project '{project_slug}'; check the slug, or create the project",
            field="project",
        )

    def _run(self, sql: str, *, idempotent: bool, **params: Any) -> list[list[Any]]:
        try:
            return self._session.run(sql, idempotent=idempotent, **params)
        except DatabaseError as error:
            mapped = _domain_error(error, params)
            if mapped is None:
                raise
            raise mapped from error


def _key_ref_params(key_ref: str) -> tuple[dict[str, Any], str]:
    """Which column a reference names (a UUID is an id, a whole key its hash, anything else a prefix),
    and how to name it in messages (a whole key by its prefix only)."""
    try:
        return {"key_id": uuid.UUID(key_ref), "display_prefix": None, "key_hash": None}, key_ref
    except ValueError:
        pass
    if looks_like_key(key_ref) and len(key_ref) > DISPLAY_PREFIX_LENGTH:
        label = key_ref[:DISPLAY_PREFIX_LENGTH] + "..."
        return {"key_id": None, "display_prefix": None, "key_hash": hash_key(key_ref)}, label
    return {"key_id": None, "display_prefix": key_ref, "key_hash": None}, key_ref


_CONFLICTS = {
    "tenants_slug_key": ("tenant_exists", "a tenant with slug '{slug}' already exists; choose another slug"),
    "projects_tenant_slug_key": (
        "project_exists",
        "tenant '{tenant}' already has a project with slug '{slug}'; choose another slug",
    ),
}


def _domain_error(error: DatabaseError, params: dict[str, Any]) -> DomainError | None:
    """Constraint violations as domain errors; anything else (None) stays the driver's error."""
    code, constraint = sqlstate(error), error_field(error, "n")
    if code == "23505":
        error_code, template = _CONFLICTS.get(constraint, ("conflict", f"already exists ({constraint})"))
        return Conflict(code=error_code, message=template.format_map(params), field="slug")
    if code == "23514":
        return DomainError(code="invalid_argument", message=f"rejected by the schema's check {constraint}")
    return None
