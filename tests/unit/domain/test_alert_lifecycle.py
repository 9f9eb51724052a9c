"""The alert lifecycle: every transition as a table row, then whole sequences (flapping, silences, repeats,
re-evaluated windows, a lagging pipeline)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from customersignal.domain.alert_conditions import Verdict, WindowObservation, evaluate
from customersignal.domain.alert_lifecycle import (
    AlertState,
    LifecycleRule,
    RuleState,
    Step,
    SuppressedReason,
    initial_state,
    step,
    transition_time,
)
from customersignal.domain.alert_rule_conditions import AbsenceCondition

pytestmark = pytest.mark.unit

RULE_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
WINDOW = 5 * MINUTE
LATENCY = timedelta(seconds=10)  # the evaluator runs a little after a window ends

BREACH = Verdict("breach", 120.0, {"kind": "threshold", "operator": "above", "threshold": 100})
OK = Verdict("ok", 80.0, {"kind": "threshold", "operator": "above", "threshold": 100})
NODATA = Verdict("nodata", None, {"kind": "threshold", "reason": "window_incomplete"})
VERDICTS = {"B": BREACH, "O": OK, "N": NODATA}


def lifecycle_rule(
    pending: int = 1,
    *,
    repeat: int | None = None,
    notify_on_resolve: bool = True,
    silenced_until: datetime | None = None,
) -> LifecycleRule:
    return LifecycleRule(RULE_ID, pending, repeat, notify_on_resolve, silenced_until)


def stored(state: AlertState, breaches: int = 0) -> RuleState:
    """A stored state whose last judged window ended at T0, entered then."""
    return RuleState(state, since=T0 - WINDOW, consecutive_breaches=breaches, last_evaluated_bucket=T0, version=7)


END = T0 + MINUTE  # the next window: [END - 5 min, END), judged at END + 10 s
SILENCED = END + timedelta(hours=1)


@pytest.mark.parametrize(
    ("state", "breaches", "verdict", "rule", "to", "breaches_after", "notify", "reason"),
    [
        # OK
        pytest.param("OK", 0, "O", lifecycle_rule(), "OK", 0, None, None, id="OK stays OK"),
        pytest.param("OK", 0, "B", lifecycle_rule(), "FIRING", 1, True, None, id="OK -> FIRING at once (N=1)"),
        pytest.param("OK", 0, "B", lifecycle_rule(3), "PENDING", 1, False, "not_notified", id="OK -> PENDING"),
        pytest.param("OK", 0, "N", lifecycle_rule(), "NODATA", 0, False, "not_notified", id="OK -> NODATA: quiet"),
        # PENDING
        pytest.param("PENDING", 1, "B", lifecycle_rule(3), "PENDING", 2, None, None, id="PENDING counts on"),
        pytest.param("PENDING", 2, "B", lifecycle_rule(3), "FIRING", 3, True, None, id="PENDING -> FIRING at N"),
        pytest.param("PENDING", 2, "O", lifecycle_rule(3), "OK", 0, False, "not_notified", id="PENDING -> OK"),
        pytest.param("PENDING", 2, "N", lifecycle_rule(3), "NODATA", 2, False, "not_notified", id="PENDING->NODATA"),
        # FIRING
        pytest.param("FIRING", 3, "B", lifecycle_rule(3), "FIRING", 4, None, None, id="FIRING stays FIRING"),
        pytest.param("FIRING", 3, "O", lifecycle_rule(3), "RESOLVED", 0, True, None, id="FIRING -> RESOLVED"),
        pytest.param(
            "FIRING",
            3,
            "O",
            lifecycle_rule(3, notify_on_resolve=False),
            "RESOLVED",
            0,
            False,
            "resolve_notifications_off",
            id="FIRING -> RESOLVED, resolve notifications off",
        ),
        pytest.param("FIRING", 3, "N", lifecycle_rule(3), "NODATA", 3, True, None, id="FIRING -> NODATA: notified"),
        # RESOLVED
        pytest.param("RESOLVED", 0, "O", lifecycle_rule(), "OK", 0, False, "not_notified", id="RESOLVED -> OK"),
        pytest.param("RESOLVED", 0, "B", lifecycle_rule(), "FIRING", 1, True, None, id="RESOLVED -> FIRING (N=1)"),
        pytest.param(
            "RESOLVED", 0, "B", lifecycle_rule(3), "PENDING", 1, False, "not_notified", id="RESOLVED->PENDING"
        ),
        pytest.param("RESOLVED", 0, "N", lifecycle_rule(), "NODATA", 0, False, "not_notified", id="RESOLVED->NODATA"),
        # NODATA: the breach count kept through it says where the rule was
        pytest.param("NODATA", 0, "N", lifecycle_rule(), "NODATA", 0, None, None, id="NODATA stays NODATA"),
        pytest.param("NODATA", 0, "O", lifecycle_rule(), "OK", 0, False, "not_notified", id="NODATA -> OK"),
        pytest.param(
            "NODATA", 3, "O", lifecycle_rule(3), "RESOLVED", 0, True, None, id="NODATA (was FIRING) -> RESOLVED"
        ),
        pytest.param(
            "NODATA",
            3,
            "O",
            lifecycle_rule(3, notify_on_resolve=False),
            "RESOLVED",
            0,
            False,
            "resolve_notifications_off",
            id="NODATA (was FIRING) -> RESOLVED, resolve notifications off",
        ),
        pytest.param("NODATA", 2, "O", lifecycle_rule(3), "OK", 0, False, "not_notified", id="NODATA (PENDING) -> OK"),
        pytest.param("NODATA", 3, "B", lifecycle_rule(3), "FIRING", 4, True, None, id="NODATA (was FIRING) -> FIRING"),
        pytest.param("NODATA", 1, "B", lifecycle_rule(3), "PENDING", 2, False, "not_notified", id="NODATA -> PENDING"),
        pytest.param("NODATA", 2, "B", lifecycle_rule(3), "FIRING", 3, True, None, id="NODATA: Nth breach fires"),
        pytest.param("NODATA", 0, "B", lifecycle_rule(), "FIRING", 1, True, None, id="NODATA -> FIRING (N=1)"),
        # silences suppress notifications, not state changes
        pytest.param(
            "OK", 0, "B", lifecycle_rule(silenced_until=SILENCED), "FIRING", 1, False, "silenced", id="silenced FIRING"
        ),
        pytest.param(
            "FIRING",
            1,
            "O",
            lifecycle_rule(silenced_until=SILENCED),
            "RESOLVED",
            0,
            False,
            "silenced",
            id="silenced RESOLVED",
        ),
        pytest.param(
            "FIRING",
            1,
            "N",
            lifecycle_rule(silenced_until=SILENCED),
            "NODATA",
            1,
            False,
            "silenced",
            id="silenced NODATA",
        ),
        pytest.param(
            "FIRING",
            1,
            "O",
            lifecycle_rule(notify_on_resolve=False, silenced_until=SILENCED),
            "RESOLVED",
            0,
            False,
            "resolve_notifications_off",
            id="silenced, resolve off: the rule's own reason",
        ),
        pytest.param(
            "OK",
            0,
            "B",
            lifecycle_rule(3, silenced_until=SILENCED),
            "PENDING",
            1,
            False,
            "not_notified",
            id="silenced PENDING",
        ),
        pytest.param(
            "OK", 0, "B", lifecycle_rule(silenced_until=END), "FIRING", 1, True, None, id="a silence that has ended"
        ),
    ],
)
def test_transition_table(
    state: AlertState,
    breaches: int,
    verdict: str,
    rule: LifecycleRule,
    to: AlertState,
    breaches_after: int,
    notify: bool | None,
    reason: SuppressedReason | None,
) -> None:
    # Given a stored state and a rule; When the next window's verdict comes in; Then the state and the
    # transition (None when the state stays: notify None) are as the table says
    before = stored(state, breaches)
    now = END + LATENCY
    result = step(rule, before, VERDICTS[verdict], END - WINDOW, END, now)
    after = result.state
    assert (after.state, after.consecutive_breaches) == (to, breaches_after)
    assert result.repeat is None
    if notify is None:
        assert result.transition is None
        assert after.since == before.since
        assert result.changed == (verdict != "N")
    else:
        transition = result.transition
        assert transition is not None
        assert (transition.from_state, transition.to_state) == (state, to)
        assert (transition.notify, transition.suppressed_reason) == (notify, reason)
        assert transition.notification_status == ("pending" if notify else "suppressed")
        assert transition.transition_key == f"{RULE_ID}:{to}:2024-05-01T12:01:00Z"
        assert (transition.bucket_start, transition.bucket_end) == (END - WINDOW, END)
        assert (transition.observed, transition.expected) == (VERDICTS[verdict].observed, VERDICTS[verdict].expected)
        assert after.since == END
        assert after.last_notified_at == (now if notify else None)
        assert result.changed
    if result.changed:
        assert after.version == before.version + 1
        # a nodata window was not judged: it may be judged later, so it does not count as evaluated
        assert after.last_evaluated_bucket == (T0 if verdict == "N" else END)
    else:
        assert after is before


# --- sequences -------------------------------------------------------------------------------------------------


def run(rule: LifecycleRule, verdicts: str, state: RuleState | None = None) -> list[Step]:
    """Evaluate one sliding 5-minute window a minute, from T0 + 1 min on: B breach, O ok, N nodata."""
    current = state or initial_state(T0)
    steps = []
    for minute, letter in enumerate(verdicts, start=1):
        end = T0 + minute * MINUTE
        result = step(rule, current, VERDICTS[letter], end - WINDOW, end, end + LATENCY)
        steps.append(result)
        current = result.state
    return steps


def states(steps: list[Step]) -> list[AlertState]:
    return [s.state.state for s in steps]


def notified(steps: list[Step]) -> list[str]:
    """What was published, in order: "FROM->TO" for transitions, "repeat" for reminders."""
    sent = []
    for s in steps:
        if s.transition is not None and s.transition.notify:
            sent.append(f"{s.transition.from_state}->{s.transition.to_state}")
        if s.repeat is not None:
            sent.append("repeat")
    return sent


def keys(steps: list[Step]) -> list[str]:
    found = [s.transition.transition_key for s in steps if s.transition is not None]
    return found + [s.repeat.transition_key for s in steps if s.repeat is not None]


def test_a_whole_episode_notifies_firing_and_resolved_once_each() -> None:
    steps = run(lifecycle_rule(2), "OBBBOOO")
    assert states(steps) == ["OK", "PENDING", "FIRING", "FIRING", "RESOLVED", "OK", "OK"]
    assert notified(steps) == ["PENDING->FIRING", "FIRING->RESOLVED"]
    transitions = [(s.transition.from_state, s.transition.to_state) for s in steps if s.transition is not None]
    assert transitions == [("OK", "PENDING"), ("PENDING", "FIRING"), ("FIRING", "RESOLVED"), ("RESOLVED", "OK")]
    assert len(set(keys(steps))) == len(keys(steps)) == 4  # every history row has its own key


def test_flapping_is_held_by_the_pending_period() -> None:
    # Given a condition that flaps, never breaching three times in a row
    flapping = "BOBOBBOBBOB"
    # When the rule needs 3 consecutive breaches; Then it never fires and nothing is notified
    held = run(lifecycle_rule(3), flapping)
    assert "FIRING" not in states(held)
    assert notified(held) == []
    # ...whereas without a pending period every flap pages twice
    assert notified(run(lifecycle_rule(1), flapping)).count("RESOLVED->FIRING") == 4


def test_a_silence_suppresses_notifications_but_not_state_changes() -> None:
    silence_ends = T0 + 3 * MINUTE + 2 * LATENCY  # windows ending at minutes 1-3 are judged while silenced
    silenced = run(lifecycle_rule(repeat=60, silenced_until=silence_ends), "BBBBBO")
    loud = run(lifecycle_rule(repeat=60), "BBBBBO")
    assert states(silenced) == states(loud) == ["FIRING"] * 5 + ["RESOLVED"]
    assert silenced[0].transition is not None
    assert silenced[0].transition.suppressed_reason == "silenced"
    # no repeats while silenced; once it ends, a rule still firing is repeated at the next evaluation
    assert notified(silenced) == ["repeat", "repeat", "FIRING->RESOLVED"]
    assert notified(loud) == ["OK->FIRING", "repeat", "repeat", "repeat", "repeat", "FIRING->RESOLVED"]


def test_resolve_notifications_off_records_the_resolve_without_publishing_it() -> None:
    steps = run(lifecycle_rule(notify_on_resolve=False), "BOO")
    assert states(steps) == ["FIRING", "RESOLVED", "OK"]
    assert notified(steps) == ["OK->FIRING"]
    resolved = steps[1].transition
    assert resolved is not None
    assert (resolved.to_state, resolved.suppressed_reason) == ("RESOLVED", "resolve_notifications_off")


def test_repeats_follow_the_repeat_interval_while_firing() -> None:
    steps = run(lifecycle_rule(repeat=180), "BBBBBBBBO")
    assert notified(steps) == ["OK->FIRING", "repeat", "repeat", "FIRING->RESOLVED"]
    repeats = [s for s in steps if s.repeat is not None]
    # fired at minute 1; reminders 3 minutes apart, at minutes 4 and 7
    assert [s.repeat.bucket_end for s in repeats if s.repeat is not None] == [T0 + 4 * MINUTE, T0 + 7 * MINUTE]
    assert [s.state.last_notified_at for s in repeats] == [T0 + 4 * MINUTE + LATENCY, T0 + 7 * MINUTE + LATENCY]
    assert all(s.transition is None and s.state.state == "FIRING" for s in repeats)  # a repeat is no transition
    assert repeats[0].repeat is not None
    assert repeats[0].repeat.transition_key == f"{RULE_ID}:FIRING:repeat:2024-05-01T12:04:00Z"
    assert len(set(keys(steps))) == len(keys(steps))


def test_without_a_repeat_interval_a_firing_rule_notifies_once() -> None:
    assert notified(run(lifecycle_rule(), "B" * 30)) == ["OK->FIRING"]


def test_re_evaluating_a_window_changes_nothing() -> None:
    rule = lifecycle_rule()
    first = step(rule, stored("OK"), BREACH, END - WINDOW, END, END + LATENCY)
    assert first.transition is not None
    # the same window again (a retry, or an overlapping run that already read the new state): no change
    again = step(rule, first.state, OK, END - WINDOW, END, END + 2 * LATENCY)
    assert (again.changed, again.transition, again.repeat, again.state) == (False, None, None, first.state)
    # an older window (a run that was late): no change either
    older = step(rule, first.state, OK, END - WINDOW - MINUTE, END - MINUTE, END + 2 * LATENCY)
    assert not older.changed


def test_overlapping_runs_on_the_same_window_produce_the_same_key() -> None:
    # Given two evaluator runs that both read the stored state before either wrote; When both judge the same
    # window at different times; Then their transitions carry one key, so the unique constraint admits one
    rule = lifecycle_rule()
    one = step(rule, stored("OK"), BREACH, END - WINDOW, END, END + LATENCY)
    two = step(rule, stored("OK"), BREACH, END - WINDOW, END, END + 30 * LATENCY)
    assert one.transition is not None
    assert two.transition is not None
    assert one.transition.transition_key == two.transition.transition_key
    assert one.state.version == two.state.version  # and the optimistic lock lets one of them write


def test_a_lagging_pipeline_turns_an_absence_rule_nodata_instead_of_firing() -> None:
    # Given an absence rule; When the windows are not complete (the watermark lags), and then are
    absence = AbsenceCondition(kind="absence")
    rule = lifecycle_rule()
    current = initial_state(T0)
    seen: list[Step] = []
    for minute, count in enumerate([5, None, None, None, 7, 0], start=1):
        end = T0 + minute * MINUTE
        verdict = evaluate(absence, WindowObservation(current=count))
        seen.append(step(rule, current, verdict, end - WINDOW, end, end + LATENCY))
        current = seen[-1].state
    # Then the lag reads as NODATA (recorded, not notified), never as an absence; real silence still fires
    assert states(seen) == ["OK", "NODATA", "NODATA", "NODATA", "OK", "FIRING"]
    assert notified(seen) == ["OK->FIRING"]
    assert [s.changed for s in seen[1:4]] == [True, False, False]


def test_a_firing_rule_that_loses_its_data_says_so_and_resumes() -> None:
    steps = run(lifecycle_rule(2), "BBNNBO")
    assert states(steps) == ["PENDING", "FIRING", "NODATA", "NODATA", "FIRING", "RESOLVED"]
    assert notified(steps) == ["PENDING->FIRING", "FIRING->NODATA", "NODATA->FIRING", "FIRING->RESOLVED"]


def test_nodata_pauses_the_pending_period() -> None:
    steps = run(lifecycle_rule(3), "BBNB")
    assert states(steps) == ["PENDING", "PENDING", "NODATA", "FIRING"]
    assert [s.state.consecutive_breaches for s in steps] == [1, 2, 2, 3]


def test_a_window_seen_incomplete_is_judged_once_it_is_complete() -> None:
    rule = lifecycle_rule()
    lagging = step(rule, stored("OK"), NODATA, END - WINDOW, END, END + LATENCY)
    caught_up = step(rule, lagging.state, BREACH, END - WINDOW, END, END + 6 * LATENCY)
    assert (lagging.state.state, caught_up.state.state) == ("NODATA", "FIRING")
    assert caught_up.transition is not None
    assert lagging.transition is not None
    assert caught_up.transition.transition_key != lagging.transition.transition_key
    assert caught_up.state.last_evaluated_bucket == END


def test_keys_spell_the_window_end_in_utc() -> None:
    paris = T0.astimezone(timezone(timedelta(hours=2)))
    assert transition_time(paris) == transition_time(T0) == "2024-05-01T12:00:00Z"
    rule = lifecycle_rule()
    local = step(rule, stored("OK"), BREACH, paris - WINDOW + MINUTE, paris + MINUTE, END + LATENCY)
    assert local.transition is not None
    assert local.transition.transition_key == f"{RULE_ID}:FIRING:2024-05-01T12:01:00Z"


@pytest.mark.parametrize(
    ("start", "end", "now", "says"),
    [
        pytest.param(T0.replace(tzinfo=None), END, END, "timezone-aware", id="naive start"),
        pytest.param(T0, END, END.replace(tzinfo=None), "timezone-aware", id="naive now"),
        pytest.param(END, END, END, "end after it starts", id="empty window"),
    ],
)
def test_bad_times_are_programming_errors(start: datetime, end: datetime, now: datetime, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        step(lifecycle_rule(), stored("OK"), OK, start, end, now)


def test_a_new_rule_starts_ok_with_nothing_evaluated() -> None:
    assert initial_state(T0) == RuleState("OK", T0, 0, None, None, 0)
    first = run(lifecycle_rule(), "O")[0]
    assert first.changed
    assert replace(first.state, last_evaluated_bucket=None, version=0) == initial_state(T0)
