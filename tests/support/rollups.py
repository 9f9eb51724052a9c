"""property_rollup_hour filled from the raw events, as the aggregator and the backfill fill it.

A test oracle, written apart from the aggregator's SQL (pg_rollup_sql) so the readers' tests do not share
its mistakes; it is the aggregation the migration's contract describes (0011_insights): dimension rows
(count and users sketch per value, unset = JSON null), measure rows over all events (dimension '') and per
value of each dimension, value_* over JSON numbers only. It marks every rollup backfilled, so readers may
use them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from customersignal.adapters import pg_sketch

FILL_DIMENSION = f"""
INSERT INTO property_rollup_hour
    (tenant_id, event_type, dimension, dim_value, measure, bucket_start, event_count, users)
SELECT tenant_id, event_type, :dim, COALESCE(properties -> CAST(:dim AS text), 'null'::jsonb), '',
       date_trunc('hour', occurred_at), count(*), {pg_sketch.add_agg(pg_sketch.USER_KEY)}
FROM events WHERE tenant_id = :t GROUP BY 1, 2, 4, 6
"""  # noqa: S608 - constants
FILL_MEASURE = """
INSERT INTO property_rollup_hour (tenant_id, event_type, dimension, dim_value, measure, bucket_start, event_count,
                                  value_count, value_sum, value_min, value_max)
SELECT tenant_id, event_type, :dim, CASE WHEN :dim = '' THEN 'null'::jsonb
                                         ELSE COALESCE(properties -> CAST(:dim AS text), 'null'::jsonb) END,
       :measure, date_trunc('hour', occurred_at), count(*), count(v), COALESCE(sum(v), 0), min(v), max(v)
FROM (SELECT *, CASE WHEN jsonb_typeof(properties -> CAST(:measure AS text)) = 'number'
                     THEN CAST(properties -> CAST(:measure AS text) AS float8) END AS v FROM events) e
WHERE tenant_id = :t GROUP BY 1, 2, 4, 6
"""


def fill_rollups(
    db: Any, tenant: uuid.UUID, dimensions: Sequence[str], measures: Sequence[str], event_type: str = "checkout"
) -> None:
    """What the aggregator and the backfill write for every type, from the raw events, and the marks of
    ``event_type`` that say it is done."""
    for dim in dimensions:
        db.run(FILL_DIMENSION, t=tenant, dim=dim)
    for measure in measures:
        for dim in ("", *dimensions):
            db.run(FILL_MEASURE, t=tenant, dim=dim, measure=measure)
    for name, role in [*((d, "dimension") for d in dimensions), *((m, "measure") for m in measures)]:
        db.run(
            "INSERT INTO property_rollups (tenant_id, event_type, property_name, role, active_from, backfilled_at) "
            "VALUES (:t, :type, :n, :r, now(), now())",
            t=tenant,
            type=event_type,
            n=name,
            r=role,
        )
