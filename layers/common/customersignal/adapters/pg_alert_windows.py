"""Window values of alert rules that filter their events or read a numeric property, from the raw events.

The plain count and unique-user rules read the metrics tables (pg_alert_store); a rule with filters, or a
sum/avg/min/max, needs the events' properties, which only the raw events hold per minute: a window ends at
any minute, and property_rollup_hour is hourly. Each window is one range scan of the type's index
(``events_type_time_idx``), at most 24 hours of one event type. The filters are pg_property_filters'
conditions (bind parameters only), the number check the trend's, unique users the metrics' sketch (same
hashing and precision, so the numbers agree with the dashboard's).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from customersignal.adapters import pg_sketch
from customersignal.adapters.pg_property_filters import raw_conditions
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
