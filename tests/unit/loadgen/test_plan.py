"""The load mix: new events, resends of acknowledged ones, and invalid ones, in the asked shares."""

from __future__ import annotations

from collections import Counter

import pytest

from customersignal.loadgen.plan import MAX_AMOUNT, EventPlanner, LoadMix, request_body

pytestmark = pytest.mark.unit


def planned(mix: LoadMix, requests: int, seed: int = 1) -> Counter[str]:
    planner = EventPlanner(mix, seed=seed)
    kinds: Counter[str] = Counter()
    for _ in range(requests):
        for event in planner.next_batch():
            kinds[event.kind] += 1
            planner.acknowledged(event)
    return kinds


def test_the_shares_are_close_to_those_asked() -> None:
    kinds = planned(LoadMix(batch=10, resend_share=0.1, invalid_share=0.05), requests=2_000)
    assert 0.08 < kinds["resend"] / 20_000 < 0.12
    assert 0.04 < kinds["invalid"] / 20_000 < 0.06


def test_a_resend_repeats_an_acknowledged_event_exactly() -> None:
    planner = EventPlanner(LoadMix(resend_share=1.0), seed=3)
    [first] = planner.next_batch()  # nothing acknowledged yet: a new event
    planner.acknowledged(first)
    [again] = planner.next_batch()
    assert (first.kind, again.kind) == ("new", "resend")
    assert again.body == first.body
    assert again.event_id == first.event_id


def test_unacknowledged_events_are_never_resent() -> None:
    planner = EventPlanner(LoadMix(resend_share=1.0), seed=3)
    kinds = {event.kind for _ in range(50) for event in planner.next_batch()}
    assert kinds == {"new"}


def test_invalid_events_carry_a_timestamp_the_api_must_reject() -> None:
    planner = EventPlanner(LoadMix(invalid_share=1.0), seed=5)
    [event] = planner.next_batch()
    assert event.kind == "invalid"
    assert event.body["timestamp"] == "not a time"


def test_event_ids_are_fresh_even_with_the_same_seed() -> None:
    one, two = EventPlanner(LoadMix(), seed=7), EventPlanner(LoadMix(), seed=7)
    a, b = one.next_batch()[0], two.next_batch()[0]
    assert a.event_type == b.event_type
    assert a.event_id != b.event_id


def test_a_request_body_is_a_batch_of_the_planned_bodies() -> None:
    events = EventPlanner(LoadMix(batch=3), seed=1).next_batch()
    assert request_body(events) == {"events": [e.body for e in events]}


@pytest.mark.parametrize(("batch", "resend", "invalid"), [(0, 0.0, 0.0), (1, 0.7, 0.7), (1, -0.1, 0.0)])
def test_impossible_mixes_are_refused(batch: int, resend: float, invalid: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        LoadMix(batch=batch, resend_share=resend, invalid_share=invalid)


def test_purchases_carry_a_whole_amount_and_other_types_none() -> None:
    # Given a long mix of every type
    events = EventPlanner(LoadMix(batch=500), seed=11).next_batch()
    # Then each purchase has an integer amount in range (sums of it are exact), and nothing else has one
    purchases = [e.body["properties"] for e in events if e.event_type == "purchase"]
    others = [e.body["properties"] for e in events if e.event_type != "purchase"]
    assert purchases
    assert others
    assert all(type(p["amount"]) is int and 1 <= p["amount"] <= MAX_AMOUNT for p in purchases)
    assert all("amount" not in p and p["plan"] in {"free", "pro", "team"} for p in others)
