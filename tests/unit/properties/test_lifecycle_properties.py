"""Property tests of the alert lifecycle: any sequence of window verdicts, any rule settings.

The table tests (tests/unit/domain/test_alert_lifecycle.py) pin each transition; these check what must hold
over whole sequences: states change only through transitions, only FIRING, RESOLVED and NODATA-after-FIRING
notify, a rule fires only after its pending period, every key is unique, and judging a window twice
changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customersignal.domain.alert_conditions import Verdict
from customersignal.domain.alert_lifecycle import LifecycleRule, RuleState, Step, initial_state, step

pytestmark = pytest.mark.unit

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
VERDICTS = {
    "breach": Verdict("breach", 120.0, {"kind": "threshold", "operator": "above", "threshold": 100}),
    "ok": Verdict("ok", 80.0, {"kind": "threshold", "operator": "above", "threshold": 100}),
    "nodata": Verdict("nodata", None, {"kind": "threshold", "reason": "window_incomplete"}),
}

rules = st.builds(
    LifecycleRule,
    rule_id=st.just(uuid.UUID("00000000-0000-4000-8000-0000000000a1")),
    pending_evaluations=st.integers(1, 5),
    repeat_interval_seconds=st.one_of(st.none(), st.integers(60, 900)),
    notify_on_resolve=st.booleans(),
)
sequences = st.lists(st.sampled_from(sorted(VERDICTS)), min_size=1, max_size=60)


def run(rule: LifecycleRule, verdicts: list[str]) -> list[tuple[RuleState, RuleState, Step]]:
    """(before, after, step) for one evaluation a minute over consecutive one-minute windows."""
    state = initial_state(T0)
    history: list[tuple[RuleState, RuleState, Step]] = []
    for n, name in enumerate(verdicts):
        start, end = T0 + n * MINUTE, T0 + (n + 1) * MINUTE
        result = step(rule, state, VERDICTS[name], start, end, end + timedelta(seconds=10))
        history.append((state, result.state, result))
        state = result.state
    return history


@given(rules, sequences)
@settings(max_examples=400, deadline=None)
def test_states_change_only_through_transitions_with_matching_ends(rule: LifecycleRule, verdicts: list[str]) -> None:
    for before, after, result in run(rule, verdicts):
        transition = result.transition
        if transition is None:
            assert after.state == before.state
        else:
            assert (transition.from_state, transition.to_state) == (before.state, after.state)
            assert transition.from_state != transition.to_state
        assert after.version in (before.version, before.version + 1)
        assert (after.version == before.version + 1) == result.changed


@given(rules, sequences)
@settings(max_examples=400, deadline=None)
def test_only_firing_resolved_and_nodata_after_firing_notify(rule: LifecycleRule, verdicts: list[str]) -> None:
    for _, _, result in run(rule, verdicts):
        transition = result.transition
        if transition is None or not transition.notify:
            continue
        assert transition.to_state in ("FIRING", "RESOLVED", "NODATA")
        if transition.to_state == "NODATA":
            assert transition.from_state == "FIRING"
        if transition.to_state == "RESOLVED":
            assert rule.notify_on_resolve


@given(rules, sequences)
@settings(max_examples=400, deadline=None)
def test_a_rule_fires_only_after_its_pending_period_of_breaches(rule: LifecycleRule, verdicts: list[str]) -> None:
    judged: list[str] = []  # breach/ok verdicts so far; nodata pauses the count, it does not reset it
    for (before, after, _), name in zip(run(rule, verdicts), verdicts, strict=True):
        if name != "nodata":
            judged.append(name)
        if after.state == "FIRING" and before.state != "FIRING":
            recent = judged[-rule.pending_evaluations :]
            assert len(recent) == rule.pending_evaluations
            assert set(recent) == {"breach"}


@given(rules, sequences)
@settings(max_examples=400, deadline=None)
def test_every_notification_key_is_unique(rule: LifecycleRule, verdicts: list[str]) -> None:
    keys = []
    for _, _, result in run(rule, verdicts):
        for notice in (result.transition, result.repeat):
            if notice is not None:
                keys.append(notice.transition_key)
    assert len(keys) == len(set(keys))


@given(rules, sequences, st.data())
@settings(max_examples=400, deadline=None)
def test_judging_an_already_judged_window_again_changes_nothing(
    rule: LifecycleRule, verdicts: list[str], data: st.DataObject
) -> None:
    history = run(rule, verdicts)
    final = history[-1][1]
    if final.last_evaluated_bucket is None:
        return  # nothing was judged yet (only nodata)
    judged_ends = [T0 + (n + 1) * MINUTE for n, name in enumerate(verdicts) if name != "nodata"]
    end = data.draw(st.sampled_from(judged_ends))
    again = step(rule, final, VERDICTS[data.draw(st.sampled_from(sorted(VERDICTS)))], end - MINUTE, end, end)
    assert not again.changed
    assert again.state == final
    assert again.transition is None
    assert again.repeat is None
