"""Injection through a funnel's steps, filters and breakdown is harmless: each payload answers a 422 naming
the field, or the people a literal reading selects (tenant A's data of tests/integration/
test_security_injection.py: user ids and property names that read as SQL, LIKE patterns or jsonb
operators), never B's people and never a server error; and every table keeps its rows."""

from __future__ import annotations

import json
import urllib.parse
from datetime import timedelta
from typing import Any

import pytest

from tests.fixtures.dashboard import Dashboard
from tests.fixtures.security import row_counts, user_tables
from tests.integration.test_security_injection import (  # noqa: F401 - tenants is the fixture
    NOW,
    SQLI,
    Tenants,
    refusal_problem,
    tenants,
)

pytestmark = pytest.mark.integration

PRO = {"property": "plan", "op": "eq", "value": "pro"}
F0 = "step[0].filters[0]"


def signup(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "signup", "filters": list(filters)}


# (first step as sent, other parameters, A's people entering it, or the field a 422 names). A's signups are
# user-1 (ten, plan pro) and six users named "' OR 1=1 --", "'; DROP TABLE events; --", "%", "_", "a\b" and
# a Unicode name; B's b-only-user also signs up with plan pro.
FUNNELS: list[tuple[Any, dict[str, str], int | str]] = [
    ({"type": "signup", "filters": [PRO]}, {}, 1),
    ({"type": "signup"}, {}, 7),  # every odd user id is one person, read literally
    ({"type": "signup", "filters": [{"property": "plan", "op": "eq", "value": "pro' OR '1'='1"}]}, {}, 0),
    ({"type": "signup", "filters": [{"property": "plan' OR 1=1 --", "op": "is_set"}]}, {}, 0),
    ({"type": "signup", "filters": [{"property": "plan", "op": "in", "value": ["pro", "x') OR 1=1 --"]}]}, {}, 1),
    ({"type": "signup", "filters": [{"property": "plan", "op": "contains", "value": "%"}]}, {}, 0),
    ({"type": "signup", "filters": [{"property": "plan", "op": "neq", "value": "pro"}]}, {}, 6),
    ({"type": "page_view", "filters": [{"property": "?|", "op": "eq", "value": "ops"}]}, {}, 1),
    ({"type": "page_view", "filters": [{"property": "a'b", "op": "eq", "value": "quote"}]}, {}, 1),
    ({"type": "page_view", "filters": [{"property": "note", "op": "contains", "value": "' or 1=1"}]}, {}, 1),
    ({"type": f"signup{SQLI}"}, {}, 0),
    ({"type": "signup"}, {"breakdown": "plan' OR 1=1 --"}, 7),  # a name no event has: everyone "(not set)"
    (signup({"property": "plan", "op": "gt", "value": "1 OR 1=1"}), {}, f"{F0}.value"),
    (signup({"property": "plan", "op": "eq; DROP TABLE events", "value": 1}), {}, f"{F0}.op"),
    (signup({"property": "plan", "op": "eq", "value": "\x00"}), {}, f"{F0}.value"),
    (SQLI, {}, "step[0]"),
    ({"type": "signup"}, {"window": "1 OR 1=1"}, "window"),
]  # fmt: skip


def test_funnel_steps_filters_and_breakdown_are_bound_literally_and_the_tables_are_unchanged(
    dashboard: Dashboard,
    tenants: Tenants,  # noqa: F811 - the fixture imported above
) -> None:
    tables, counts = user_tables(dashboard.api.database), row_counts(dashboard.api.database)
    window = {"start": (NOW - timedelta(days=1)).isoformat(), "end": (NOW + timedelta(hours=1)).isoformat()}
    wrong: list[str] = []
    for first, extra, expected in FUNNELS:
        step = first if isinstance(first, str) else json.dumps(first)
        query = urllib.parse.urlencode(
            [("step", step), ("step", json.dumps({"type": "checkout"})), *window.items(), *extra.items()]
        )
        status, body = dashboard.call("GET", f"/v1/insights/funnel?{query}", tenants.key_a)
        text = json.dumps(body, ensure_ascii=False)
        label = f"{first} {extra} ->"
        if isinstance(expected, str):
            if status != 422 or refusal_problem(body, expected) is not None:
                wrong.append(f"{label} {status} {body}, wanted a 422 naming {expected}")
        elif status != 200:
            wrong.append(f"{label} {status} {body}")
        elif (entered := body["steps"][0]["count"]) != expected:
            wrong.append(f"{label} {entered} people, wanted {expected}")
        if leaked := {m for m in tenants.b_markers if m in text}:
            wrong.append(f"{label} B's data reached A: {leaked}")
    assert wrong == [], "\n".join(wrong)
    assert user_tables(dashboard.api.database) == tables
    assert row_counts(dashboard.api.database) == counts
