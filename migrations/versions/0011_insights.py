"""Insights: property rollups for breakdowns and sums, the identity map for funnels, and their indexes.

Revision ID: 0011_insights
Revises: 0010_tenant_spread
Create Date: 2026-12-07

``property_rollups`` says which properties of an event type are pre-aggregated, and since when: a
*dimension* (its values break a count down) or a *measure* (a numeric property summed). The aggregator
adds events received at or after ``active_from`` to ``property_rollup_hour`` in its batch statement; a
backfill adds the events received before it, once, and stamps ``backfilled_at`` in the same transaction.
The two sets are split by receive time, which never changes for an event, so no event is added twice and a
late event is still added by whichever side received it. Readers use a rollup only when it is backfilled
and not capped (``capped_at``: the dimension grew past its value cap and is answered from raw events).

``property_rollup_hour`` holds, per (tenant, type, hour):
* dimension rows (measure ''): event count and users sketch per value of the dimension;
* measure rows: count, sum, min and max of the measure, over all events (dimension '') or per value of a
  dimension. A value is the property's jsonb (so "42" and 42 differ); an unset property is JSON null.

``person_aliases`` links an anonymous id to the user it was identified as (an event carrying both, or a
``$alias`` call's previousId). A person is ``COALESCE(user_id, alias.user_id, 'anon-' || anonymous_id)``.
The earliest link (by event time) wins, so a replay or a later re-identification does not move people.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_insights"
down_revision: str | None = "0010_tenant_spread"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
SKETCH = "hll(12,5,-1,1)"  # the metrics tables' sketch (migration 0009): unions across them stay valid


def comment(target: str, text: str) -> str:
    """COMMENT ON target, reflowed to one paragraph: line breaks in the source are layout only."""
    return f"COMMENT ON {target} IS $${' '.join(text.split())}$$"


def tenant_rls(table: str, privileges: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
        f"GRANT {privileges} ON {table} TO cs_tenant",
    ]


UPGRADE = [
    """
CREATE TABLE property_rollups (
    tenant_id      uuid        NOT NULL,
    event_type     text        NOT NULL,
    property_name  text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('dimension', 'measure')),
    active_from    timestamptz NOT NULL DEFAULT now(),
    backfilled_at  timestamptz,
    capped_at      timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, event_type, property_name, role),
    FOREIGN KEY (tenant_id, event_type) REFERENCES event_types (tenant_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE,
    CHECK (char_length(property_name) BETWEEN 1 AND 255)
)
""",
    comment(
        "TABLE property_rollups",
        """Which properties of an event type are pre-aggregated into property_rollup_hour: dimensions (counts
        and users per value) and measures (count, sum, min, max of a number). The aggregator adds events
        received at or after active_from; the backfill adds those received before, once, and sets
        backfilled_at. capped_at: the dimension passed its value cap, and readers go to raw events.""",
    ),
    *tenant_rls("property_rollups", "SELECT, INSERT, UPDATE, DELETE"),
    f"""
CREATE TABLE property_rollup_hour (
    tenant_id     uuid             NOT NULL,
    event_type    text             NOT NULL,
    dimension     text             NOT NULL,
    dim_value     jsonb            NOT NULL,
    measure       text             NOT NULL,
    bucket_start  timestamptz      NOT NULL,
    event_count   bigint           NOT NULL CHECK (event_count >= 0),
    users         {SKETCH},
    value_count   bigint           NOT NULL DEFAULT 0,
    value_sum     double precision NOT NULL DEFAULT 0,
    value_min     double precision,
    value_max     double precision,
    PRIMARY KEY (tenant_id, event_type, dimension, measure, bucket_start, dim_value)
) WITH (fillfactor = 80)
""",
    comment(
        "TABLE property_rollup_hour",
        """Hourly (UTC) pre-aggregates of the properties in property_rollups. Dimension rows (measure = '')
        hold the event count and users sketch per value; measure rows hold the measure's count, sum, min
        and max over the type's events (dimension = '', dim_value = JSON null) or per value of a dimension.
        value_count counts the events whose measure is a number; event_count counts them all.""",
    ),
    *tenant_rls("property_rollup_hour", "SELECT"),
    """
CREATE TABLE person_aliases (
    tenant_id     uuid        NOT NULL,
    anonymous_id  text        NOT NULL,
    user_id       text        NOT NULL,
    linked_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, anonymous_id)
)
""",
    "CREATE INDEX person_aliases_user ON person_aliases (tenant_id, user_id)",
    comment(
        "TABLE person_aliases",
        """The identity map: an anonymous id and the user it was identified as, linked by an event that
        carries both or by a $alias call's previousId. linked_at is that event's time; the earliest link
        wins. A person is COALESCE(user_id, person_aliases.user_id, 'anon-' || anonymous_id).""",
    ),
    *tenant_rls("person_aliases", "SELECT"),
    """
INSERT INTO person_aliases (tenant_id, anonymous_id, user_id, linked_at)
SELECT DISTINCT ON (tenant_id, anon) tenant_id, anon, user_id, occurred_at
FROM (
    SELECT tenant_id, anonymous_id AS anon, user_id, occurred_at FROM events
    WHERE user_id IS NOT NULL AND anonymous_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, properties ->> 'previousId', user_id, occurred_at FROM events
    WHERE event_type = '$alias' AND user_id IS NOT NULL AND jsonb_typeof(properties -> 'previousId') = 'string'
) links
WHERE anon <> user_id
ORDER BY tenant_id, anon, occurred_at
""",
    # A person's timeline reads their anonymous events too; funnels read who did each step from the index
    # alone (INCLUDE), so a 30-day funnel never fetches the events' properties.
    """
CREATE INDEX events_anonymous_time_idx ON events (tenant_id, anonymous_id, occurred_at DESC, event_id DESC)
WHERE anonymous_id IS NOT NULL
""",
    "DROP INDEX events_type_time_idx",
    """
CREATE INDEX events_type_time_idx ON events (tenant_id, event_type, occurred_at DESC, event_id DESC)
INCLUDE (user_id, anonymous_id)
""",
]

DOWNGRADE = [
    "DROP INDEX events_type_time_idx",
    "CREATE INDEX events_type_time_idx ON events (tenant_id, event_type, occurred_at DESC, event_id DESC)",
    "DROP INDEX events_anonymous_time_idx",
    "DROP TABLE person_aliases",
    "DROP TABLE property_rollup_hour",
    "DROP TABLE property_rollups",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
