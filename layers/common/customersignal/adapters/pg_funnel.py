"""``FunnelReader`` on Postgres: one set-based statement over the raw events, under RLS.

Each step is a range scan of events_type_time_idx (tenant, type, occurred_at) whose INCLUDE (user_id,
anonymous_id) carries everything a step without filters needs, so those steps are index-only; a filter or
the breakdown reads ``properties`` from the heap for that step alone. People come from person_aliases (a
small hash join). Step k joins the people who reached step k-1 and keeps each one's earliest qualifying
event, so the work is one pass per step, not one per person. One statement is one snapshot: events landing
while it runs are in the answer entirely or not at all.

Property names and values are bind parameters (``properties -> :name``, through the shared filter SQL of
adapters/pg_property_filters.py); the SQL text holds only the parameter names this module makes up.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import orjson

from customersignal.adapters.pg_property_filters import raw_conditions
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.domain.funnel import FunnelQuery, GroupCounts

WINDOW = "CAST(:window AS integer) * interval '1 second'"
PERSON = "COALESCE(e.user_id, a.user_id, 'anon-' || e.anonymous_id)"
ALIASES = "LEFT JOIN person_aliases a ON a.tenant_id = e.tenant_id AND a.anonymous_id = e.anonymous_id"
# The planner cannot estimate people per step (the key is a COALESCE), so its costs run to millions: enough to
# start JIT compilation (over a second on the bench, for a statement that then runs in about one) and to choose
# merge joins that sort both sides, where hashing the people who reached the previous step is right for every
# step. Measured on the dashboard bench: 2.5-3.6 s with the defaults, 0.9-1.2 s with these. Transaction-local.
PLANNER = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL enable_mergejoin = off"
# the breakdown's value: an unset property and JSON null are one value, as in the rollups
VALUE = "COALESCE(e.properties -> CAST(:{p} AS text), 'null'::jsonb)"


def step_where(query: FunnelQuery, index: int, params: dict[str, Any]) -> str:
    """The step's events: entries in [start, end), later steps up to end + window."""
    step = query.steps[index]
    params[f"type{index}"] = step.event_type
    upper = ":end" if index == 0 else ":horizon"
    conditions = [
        "e.tenant_id = :tenant",
        f"e.event_type = :type{index}",
        "e.occurred_at >= :start",
        f"e.occurred_at < {upper}",
        *raw_conditions(step.filters, params, prefix=f"s{index}f"),
    ]
    return " AND ".join(conditions)


def step_scan(query: FunnelQuery, index: int, params: dict[str, Any], extra: str = "") -> str:
    """The step's events as (person, at, ...)."""
    where = step_where(query, index, params)
    return f"SELECT {PERSON} AS person, e.occurred_at AS at{extra} FROM events e {ALIASES} WHERE {where}"


def first_entries(query: FunnelQuery, params: dict[str, Any]) -> str:
    """Each person's first step-1 event. The ids are grouped first, straight off the index, and only those
    groups meet the identity map: the person key is worked out once per id pair, not once per event."""
    where = step_where(query, 0, params)
    ids = f"SELECT e.user_id, e.anonymous_id, min(e.occurred_at) AS at FROM events e WHERE {where} GROUP BY 1, 2"
    person = "COALESCE(i.user_id, a.user_id, 'anon-' || i.anonymous_id)"
    return (
        f"SELECT {person} AS person, min(i.at) AS t1 FROM ({ids}) i LEFT JOIN person_aliases a "
        f"ON a.tenant_id = :tenant AND a.anonymous_id = i.anonymous_id GROUP BY 1"
    )


def funnel_sql(tenant_id: uuid.UUID, query: FunnelQuery) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {
        "tenant": tenant_id,
        "start": query.start,
        "end": query.end,
        "horizon": query.end + timedelta(seconds=query.window_seconds),
        "window": query.window_seconds,
    }
    if query.breakdown is None:
        entries = first_entries(query, params)
    else:
        params["breakdown"] = query.breakdown
        extra = f", e.event_id, {VALUE.format(p='breakdown')} AS bd"
        entries = (
            f"SELECT DISTINCT ON (person) person, at AS t1, bd FROM ({step_scan(query, 0, params, extra)}) x "
            "ORDER BY person, at, event_id"
        )
    ctes = [f"s0 AS ({entries})"]
    for k in range(1, len(query.steps)):
        previous = "p.t1" if k == 1 else "p.t"
        ctes.append(
            f"s{k} AS (SELECT p.person, p.t1, min(x.at) AS t FROM s{k - 1} p JOIN ({step_scan(query, k, params)}) x "
            f"ON x.person = p.person AND x.at > {previous} AND x.at <= p.t1 + {WINDOW} "
            "GROUP BY p.person, p.t1)"
        )
    times = ["s0.t1 AS t0", *(f"s{k}.t AS t{k}" for k in range(1, len(query.steps)))]
    joins = " ".join(f"LEFT JOIN s{k} USING (person)" for k in range(1, len(query.steps)))
    bd = "s0.bd" if query.breakdown is not None else "'null'::jsonb"
    ctes.append(f"paths AS (SELECT s0.person, {bd} AS bd, {', '.join(times)} FROM s0 {joins})")
    measures = ["count(*)", *(f"count(t{k})" for k in range(1, len(query.steps)))]
    measures += [
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(extract(epoch FROM t{k} - t{k - 1}) AS float8))"
        for k in range(1, len(query.steps))
    ]
    if query.breakdown is None:
        select = f"SELECT true, false, NULL, NULL, {', '.join(measures)} FROM paths"
    else:
        params["limit"] = query.limit
        ctes.append(
            "top AS (SELECT bd, row_number() OVER (ORDER BY count(*) DESC, bd) AS rank "
            "FROM s0 GROUP BY bd ORDER BY rank LIMIT :limit)"
        )
        select = (
            "SELECT GROUPING(g.is_other) = 1, g.is_other, CAST(g.key AS text), min(g.rank), "
            f"{', '.join(measures)} FROM (SELECT paths.*, top.rank, top.bd IS NULL AS is_other, top.bd AS key "
            "FROM paths LEFT JOIN top ON top.bd = paths.bd) g GROUP BY GROUPING SETS ((), (g.is_other, g.key))"
        )
    return f"WITH {', '.join(ctes)} {select}", params


class PostgresFunnelReader:
    def __init__(self, db: TenantDatabase) -> None:
        self._db = db

    def funnel(self, tenant_id: uuid.UUID, query: FunnelQuery) -> tuple[GroupCounts, list[GroupCounts]]:
        sql, params = funnel_sql(tenant_id, query)
        with self._db.transaction(tenant_id) as db:
            db.run(PLANNER)
            rows = db.run(sql, **params)
        n = len(query.steps)
        empty = GroupCounts(None, False, (0,) * n, (None,) * n)
        total, groups = empty, []
        for is_total, is_other, key, rank, *numbers in rows:
            group = GroupCounts(
                key=None if key is None else orjson.loads(key),
                is_other=bool(is_other),
                counts=tuple(int(c) for c in numbers[:n]),
                medians=(None, *(None if m is None else float(m) for m in numbers[n:])),
            )
            if is_total:
                total = group
            else:
                groups.append((1 if group.is_other else 0, rank or 0, group))
        return total, [group for _, _, group in sorted(groups, key=lambda g: (g[0], g[1]))]
