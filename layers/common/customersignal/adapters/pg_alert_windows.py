"""Window values of alert rules that filter their events or read a numeric property.

The plain count and unique-user rules read the metrics tables (pg_alert_store); a rule with filters, or a
sum/avg/min/max, needs the events' properties. A window ends at any minute, and property_rollup_hour is
hourly, so when the rollups the rule needs are usable (``trend.rollup_rows``: backfilled, uncapped, at most
one filter, on a dimension) the window's whole UTC hours come from them and only its ragged ends from the
raw events; otherwise the whole window is one range scan of the type's index (``events_type_time_idx``),
at most 24 hours of one event type. Both parts are rows of property_rollup_hour's shape, aggregated
together: unique users are one union of sketches (the metrics' hashing and precision), an average is sum
over count of the numeric values. Filters are pg_property_filters' conditions (bind parameters only).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from customersignal.adapters import pg_sketch
from customersignal.adapters.pg_property_filters import condition, raw_conditions
from customersignal.domain.alert_evaluation import WindowRequest

VALUES: Final[dict[str, str]] = {
    "count": "count(s.one)",
    "unique_users": f"COALESCE(hll_cardinality({pg_sketch.add_agg('s.person')}), 0)",
    "sum": "COALESCE(sum(s.x), 0)",
    "avg": "avg(s.x)",
    "min": "min(s.x)",
    "max": "max(s.x)",
}
NUMBER: Final = (
    "CASE WHEN jsonb_typeof(e.properties -> CAST(:measure_p AS text)) = 'number' "
    "THEN CAST(e.properties -> CAST(:measure_p AS text) AS numeric) END"
)
WINDOWS: Final = """
SELECT w.k, CAST({value} AS float8)
FROM unnest(CAST(:ends AS timestamptz[])) WITH ORDINALITY AS w(window_end, k)
LEFT JOIN LATERAL (
    SELECT 1 AS one, {person} AS person, {number} AS x
    FROM events e
    WHERE e.tenant_id = :tenant AND e.event_type = :event_type
      AND e.occurred_at >= w.window_end - CAST(:width AS interval) AND e.occurred_at < w.window_end{filters}
) s ON true
GROUP BY w.k ORDER BY w.k
"""


def raw_window_statement(request: WindowRequest) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {
        "tenant": request.tenant_id,
        "event_type": request.event_type,
        "ends": list(request.window_ends),
        "width": timedelta(seconds=request.window_seconds),
    }
    number = "CAST(NULL AS numeric)"
    if request.metric in ("sum", "avg", "min", "max"):
        params["measure_p"] = request.property
        number = NUMBER
    person = pg_sketch.USER_KEY.replace("user_id", "e.user_id").replace("anonymous_id", "e.anonymous_id")
    conditions = raw_conditions(request.filters, params)
    sql = WINDOWS.format(
        value=VALUES[request.metric],
        person=person if request.metric == "unique_users" else "CAST(NULL AS text)",
        number=number,
        filters="".join(f"\n      AND {text}" for text in conditions),
    )
    return sql, params


HOUR_ORIGIN: Final = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
MIXED_VALUES: Final[dict[str, str]] = {
    "count": "COALESCE(sum(s.event_count), 0)",
    "unique_users": "COALESCE(hll_cardinality(hll_union_agg(s.users)), 0)",
    "sum": "COALESCE(sum(s.value_sum), 0)",
    "avg": "sum(s.value_sum) / NULLIF(sum(s.value_count), 0)",
    "min": "min(s.value_min)",
    "max": "max(s.value_max)",
}
# [lo, hi) = [lo, r0) raw + [r0, r1) rollup hours + [r1, hi) raw; r0 = r1 = hi when no whole hour fits
RAW_PART: Final = """
    SELECT count(*)::bigint, {users}, count(v.x), COALESCE(sum(v.x), 0)::float8, min(v.x)::float8, max(v.x)::float8
    FROM events e CROSS JOIN LATERAL (SELECT {number} AS x) v
    WHERE e.tenant_id = :tenant AND e.event_type = :event_type
      AND e.occurred_at >= {lo} AND e.occurred_at < {hi}{filters}"""
MIXED: Final = f"""
WITH w AS (
    SELECT k, window_end - CAST(:width AS interval) AS lo, window_end AS hi,
           date_bin('1 hour', window_end - CAST(:width AS interval) - interval '1 microsecond', {HOUR_ORIGIN})
               + interval '1 hour' AS h0,
           date_bin('1 hour', window_end, {HOUR_ORIGIN}) AS h1
    FROM unnest(CAST(:ends AS timestamptz[])) WITH ORDINALITY AS u(window_end, k)
), c AS (
    SELECT k, lo, hi, CASE WHEN h0 < h1 THEN h0 ELSE hi END AS r0, CASE WHEN h0 < h1 THEN h1 ELSE hi END AS r1
    FROM w
)
SELECT c.k, CAST({{value}} AS float8)
FROM c LEFT JOIN LATERAL (
    SELECT r.event_count, r.users, r.value_count, r.value_sum, r.value_min, r.value_max
    FROM property_rollup_hour r
    WHERE r.tenant_id = :tenant AND r.event_type = :event_type AND r.dimension = :dimension
      AND r.measure = :measure AND r.bucket_start >= c.r0 AND r.bucket_start < c.r1{{rollup_filters}}
    UNION ALL{{head}}
    UNION ALL{{tail}}
) s (event_count, users, value_count, value_sum, value_min, value_max) ON true
GROUP BY c.k ORDER BY c.k
"""  # noqa: S608 - constants; the filters are conditions over bind parameters


def mixed_window_statement(request: WindowRequest, dimension: str, measure: str) -> tuple[str, dict[str, Any]]:
    """Whole hours from the (dimension, measure) rollup rows, the ragged ends from the raw events."""
    sql, params = raw_window_statement(request)  # for its parameters: filters, measure property
    params |= {"dimension": dimension, "measure": measure}
    rollup = [condition(item, "r.dim_value", f"g{index}_v", params) for index, item in enumerate(request.filters)]
    raw = "".join(f"\n      AND {text}" for text in raw_conditions(request.filters, params))
    number = NUMBER if request.metric in ("sum", "avg", "min", "max") else "CAST(NULL AS numeric)"
    person = pg_sketch.USER_KEY.replace("user_id", "e.user_id").replace("anonymous_id", "e.anonymous_id")
    users = pg_sketch.add_agg(person) if request.metric == "unique_users" else "CAST(NULL AS hll)"
    sql = MIXED.format(
        value=MIXED_VALUES[request.metric],
        rollup_filters="".join(f"\n      AND {text}" for text in rollup),
        head=RAW_PART.format(users=users, number=number, lo="c.lo", hi="c.r0", filters=raw),
        tail=RAW_PART.format(users=users, number=number, lo="c.r1", hi="c.hi", filters=raw),
    )
    return sql, params
