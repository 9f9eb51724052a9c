"""The funnel's parsing (every refusal a 422 naming the field), its conversions and labels, and the SQL it
builds: values travel as bind parameters only. Pure; the answers themselves are table-tested on real Postgres
in tests/integration/test_funnels.py."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.adapters.pg_funnel import funnel_sql
from customersignal.domain.errors import Unprocessable
from customersignal.domain.funnel import (
    DEFAULT_WINDOW_S,
    FunnelQuery,
    FunnelStep,
    GroupCounts,
    funnel,
    parse_funnel_query,
)
from customersignal.domain.property_filters import PropertyFilter
from customersignal.domain.query_params import QueryParams

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
TENANT = uuid.UUID(int=7)


def parse(steps: list[Any], **params: str) -> FunnelQuery:
    raw = [s if isinstance(s, str) else json.dumps(s) for s in steps]
    return parse_funnel_query(QueryParams(params), raw, NOW)


def test_defaults_are_the_last_30_days_and_a_7_day_window() -> None:
    query = parse([{"type": "signup"}, {"type": "buy", "filters": [{"property": "plan", "op": "is_set"}]}])
    assert (query.start, query.end, query.window_seconds, query.breakdown, query.limit) == (
        NOW - timedelta(days=30),
        NOW,
        DEFAULT_WINDOW_S,
        None,
        10,
    )
    assert query.steps == (FunnelStep("signup"), FunnelStep("buy", (PropertyFilter("plan", "is_set"),)))


def test_a_bad_filter_is_named_by_its_step() -> None:
    # the shared parser (domain/property_filters.py) answers; the funnel gives it the step's field
    with pytest.raises(Unprocessable) as refused:
        parse([{"type": "a"}, {"type": "b", "filters": [{"property": "p", "op": "in", "value": []}]}])
    assert refused.value.field == "step[1].filters[0].value"


def test_window_limits_and_range_are_422() -> None:
    steps = [{"type": "a"}, {"type": "b"}]
    with pytest.raises(Unprocessable) as refused:
        parse([{"type": "a" * 50_000}, {"type": "b"}])
    assert refused.value.field == "step[0]"
    for params, field in [({"window": "x"}, "window"), ({"limit": "26"}, "limit"), ({"start": "2020"}, "start")]:
        with pytest.raises(Unprocessable) as refused:
            parse(steps, **params)
        assert refused.value.field == field


class Reader:
    def __init__(self, total: GroupCounts, groups: list[GroupCounts]) -> None:
        self.answer = (total, groups)

    def funnel(self, tenant_id: uuid.UUID, query: FunnelQuery) -> tuple[GroupCounts, list[GroupCounts]]:
        return self.answer


def test_conversions_from_first_and_previous_and_labels() -> None:
    query = parse([{"type": "a"}, {"type": "b"}, {"type": "c"}], breakdown="plan")
    total = GroupCounts(None, False, (8, 4, 1), (None, 30.0, 90.5))
    groups = [
        GroupCounts("pro", False, (5, 4, 1), (None, 30.0, 90.5)),
        GroupCounts(42, False, (2, 0, 0), (None, None, None)),
        GroupCounts(None, False, (1, 0, 0), (None, None, None)),
        GroupCounts(None, True, (0, 0, 0), (None, None, None)),
    ]
    answer = funnel(TENANT, query, Reader(total, groups))
    assert [(s.count, s.conversion_from_first, s.conversion_from_previous) for s in answer.steps] == [
        (8, 1.0, 1.0),
        (4, 0.5, 0.5),
        (1, 0.125, 0.25),
    ]
    assert [s.median_seconds_from_previous for s in answer.steps] == [None, 30.0, 90.5]
    assert [(b.key, b.label) for b in answer.breakdowns] == [
        ("pro", "pro"),
        (42, "42"),
        (None, "(not set)"),
        ("$other", "Other"),
    ]
    assert answer.breakdowns[3].steps[1].conversion_from_first is None  # nobody entered: no ratio


def test_the_sql_holds_no_value_and_no_property_name() -> None:
    hostile = "x'); DROP TABLE events; --"
    step = {
        "type": hostile,
        "filters": [{"property": hostile, "op": op, "value": hostile} for op in ("eq", "contains")],
    }
    query = parse([step, {"type": "b", "filters": [{"property": hostile, "op": "gt", "value": 3}]}], breakdown=hostile)
    sql, params = funnel_sql(TENANT, query)
    assert hostile not in sql
    assert "DROP" not in sql
    assert sorted(v for v in params.values() if v == hostile) == [hostile] * 6  # type, 3 names, contains, breakdown
    assert params["s1f0_v"] == "3"
