"""Alerts on insights: a rule may sum, average or bound a numeric property, and filter the events it watches.

Revision ID: 0014_alert_insights
Revises: 0013_minute_series_text
Create Date: 2026-12-07

``alert_rules.metric`` takes sum, avg, min and max besides count and unique_users; those four name the
numeric ``property`` they read (and only they do). ``filters`` holds the rule's property filters as the API
validated them (``domain/property_filters.py``): an array of {"property", "op", "value"} objects, ANDed;
an empty array watches every event of the type, as every rule did before.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014_alert_insights"
down_revision: str | None = "0013_minute_series_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = [
    "ALTER TABLE alert_rules ADD COLUMN property text, ADD COLUMN filters jsonb NOT NULL DEFAULT '[]'",
    "ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_metric_check",
    """
ALTER TABLE alert_rules
    ADD CONSTRAINT alert_rules_metric_check
        CHECK (metric IN ('count', 'unique_users', 'sum', 'avg', 'min', 'max')),
    ADD CONSTRAINT alert_rules_property_check
        CHECK ((metric IN ('sum', 'avg', 'min', 'max')) = (property IS NOT NULL)
               AND char_length(COALESCE(property, 'x')) BETWEEN 1 AND 255),
    ADD CONSTRAINT alert_rules_filters_check
        CHECK (jsonb_typeof(filters) = 'array' AND jsonb_array_length(filters) <= 5)
""",
    """COMMENT ON COLUMN alert_rules.filters IS $$The rule's property filters, ANDed: [{"property", "op", "value"}]
    as domain/property_filters.py validates them; [] watches every event of the type.$$""",
]

DOWNGRADE = [
    "DELETE FROM alert_rules WHERE metric NOT IN ('count', 'unique_users') OR filters <> '[]'",
    "ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_filters_check",
    "ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_property_check",
    "ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_metric_check",
    "ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_metric_check CHECK (metric IN ('count', 'unique_users'))",
    "ALTER TABLE alert_rules DROP COLUMN filters, DROP COLUMN property",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
