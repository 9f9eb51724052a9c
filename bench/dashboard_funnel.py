"""The dashboard bench's funnel figure (issue 18: "Funnel of 3 steps over 30 days with a 7-day window:
p95 under 2 s"): GET /v1/insights/funnel beside the adapter in-process and its statements run directly
(its planner settings, then the funnel, in the tenant transaction).

Steps: the data set's most used type, then the 6th and the 21st by rank, in tenant 1 (5 M events, about
88,000 people over 30 days): step 1 reads about 700,000 events, steps 2 and 3 about 150,000 and 80,000 (in
the generated data about 30 % reach step 2 within the window and 4 % step 3). No filters, so every step
reads the type index alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from dashboard_fixtures import BenchFixtures

from customersignal.adapters.pg_funnel import PostgresFunnelReader
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain import funnel
from customersignal.domain.query_params import QueryParams

FUNNEL_GOAL_MS = 2000.0
STEP_RANKS = (0, 5, 20)
WINDOW_S = 7 * 86_400


def funnel_params(fx: BenchFixtures) -> list[tuple[str, str]]:
    end = fx.dataset.anchor
    steps = [("step", json.dumps({"type": fx.dataset.types[rank]})) for rank in STEP_RANKS]
    start = (end - timedelta(days=30)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    return [*steps, ("start", start), ("end", end.astimezone(UTC).isoformat().replace("+00:00", "Z")),
            ("window", str(WINDOW_S))]  # fmt: skip


def funnel_case(fx: BenchFixtures, case: Callable[..., Any]) -> Any:
    """``case`` is dashboard_bench.Case: (name, goal, api, baselines, status)."""
    params = funnel_params(fx)
    query = funnel.parse_funnel_query(
        QueryParams(dict(params)), [v for k, v in params if k == "step"], datetime.now(UTC)
    )  # as the route parses them

    def adapter(db: TenantDatabase) -> object:
        return funnel.funnel(fx.tenant, query, PostgresFunnelReader(db))

    statements = fx.capture(adapter)  # its planner settings, then the funnel
    if len(statements) != 2:
        raise RuntimeError(f"the funnel adapter ran {len(statements)} statements; the bench expects two")

    def sql() -> object:
        """The adapter's statements as it runs them, in the tenant transaction, rows as pg8000 gives them."""
        with fx.tenant_db.transaction(fx.tenant) as db:
            return [db.run(s.sql, **s.params) for s in statements][-1]

    status, body = fx.client.get("/v1/insights/funnel", params)
    if status == 200:
        counts = [step["count"] for step in json.loads(body)["steps"]]
        print(f"  funnel {' -> '.join(fx.dataset.types[r] for r in STEP_RANKS)}: people {counts}", flush=True)
    else:
        print(f"  funnel: the API answers {status} ({body[:200]!r})", flush=True)
    return case(
        "funnel 3 steps x 30 d, 7 d window",
        FUNNEL_GOAL_MS,
        lambda: fx.client.get("/v1/insights/funnel", params),
        {"adapter": lambda: adapter(fx.tenant_db), "SQL": sql},
        status,
    )
