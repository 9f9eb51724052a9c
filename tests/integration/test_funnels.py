"""GET /v1/insights/funnel over real Postgres, fed by the real aggregator: table tests with exact answers
(ordered steps, windows, repeats, identities, filters, breakdowns, medians), a consistent answer while
events land, tenant isolation, and 422s that name the field."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.adapters.postgres import connect
from tests.fixtures.aggregator import TenantRef, envelope
from tests.fixtures.dashboard import Dashboard

pytestmark = pytest.mark.integration

T0 = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
START, END = T0 - timedelta(hours=1), T0 + timedelta(days=1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Raw(str):
    """A step sent as this text, not as JSON made from it."""


Step = str | dict[str, Any]


def run(
    dashboard: Dashboard, key: str, steps: Sequence[Step], *, start: datetime = START, end: datetime = END, **extra: Any
) -> dict[str, Any]:
    status, body = ask(dashboard, key, steps, start=start, end=end, **extra)
    assert status == 200, body
    return body


def ask(dashboard: Dashboard, key: str, steps: Sequence[Step], **extra: Any) -> tuple[int, dict[str, Any]]:
    pairs = [("step", s if isinstance(s, Raw) else json.dumps({"type": s} if isinstance(s, str) else s)) for s in steps]
    pairs += [(name, iso(v) if isinstance(v, datetime) else str(v)) for name, v in extra.items()]
    return dashboard.get("/v1/insights/funnel?" + urllib.parse.urlencode(pairs), key)


def counts(steps: list[dict[str, Any]]) -> list[int]:
    return [step["count"] for step in steps]


def medians(steps: list[dict[str, Any]]) -> list[float | None]:
    return [step["median_seconds_from_previous"] for step in steps]


Row = tuple[str | None, str, float, dict[str, Any]]


def world(dashboard: Dashboard, events: Sequence[Row]) -> tuple[TenantRef, str]:
    """A fresh tenant holding ``events`` as (user, type, minutes after T0, properties), in one batch."""
    ref, key = dashboard.tenant()
    batch = [envelope(ref, kind, user=user, at=at(minute), properties=props) for user, kind, minute, props in events]
    dashboard.ingest(batch)
    return ref, key


def test_steps_count_people_in_order_with_conversions_and_medians(dashboard: Dashboard) -> None:
    # Given five people: one through all steps, one through two, and three whose events come out of order
    _, key = world(
        dashboard,
        [
            ("u1", "signup", 0, {}), ("u1", "view", 10, {}), ("u1", "checkout", 30, {}),
            ("u2", "signup", 0, {}), ("u2", "view", 20, {}),
            ("u3", "signup", 5, {}),
            ("u4", "view", 0, {}), ("u4", "signup", 10, {}), ("u4", "checkout", 20, {}),
            ("u5", "checkout", 1, {}), ("u5", "view", 2, {}), ("u5", "signup", 3, {}),
        ],
    )  # fmt: skip
    # When the funnel signup -> view -> checkout runs
    body = run(dashboard, key, ["signup", "view", "checkout"])
    # Then only events in step order count, once per person
    assert counts(body["steps"]) == [5, 2, 1]
    assert [s["conversion_from_first"] for s in body["steps"]] == [1.0, 2 / 5, 1 / 5]
    assert [s["conversion_from_previous"] for s in body["steps"]] == [1.0, 2 / 5, 1 / 2]
    assert medians(body["steps"]) == [None, 900.0, 1200.0]  # median(600, 1200); u1's 1200
    assert [s["type"] for s in body["steps"]] == ["signup", "view", "checkout"]
    assert (body["window_seconds"], body["breakdown"], body["breakdowns"]) == (7 * 86_400, None, [])


def test_the_window_and_the_range_are_edges(dashboard: Dashboard) -> None:
    # Given a one-hour window and entries in [T0, T0 + 2 h)
    _, key = world(
        dashboard,
        [
            ("a", "signup", 0, {}), ("a", "view", 10, {}), ("a", "buy", 60, {}),  # buy at exactly the window: in
            ("b", "signup", 0, {}), ("b", "view", 10, {}), ("b", "buy", 60 + 1 / 60, {}),  # one second past it
            ("c", "signup", 0, {}), ("c", "view", 0, {}), ("c", "buy", 30, {}),  # view at the same instant: not after
            ("d", "signup", 0, {}), ("d", "view", 61, {}),  # view past the window
            ("e", "signup", -1, {}), ("e", "view", 10, {}),  # entered before the range
            ("f", "signup", 120, {}), ("f", "view", 121, {}),  # entered at the range's end (exclusive)
            ("g", "signup", -1, {}), ("g", "signup", 5, {}), ("g", "view", 6, {}),  # enters at its first in range
        ],
    )  # fmt: skip
    body = run(dashboard, key, ["signup", "view", "buy"], start=T0, end=at(120), window=3600)
    assert counts(body["steps"]) == [5, 3, 1]  # a b c d g; a b g; a
    assert medians(body["steps"]) == [None, 600.0, 3000.0]  # views 600, 600, 60 s after entering; a's buy
    assert body["window_seconds"] == 3600


def test_repeated_events_count_a_person_once_at_their_earliest(dashboard: Dashboard) -> None:
    _, key = world(
        dashboard,
        [
            ("r1", "signup", 0, {}), ("r1", "signup", 10, {}), ("r1", "view", 20, {}), ("r1", "view", 25, {}),
            ("r2", "signup", 0, {}), ("r2", "view", 5, {}), ("r2", "view", 15, {}), ("r2", "buy", 20, {}),
            ("r3", "view", 0, {}),
        ],
    )  # fmt: skip
    body = run(dashboard, key, ["signup", "view", "buy"])
    assert counts(body["steps"]) == [2, 2, 1]
    assert medians(body["steps"]) == [None, 750.0, 900.0]  # r1 1200 from its first signup, r2 300; r2 view->buy
    # the same type twice: a second view strictly after the first
    body = run(dashboard, key, ["view", "view"])
    assert counts(body["steps"]) == [3, 2]
    assert medians(body["steps"]) == [None, 450.0]  # r1 300, r2 600


def test_a_person_who_came_anonymously_and_was_identified_counts_once(dashboard: Dashboard) -> None:
    ref, key = dashboard.tenant()
    dashboard.ingest(
        [
            envelope(ref, "signup", user=None, anonymous="anon-1", at=at(0)),
            envelope(ref, "signup", user="alice", anonymous="anon-1", at=at(10)),
            envelope(ref, "checkout", user="alice", at=at(30)),
            envelope(ref, "signup", user=None, anonymous="anon-2", at=at(0)),
        ]
    )
    # the aggregator linked anon-1 to alice from the event carrying both ids (the identity map)
    db = connect(dashboard.api.database)
    try:
        links = db.run("SELECT anonymous_id, user_id FROM person_aliases WHERE tenant_id = :t", t=ref.tenant_id)
    finally:
        db.close()
    assert links == [["anon-1", "alice"]]
    body = run(dashboard, key, ["signup", "checkout"])
    assert counts(body["steps"]) == [2, 1]  # alice (entered anonymously at 0) and anon-2
    assert medians(body["steps"]) == [None, 1800.0]  # from her anonymous signup


def test_each_step_keeps_its_own_filters(dashboard: Dashboard) -> None:
    _, key = world(
        dashboard,
        [
            ("p1", "signup", 0, {"plan": "pro"}), ("p1", "checkout", 10, {"amount": 120}),
            ("p2", "signup", 0, {"plan": "free"}), ("p2", "checkout", 10, {"amount": 500}),
            ("p3", "signup", 0, {"plan": "pro"}), ("p3", "checkout", 10, {"amount": 50}),
            ("p3", "checkout", 20, {"amount": 200}),
            ("p4", "signup", 0, {"plan": "pro"}), ("p4", "checkout", 5, {"amount": "900"}),  # a string: not > 100
        ],
    )  # fmt: skip
    steps = [
        {"type": "signup", "filters": [{"property": "plan", "op": "eq", "value": "pro"}]},
        {"type": "checkout", "filters": [{"property": "amount", "op": "gt", "value": 100}]},
    ]
    body = run(dashboard, key, steps)
    assert counts(body["steps"]) == [3, 2]
    assert medians(body["steps"]) == [None, 900.0]  # p1 600; p3's first checkout over 100, 1200
    assert body["steps"][1]["filters"] == [{"property": "amount", "op": "gt", "value": 100}]


SIGNUPS: list[Row] = [
    ("s1", "signup", 0, {"plan": "pro", "seats": 5, "source": "Google Ads"}),
    ("s2", "signup", 0, {"plan": "free", "seats": 1}),
    ("s3", "signup", 0, {"plan": "team", "seats": 12, "source": "newsletter"}),
    ("s4", "signup", 0, {"plan": None, "seats": "5"}),
    ("s5", "signup", 0, {}),
]


@pytest.fixture(scope="module")
def signups(dashboard: Dashboard) -> str:
    return world(dashboard, SIGNUPS)[1]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"property": "plan", "op": "eq", "value": "pro"}], 1),
        ([{"property": "plan", "op": "neq", "value": "pro"}], 4),
        ([{"property": "plan", "op": "in", "value": ["pro", "team"]}], 2),
        ([{"property": "source", "op": "contains", "value": "GOOGLE"}], 1),
        ([{"property": "plan", "op": "is_set"}], 3),  # s4's JSON null is not set
        ([{"property": "plan", "op": "is_not_set"}], 2),
        ([{"property": "seats", "op": "gt", "value": 4}], 2),  # s4's "5" is a string
        ([{"property": "seats", "op": "lt", "value": 5}], 1),
        ([{"property": "seats", "op": "eq", "value": 5}], 1),
        ([{"property": "seats", "op": "gt", "value": 1}, {"property": "plan", "op": "neq", "value": "team"}], 1),
        ([{"property": "plan'); DROP TABLE events; --", "op": "eq", "value": "x' OR '1'='1"}], 0),
    ],
)
def test_property_filters_follow_the_shared_contract(
    dashboard: Dashboard, signups: str, filters: list[dict[str, Any]], expected: int
) -> None:
    body = run(dashboard, signups, [{"type": "signup", "filters": filters}, "checkout"])
    assert counts(body["steps"]) == [expected, 0]
    assert body["steps"][1]["conversion_from_previous"] == (0.0 if expected else None)


def test_a_breakdown_by_a_first_step_property_keeps_the_top_values_then_other(dashboard: Dashboard) -> None:
    _, key = world(
        dashboard,
        [
            ("a1", "signup", 0, {"plan": "pro"}), ("a1", "buy", 1, {}),
            ("a2", "signup", 0, {"plan": "pro"}), ("a2", "buy", 3, {}),
            ("a3", "signup", 0, {"plan": "pro"}),
            ("b1", "signup", 0, {"plan": "free"}), ("b1", "signup", 5, {"plan": "pro"}), ("b1", "buy", 10, {}),
            ("b2", "signup", 0, {"plan": "free"}),
            ("c1", "signup", 0, {"plan": "team"}), ("c1", "buy", 5, {}),
            ("d1", "signup", 0, {}),
        ],
    )  # fmt: skip
    body = run(dashboard, key, ["signup", "buy"], breakdown="plan", limit=2)
    assert counts(body["steps"]) == [7, 4]
    assert medians(body["steps"]) == [None, 240.0]  # 60, 180, 600, 300
    assert [(b["key"], b["label"], counts(b["steps"]), medians(b["steps"])) for b in body["breakdowns"]] == [
        ("pro", "pro", [3, 2], [None, 120.0]),
        ("free", "free", [2, 1], [None, 600.0]),  # b1 entered with plan free
        ("$other", "Other", [2, 1], [None, 300.0]),
    ]
    assert body["breakdowns"][0]["steps"][1]["conversion_from_first"] == 2 / 3
    every = run(dashboard, key, ["signup", "buy"], breakdown="plan")
    assert [(b["key"], b["label"], counts(b["steps"])) for b in every["breakdowns"]] == [
        ("pro", "pro", [3, 2]),
        ("free", "free", [2, 1]),
        (None, "(not set)", [1, 0]),  # ties by value: JSON null sorts before strings
        ("team", "team", [1, 1]),
    ]


def test_an_answer_is_one_snapshot_while_events_land(dashboard: Dashboard) -> None:
    # Given people who each sign up and buy in one batch, landing while funnels run
    ref, key = dashboard.tenant()
    people = 40
    done = threading.Event()

    def land() -> None:
        try:
            for i in range(people):
                person = f"live-{i}"
                dashboard.ingest(
                    [envelope(ref, "signup", user=person, at=at(i)), envelope(ref, "buy", user=person, at=at(i + 0.5))]
                )
        finally:
            done.set()

    writer = threading.Thread(target=land)
    writer.start()
    answers = []
    while not done.is_set():
        answers.append(counts(run(dashboard, key, ["signup", "buy"])["steps"]))
    writer.join()
    answers.append(counts(run(dashboard, key, ["signup", "buy"])["steps"]))
    # Then every answer saw whole batches only: as many buyers as signups, never fewer seen later
    assert all(entered == bought for entered, bought in answers), answers
    assert [a[0] for a in answers] == sorted(a[0] for a in answers)
    assert answers[-1] == [people, people]


def test_another_tenant_sees_nothing_of_these_people(dashboard: Dashboard) -> None:
    _, key_a = world(dashboard, [("x1", "signup", 0, {"plan": "pro"}), ("x1", "buy", 1, {})])
    _, key_b = dashboard.tenant()
    assert counts(run(dashboard, key_a, ["signup", "buy"])["steps"]) == [1, 1]
    other = run(dashboard, key_b, ["signup", "buy"], breakdown="plan")
    assert (counts(other["steps"]), other["breakdowns"]) == ([0, 0], [])
    assert other["steps"][1]["conversion_from_first"] is None


STEP = {"type": "signup"}


@pytest.mark.parametrize(
    ("steps", "extra", "field"),
    [
        ([], {}, "step"),
        ([STEP], {}, "step"),
        ([STEP] * 6, {}, "step"),
        ([Raw("not json"), STEP], {}, "step[0]"),
        ([Raw('["signup"]'), STEP], {}, "step[0]"),
        ([STEP, {"filters": []}], {}, "step[1].type"),
        ([STEP, {"type": ""}], {}, "step[1].type"),
        ([{"type": "a", "filters": [{"property": "p", "op": "like", "value": 1}]}, STEP], {}, "step[0].filters[0].op"),
        (
            [{"type": "a", "filters": [{"property": "p", "op": "in", "value": []}]}, STEP],
            {},
            "step[0].filters[0].value",
        ),
        (
            [STEP, {"type": "a", "filters": [{"property": "p", "op": "gt", "value": "9"}]}],
            {},
            "step[1].filters[0].value",
        ),
        ([{"type": "a", "filters": [{"property": "", "op": "is_set"}]}, STEP], {}, "step[0].filters[0].property"),
        ([{"type": "a", "filters": [{"property": "p", "op": "is_set"}] * 6}, STEP], {}, "step[0].filters"),
        (
            [{"type": "a", "filters": [{"property": "p", "op": "eq", "value": None}]}, STEP],
            {},
            "step[0].filters[0].value",
        ),
        ([STEP, STEP], {"window": 59}, "window"),
        ([STEP, STEP], {"window": 90 * 86_400 + 1}, "window"),
        ([STEP, STEP], {"start": "yesterday"}, "start"),
        ([STEP, STEP], {"start": iso(T0), "end": iso(T0)}, "end"),
        ([STEP, STEP], {"limit": 0}, "limit"),
    ],
)
def test_bad_funnels_are_422_naming_the_field(
    dashboard: Dashboard, signups: str, steps: list[Step], extra: dict[str, Any], field: str
) -> None:
    status, body = ask(dashboard, signups, steps, **extra)
    assert status == 422, body
    assert body["error"]["field"] == field, body
    assert body["error"]["code"].startswith("invalid_") or body["error"]["code"] == "missing_parameter"
