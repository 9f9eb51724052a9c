"""Tenancy: tenants, projects (sources), API keys, and the cs_tenant role behind row-level security.

Revision ID: 0001_tenancy
Revises:
Create Date: 2025-11-27

Row-level security model (applies to every later revision too)
----------------------------------------------------------------
* Every tenant-owned table has ``tenant_id uuid NOT NULL`` (only dead_letters may hold NULL, for records
  whose tenant is unknown), RLS enabled, and one policy ``tenant_isolation`` for all commands:
  ``tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid`` in USING and WITH CHECK.
  The NULLIF matters: once a session has set the variable locally, later transactions read '' instead
  of NULL, and ``''::uuid`` would raise. Unset means NULL, which matches no row (fail closed).
* Tenant-scoped code (dashboard API reads, catalog and rule edits) runs inside one transaction::

      BEGIN;
      SET LOCAL ROLE cs_tenant;
      SELECT set_config('app.tenant_id', $1, true);   -- true = local to this transaction
      ...
      COMMIT;

  Both settings end with the transaction, so a pooled connection cannot carry a tenant into the next
  request.
* ``cs_tenant`` is a NOLOGIN role that owns nothing and has no BYPASSRLS. It gets privileges table by
  table: DML on configuration (projects, keys, catalog, rules, endpoints, dead letters), SELECT on
  derived data (raw events, metrics, freshness), nothing on pipeline internals (event_dedup,
  consumer_offsets) or on partitions. Privileges and policies are checked on a partitioned parent
  only, so a partition named directly would bypass the policy; cs_tenant therefore has no grant on any
  partition. The login role is made a member so that it may ``SET ROLE cs_tenant``.
* The login role that runs the migrations owns the tables and bypasses RLS, because FORCE ROW LEVEL
  SECURITY is deliberately not used. The aggregator (many tenants per batch), the alert evaluator,
  and API-key authentication (the tenant is unknown until the key hash is resolved) run as the owner,
  and must filter by tenant explicitly.
* Roles are cluster-wide and several databases share this one (every test database, a staging and a
  production database on one server). So it is created idempotently, and a downgrade never drops it:
  it revokes what the role holds in this database instead (dropping a table drops its grants).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0001_tenancy"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
SLUG_CHECK = "'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'"


def comment(target: str, text: str) -> str:
    """COMMENT ON target, reflowed to one paragraph: line breaks in the source are layout only."""
    return f"COMMENT ON {target} IS $${' '.join(text.split())}$$"


def tenant_rls(table: str, privileges: str, predicate: str = TENANT_PREDICATE) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})",
        f"GRANT {privileges} ON {table} TO cs_tenant",
    ]


TENANT_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'cs_tenant') THEN
        BEGIN
            CREATE ROLE cs_tenant NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database's migration created it at the same moment
        END;
    END IF;
    IF NOT pg_catalog.pg_has_role(current_user, 'cs_tenant', 'MEMBER') THEN
        BEGIN
            GRANT cs_tenant TO CURRENT_USER;
        EXCEPTION WHEN unique_violation THEN
            NULL;  -- granted concurrently
        END;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO cs_tenant', current_schema());
END
$$
"""

TENANTS = f"""
CREATE TABLE tenants (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text        NOT NULL,
    name        text        NOT NULL,
    status      text        NOT NULL DEFAULT 'active',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenants_slug_key UNIQUE (slug),
    CONSTRAINT tenants_slug_check CHECK (slug ~ {SLUG_CHECK}),
    CONSTRAINT tenants_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended', 'deleted'))
)
"""

PROJECTS = f"""
CREATE TABLE projects (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slug              text        NOT NULL,
    name              text        NOT NULL,
    rate_limit_per_s  integer     NOT NULL DEFAULT 1000,
    burst             integer     NOT NULL DEFAULT 2000,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_tenant_slug_key UNIQUE (tenant_id, slug),
    CONSTRAINT projects_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT projects_slug_check CHECK (slug ~ {SLUG_CHECK}),
    CONSTRAINT projects_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT projects_rate_limit_check CHECK (rate_limit_per_s > 0 AND burst > 0)
)
"""

API_KEYS = """
CREATE TABLE api_keys (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid        NOT NULL,
    project_id      uuid        NOT NULL,
    name            text        NOT NULL DEFAULT '',
    key_hash        bytea       NOT NULL,
    display_prefix  text        NOT NULL,
    scopes          text[]      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_project_fkey FOREIGN KEY (tenant_id, project_id)
        REFERENCES projects (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT api_keys_key_hash_check CHECK (octet_length(key_hash) = 32),
    CONSTRAINT api_keys_display_prefix_check CHECK (char_length(display_prefix) BETWEEN 4 AND 32),
    CONSTRAINT api_keys_name_check CHECK (char_length(name) <= 200),
    CONSTRAINT api_keys_scopes_check CHECK (
        cardinality(scopes) > 0 AND scopes <@ ARRAY['ingest', 'read', 'admin']::text[]
    )
)
"""

UPGRADE: list[str] = [
    TENANT_ROLE,
    TENANTS,
    comment(
        "TABLE tenants",
        """One customer organisation: the unit of isolation. Deleting a tenant cascades to its
        configuration; high-volume data (events, metrics) has no foreign key and is purged by a job, so a
        delete never turns into one huge cascading transaction.""",
    ),
    PROJECTS,
    comment(
        "TABLE projects",
        """A source of events inside a tenant (an app, a site, a backend). API keys belong to a project.
        rate_limit_per_s and burst configure the ingestion token bucket (refill rate per second, bucket
        size).""",
    ),
    comment(
        "CONSTRAINT projects_tenant_id_key ON projects",
        """Target of composite foreign keys (tenant_id, project_id): a child row can never point at another
        tenant's project.""",
    ),
    API_KEYS,
    "CREATE INDEX api_keys_tenant_project_idx ON api_keys (tenant_id, project_id, created_at DESC)",
    comment(
        "TABLE api_keys",
        """Only a hash of each key is stored. key_hash = SHA-256 of the full key (cs_<env>_ + at least 32
        random bytes), unsalted on purpose: keys are looked up by hash, and with that much entropy a slow or
        salted hash adds nothing. The full key is shown once at creation; display_prefix (e.g. cs_live_ab12)
        identifies it in lists. Authentication resolves the hash before the tenant is known, so it runs as
        the owner role, not cs_tenant. last_used_at is written coarsely (at most about once a minute per
        key), never on every request.""",
    ),
    *tenant_rls("tenants", "SELECT", "id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"),
    *tenant_rls("projects", "SELECT, INSERT, UPDATE, DELETE"),
    *tenant_rls("api_keys", "SELECT, INSERT, UPDATE, DELETE"),
]

DOWNGRADE: list[str] = [
    "DROP TABLE api_keys",
    "DROP TABLE projects",
    "DROP TABLE tenants",
    # The role is shared by every database on the server: revoke what it holds here, never drop it.
    """
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'cs_tenant') THEN
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM cs_tenant', current_schema());
    END IF;
END
$$
""",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
