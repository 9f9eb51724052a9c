"""A tenant's spread factor in Postgres (``tenants.kafka_spread``): read it, set it.

Runs as the owner role, like the rest of tenant administration (``tenant_admin``). Setting it records
when it changed (the aggregator dates the drain of retired slots from it) and returns the key hashes of
the tenant, so the caller can drop them from the Redis key cache: the API reads the spread with the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pg8000.native

from customersignal.adapters.key_store import PgSession
from customersignal.domain.errors import NotFound
from customersignal.domain.spread import check_spread

READ = "SELECT kafka_spread, kafka_spread_changed_at FROM tenants WHERE slug = :tenant"

# One statement: the old value comes from the row locked by the same UPDATE, so two concurrent changes
# each report what they replaced, and the date moves only when the value does.
SET = """
WITH old AS (SELECT id, kafka_spread FROM tenants WHERE slug = :tenant FOR UPDATE)
UPDATE tenants t
SET kafka_spread = :spread,
    kafka_spread_changed_at = CASE WHEN old.kafka_spread <> :spread THEN now() ELSE t.kafka_spread_changed_at END
FROM old WHERE t.id = old.id
RETURNING old.kafka_spread, t.kafka_spread, t.kafka_spread_changed_at,
          ARRAY(SELECT k.key_hash FROM api_keys k WHERE k.tenant_id = t.id)
"""


@dataclass(frozen=True)
class SpreadChange:
    previous: int
    spread: int
    changed_at: datetime | None
    key_hashes: tuple[bytes, ...]


class TenantSpreads:
    def __init__(self, connect: Callable[[], pg8000.native.Connection]) -> None:
        self._session = PgSession(connect)

    def close(self) -> None:
        self._session.close()

    def read(self, tenant_slug: str) -> tuple[int, datetime | None]:
        rows = self._session.run(READ, idempotent=True, tenant=tenant_slug)
        if not rows:
            raise _tenant_not_found(tenant_slug)
        spread, changed_at = rows[0]
        return int(spread), changed_at

    def set(self, tenant_slug: str, spread: int) -> SpreadChange:
        check_spread(spread)
        rows = self._session.run(SET, idempotent=True, tenant=tenant_slug, spread=spread)
        if not rows:
            raise _tenant_not_found(tenant_slug)
        previous, current, changed_at, hashes = rows[0]
        return SpreadChange(int(previous), int(current), changed_at, tuple(bytes(h) for h in hashes or ()))


def _tenant_not_found(slug: str) -> NotFound:
    return NotFound(
        code="tenant_not_found",
        message=f"no tenant with slug '{slug}'; check the slug, or create the tenant first",
        field="tenant",
    )
