"""What the dashboard bench's figure modules (dashboard_funnel, dashboard_people, dashboard_trend) need of
dashboard_bench.Fixtures, as a structural type: dashboard_bench imports them, so they cannot import it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from customersignal.adapters.pg_tenant import TenantDatabase


class BenchFixtures(Protocol):
    @property
    def tenant(self) -> Any: ...

    @property
    def dataset(self) -> Any: ...

    @property
    def client(self) -> Any: ...

    @property
    def tenant_db(self) -> TenantDatabase: ...

    def capture(self, call: Callable[[TenantDatabase], object]) -> list[Any]: ...

    def raw_sql(self, statement: Any) -> Callable[[], object]: ...
