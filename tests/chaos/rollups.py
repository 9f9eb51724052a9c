"""Property rollups under the chaos run: one dimension and one measure of a type the load generator sends
are marked through the API while the load runs, backfilled through the CLI, and after the faults every
rollup cell is compared with the same cell computed from the raw events.

The raw events are what the ledger audit proves exact (every acknowledged event stored once), so a rollup
equal to them is exact too. Compared per (hour, dimension, value, measure): ``event_count``,
``value_count`` and ``value_sum`` (the load's amounts are whole numbers, so sums agree exactly in any
order). Unique users are HyperLogLog sketches, estimates by design, and are not compared.

Each comparison is (table, SQL): the SQL answers the table's cells next to the raw events' as
``key, stored count, raw count, stored value_count, raw value_count, stored sum, raw sum``: the hourly
rows, and their two summaries (a value's UTC days, every value's hours), each against the raw events.
"""

from __future__ import annotations

import functools
import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

from tests.chaos.stack import ChaosStack
from tests.support.waits import wait_for

EVENT_TYPE = "purchase"  # customersignal.loadgen.plan: every event has a plan, a purchase an amount
DIMENSION = "plan"
MEASURE = "amount"

# The raw events' cells, as the rollup contract (migration 0011) defines them: dimension rows (measure ''),
# the measure over all events (dimension '', value JSON null) and the measure per value of the dimension.
RAW_CELLS = """
raw_events AS (
    SELECT date_trunc('hour', occurred_at) AS b, properties AS p
    FROM events WHERE tenant_id = :t AND event_type = :e
), raw_cells AS (
    SELECT c.d, CASE WHEN c.d = '' THEN 'null'::jsonb ELSE COALESCE(r.p -> c.d, 'null'::jsonb) END AS v, c.m, r.b,
           CASE WHEN c.m <> '' AND jsonb_typeof(r.p -> c.m) = 'number' THEN CAST(r.p -> c.m AS float8) END AS x
    FROM raw_events r
    CROSS JOIN (VALUES (CAST(:dim AS text), ''), ('', CAST(:measure AS text)), (:dim, :measure)) AS c (d, m)
), raw AS (
    SELECT d, v, m, b, count(*) AS n, count(x) AS xn, COALESCE(sum(x), 0) AS xs FROM raw_cells GROUP BY d, v, m, b
)"""
HOUR = f"""
WITH {RAW_CELLS.strip()}, stored AS (
    SELECT dimension AS d, dim_value AS v, measure AS m, bucket_start AS b, event_count AS n, value_count AS xn,
           value_sum AS xs
    FROM property_rollup_hour WHERE tenant_id = :t AND event_type = :e
)
SELECT concat_ws(' ', to_char(b AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24"Z"'), nullif(d, ''), v::text, nullif(m, '')),
       COALESCE(s.n, 0), COALESCE(raw.n, 0), COALESCE(s.xn, 0), COALESCE(raw.xn, 0), COALESCE(s.xs, 0),
       COALESCE(raw.xs, 0)
FROM stored s FULL JOIN raw USING (d, v, m, b)
ORDER BY 1
"""  # noqa: S608 - constants; the values are bound
# The summaries of a dimension's rows (migration 0015, kept by triggers): per value per UTC day, and per
# hour over every value. The raw cells of the dimension (d <> ''), summed the same way.
DAY = f"""
WITH {RAW_CELLS.strip()}, stored AS (
    SELECT dimension AS d, dim_value AS v, measure AS m, day_start AS b, event_count AS n, value_count AS xn,
           value_sum AS xs
    FROM property_rollup_day WHERE tenant_id = :t AND event_type = :e
), raw_days AS (
    SELECT d, v, m, date_trunc('day', b, 'UTC') AS b, sum(n)::bigint AS n, sum(xn)::bigint AS xn,
           sum(xs)::float8 AS xs
    FROM raw WHERE d <> '' GROUP BY 1, 2, 3, 4
)
SELECT concat_ws(' ', to_char(b AT TIME ZONE 'UTC', 'YYYY-MM-DD'), d, v::text, nullif(m, '')),
       COALESCE(s.n, 0), COALESCE(r.n, 0), COALESCE(s.xn, 0), COALESCE(r.xn, 0), COALESCE(s.xs, 0), COALESCE(r.xs, 0)
FROM stored s FULL JOIN raw_days r USING (d, v, m, b)
ORDER BY 1
"""  # noqa: S608 - constants; the values are bound
HOUR_TOTAL = f"""
WITH {RAW_CELLS.strip()}, stored AS (
    SELECT dimension AS d, measure AS m, bucket_start AS b, event_count AS n, value_count AS xn, value_sum AS xs
    FROM property_rollup_hour_total WHERE tenant_id = :t AND event_type = :e
), raw_totals AS (
    SELECT d, m, b, sum(n)::bigint AS n, sum(xn)::bigint AS xn, sum(xs)::float8 AS xs
    FROM raw WHERE d <> '' GROUP BY 1, 2, 3
)
SELECT concat_ws(' ', to_char(b AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24"Z"'), d, nullif(m, '')),
       COALESCE(s.n, 0), COALESCE(r.n, 0), COALESCE(s.xn, 0), COALESCE(r.xn, 0), COALESCE(s.xs, 0), COALESCE(r.xs, 0)
FROM stored s FULL JOIN raw_totals r USING (d, m, b)
ORDER BY 1
"""  # noqa: S608 - constants; the values are bound
COMPARISONS: list[tuple[str, str]] = [
    ("property_rollup_hour", HOUR),
    ("property_rollup_day", DAY),
    ("property_rollup_hour_total", HOUR_TOTAL),
]
MISMATCHES_SHOWN = 10


@dataclass
class TableCheck:
    table: str
    cells: int = 0
    events: int = 0  # the raw events' event_count over the cells compared
    lost: int = 0  # counts (events, values) the rollup is missing
    double_counted: int = 0  # counts the rollup has more than once
    sum_lost: float = 0.0  # value_sum short of the raw events' (a value lost), over every cell
    sum_double_counted: float = 0.0  # value_sum past the raw events' (a value added twice)
    mismatches: list[str] = field(default_factory=list)  # the first cells that differ (any differing fails)


@dataclass
class RollupAudit:
    marked: dict[str, Any]
    backfill: str
    tables: list[TableCheck]

    @property
    def passed(self) -> bool:
        return bool(self.tables) and all(t.cells > 0 and not t.mismatches for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "marked": self.marked, "backfill": self.backfill,
                "tables": [asdict(t) for t in self.tables]}  # fmt: skip


def mark(stack: ChaosStack, admin_key: str) -> dict[str, Any]:
    """Mark DIMENSION and MEASURE of EVENT_TYPE through the API, once the catalog has seen them (the first
    batches of the load bring them); the answers' rollup states."""
    states = {}
    roles = {DIMENSION: {"dimension": True, "measure": False}, MEASURE: {"dimension": False, "measure": True}}
    for prop, body in roles.items():
        path = f"/v1/catalog/{EVENT_TYPE}/properties/{prop}/rollup"
        status, answer = wait_for(
            functools.partial(_call, stack, "PUT", path, admin_key, body),
            lambda got: got[0] != 404,  # 404 property_not_found: the catalog has not seen it yet
            f"the catalog to list {EVENT_TYPE}.{prop}", base_s=60, first_interval_s=0.5,
        )  # fmt: skip
        if status != 200:
            raise RuntimeError(f"marking {EVENT_TYPE}.{prop} answered {status}: {answer}")
        role = "dimension" if body["dimension"] else "measure"
        states[prop] = {"role": role, **answer["rollup"][role]}  # active_from, backfilled_at, capped_at
    return states


def backfill(stack: ChaosStack) -> str:
    """``customersignal insights backfill --tenant chaos`` until nothing waits (the tenant's freshness has
    passed the marks); its summary line."""
    return wait_for(
        lambda: stack.cli("insights", "backfill", "--tenant", "chaos").strip(),
        lambda summary: "waiting" not in summary, "the rollups' backfill", base_s=120, first_interval_s=1.0,
    )  # fmt: skip


def audit(stack: ChaosStack, tenant_id: str, marked: dict[str, Any], backfilled: str) -> RollupAudit:
    db = stack.postgres()
    try:
        tables = [compare(db, table, sql, tenant_id) for table, sql in COMPARISONS]
    finally:
        db.close()
    return RollupAudit(marked, backfilled, tables)


def compare(db: Any, table: str, sql: str, tenant_id: str) -> TableCheck:
    """One comparison: a cell short of the raw events lost counts, one over them counted some twice."""
    check = TableCheck(table)
    for key, n, raw_n, xn, raw_xn, xs, raw_xs in db.run(sql, t=tenant_id, e=EVENT_TYPE, dim=DIMENSION, measure=MEASURE):
        check.cells += 1
        check.events += raw_n
        check.lost += max(0, raw_n - n) + max(0, raw_xn - xn)
        check.double_counted += max(0, n - raw_n) + max(0, xn - raw_xn)
        check.sum_lost += max(0.0, float(raw_xs) - float(xs))
        check.sum_double_counted += max(0.0, float(xs) - float(raw_xs))
        if (n, xn, float(xs)) != (raw_n, raw_xn, float(raw_xs)) and len(check.mismatches) < MISMATCHES_SHOWN:
            check.mismatches.append(f"{key}: stored {n}/{xn}/{xs:g}, raw {raw_n}/{raw_xn}/{raw_xs:g}")
    return check


def _call(stack: ChaosStack, method: str, path: str, key: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(f"{stack.api_url}{path}", data=json.dumps(body).encode(), method=method)  # noqa: S310
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
