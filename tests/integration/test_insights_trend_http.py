"""GET /v1/insights/trend over HTTP: events through the aggregator's batch path, then the whole answer body,
repeated ``filter`` parameters, and the refusals' bodies (the table tests are in test_insights_trend.py)."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fixtures.aggregator import envelope
from tests.fixtures.dashboard import Dashboard

pytestmark = pytest.mark.integration

DAY = datetime(2026, 11, 2, tzinfo=UTC)


def trend(dashboard: Dashboard, key: str, *filters: Any, **params: str) -> tuple[int, dict[str, Any]]:
    pairs = [*params.items(), *(("filter", json.dumps(item)) for item in filters)]
    return dashboard.call("GET", f"/v1/insights/trend?{urllib.parse.urlencode(pairs)}", key)


def test_a_filtered_breakdown_of_a_sum_over_http(dashboard: Dashboard) -> None:
    # Given checkouts on two days, through the aggregator
    ref, key = dashboard.tenant()
    made = [
        envelope(ref, "checkout", user="u1", at=DAY + timedelta(hours=1), properties={"plan": "pro", "amount": 10}),
        envelope(ref, "checkout", user="u2", at=DAY + timedelta(hours=2), properties={"plan": "pro", "amount": 5}),
        envelope(ref, "checkout", user="u3", at=DAY + timedelta(hours=3), properties={"plan": "free", "amount": 1}),
        envelope(ref, "checkout", user="u3", at=DAY + timedelta(days=1), properties={"plan": "team", "amount": 7}),
        envelope(ref, "checkout", user="u4", at=DAY + timedelta(days=1), properties={"plan": "pro", "amount": 0.5}),
    ]
    assert dashboard.ingest(made).counted == len(made)
    # When the sum of amount per day, by plan, for amounts above 0.75, top 1 is asked for
    status, body = trend(
        dashboard,
        key,
        {"property": "amount", "op": "gt", "value": 0.75},
        type="checkout",
        measure="sum",
        property="amount",
        breakdown="plan",
        limit="1",
        interval="1d",
        start=DAY.isoformat(),
        end=(DAY + timedelta(days=2)).isoformat(),
    )
    # Then the body is the contract's, exactly (the watermark moves with the clock: its own test is below)
    assert status == 200, body
    assert body.pop("freshness")["complete_up_to"] is not None
    day1, day2 = "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"
    assert body == {
        "type": "checkout",
        "measure": "sum",
        "property": "amount",
        "breakdown": "plan",
        "filters": [{"property": "amount", "op": "gt", "value": 0.75}],
        "interval": "1d",
        "time_zone": "UTC",
        "start": day1,
        "end": "2026-11-04T00:00:00Z",
        "source": "raw",
        "series": [
            {
                "key": "pro",
                "label": "pro",
                "total": 15.0,
                "points": [{"bucket_start": day1, "value": 15.0}, {"bucket_start": day2, "value": 0}],
            },
            {
                "key": "$other",
                "label": "Other",
                "total": 8.0,
                "points": [{"bucket_start": day1, "value": 1.0}, {"bucket_start": day2, "value": 7.0}],
            },
        ],
    }


def test_the_trend_carries_the_same_freshness_as_the_series(dashboard: Dashboard) -> None:
    # Given a tenant whose checkouts went through the aggregator, and a tenant that has sent nothing
    ref, key = dashboard.tenant()
    _, quiet_key = dashboard.tenant()
    assert dashboard.ingest([envelope(ref, "checkout", user="u1", at=DAY + timedelta(hours=1))]).counted == 1
    # (from/to: the series' names for the range, which the trend takes too)
    window = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=2)).isoformat(), "interval": "1d"}
    for tenant_key in (key, quiet_key):
        # When the trend (raw, and with a breakdown) and the series are asked for the same range
        answers = [
            trend(dashboard, tenant_key, type="checkout", **window),
            trend(dashboard, tenant_key, type="checkout", breakdown="plan", **window),
            dashboard.get("/v1/metrics/series", tenant_key, types="checkout", **window),
        ]
        assert [status for status, _ in answers] == [200, 200, 200], answers
        # Then all three carry the tenant's watermark: the same instant, and a lag where there is one
        marks = {body["freshness"]["complete_up_to"] for _, body in answers}
        lags = [body["freshness"]["lag_seconds"] for _, body in answers]
        if tenant_key == key:
            assert len(marks) == 1, answers
            assert None not in marks, answers
            assert all(isinstance(lag, float | int) and lag >= 0 for lag in lags), lags
        else:
            assert (marks, lags) == ({None}, [None, None, None])


def test_refusals_name_the_field(dashboard: Dashboard) -> None:
    _, key = dashboard.tenant()
    window = {"type": "checkout", "start": DAY.isoformat(), "end": (DAY + timedelta(days=1)).isoformat()}
    status, body = trend(dashboard, key, {"property": "plan", "op": "eq"}, **window)
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "invalid_filter", "filter[0].value")
    assert "needs a 'value'" in body["error"]["message"]
    status, body = trend(dashboard, key, measure="avg", **window)
    assert (status, body["error"]["field"]) == (400, "property")
    status, body = dashboard.call("GET", "/v1/insights/trend?type=checkout", key)
    assert (status, body["error"]["field"]) == (400, "start")
    status, _ = trend(dashboard, None, **window)  # type: ignore[arg-type]
    assert status == 401


def test_an_alert_rule_with_filters_and_a_sum_over_http(dashboard: Dashboard) -> None:
    _, key = dashboard.tenant()
    rule = {
        "name": "pro revenue",
        "event_type": "checkout",
        "metric": "sum",
        "property": "amount",
        "filters": [{"property": "plan", "op": "in", "value": ["pro", "team"]}],
        "window_seconds": 3600,
        "condition": {"kind": "threshold", "operator": "above", "value": 1000},
    }
    status, body = dashboard.call("POST", "/v1/alerts", key, body=rule)
    assert status == 201, body
    assert (body["metric"], body["property"], body["filters"]) == ("sum", "amount", rule["filters"])
    status, body = dashboard.call("GET", f"/v1/alerts/{body['id']}", key)
    assert (status, body["filters"]) == (200, rule["filters"])
    bad = {**rule, "name": "bad", "filters": [{"property": "plan", "op": "between", "value": 1}]}
    status, body = dashboard.call("POST", "/v1/alerts", key, body=bad)
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "invalid_filter", "filters[0].op")
    status, body = dashboard.call("POST", "/v1/alerts", key, body={**rule, "name": "no property", "property": None})
    assert (status, body["error"]["field"]) == (400, "property")
