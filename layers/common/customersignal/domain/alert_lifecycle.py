"""The alert lifecycle (ARCHITECTURE.md §6.3): one rule's state after one evaluated window. Pure.

```
        breach                 N consecutive              ok
  OK ──────────▶ PENDING ─────────────────▶ FIRING ─────────────▶ RESOLVED ──ok──▶ OK
   ▲                │ ok                      │ breach, every repeat interval     │ breach
   └────────────────┘                         └─▶ repeat (no state change)        └──▶ PENDING / FIRING
  any state ──nodata (window not complete)──▶ NODATA ──data again──▶ judged as below
```

``step`` takes the stored ``RuleState``, the window's ``Verdict`` and the times, and returns the next state,
at most one ``Transition`` (a row of ``alert_history``) and at most one ``Repeat``. The adapter writes the
state with ``UPDATE ... WHERE version = <the version it read>`` and inserts the transition with
``ON CONFLICT (transition_key) DO NOTHING`` in the same transaction; only the run whose insert succeeded
publishes. Decisions, and why:

- **Pending.** ``consecutive_breaches`` counts breaching evaluations in a row; an ok evaluation resets it.
  The rule fires when it reaches ``pending_evaluations`` (so N = 1 goes OK -> FIRING at once). PENDING is
  recorded but never notified: it is the part of a flap the pending period exists to hide.
- **Which transitions notify.** To FIRING: yes. To RESOLVED: if ``notify_on_resolve``. To NODATA: only from
  FIRING, since a receiver that was told "firing" must learn we can no longer tell; NODATA from OK or
  PENDING is recorded only, or every pipeline hiccup would page. To OK and PENDING: never. Transitions that
  do not notify still get a key and a history row, with ``notification_status = 'suppressed'``.
- **RESOLVED -> OK.** RESOLVED lasts one evaluation: the next ok evaluation moves it to OK (recorded, not
  notified), as the diagram says, so the dashboard shows when an incident ended but does not say RESOLVED
  forever. A breach in RESOLVED starts a new episode (PENDING, or FIRING when N = 1).
- **NODATA.** The count of breaches is kept through NODATA (neither a breach nor an ok), so when data comes
  back the rule continues where it was: a count that had reached N means the rule was FIRING, so an ok
  evaluation then resolves it (NODATA -> RESOLVED, notified like any resolve) and a breach re-fires it
  (NODATA -> FIRING, notified: the receiver was told NODATA). Below N it goes to OK or PENDING silently.
  Edge: lowering ``pending_evaluations`` while a rule is NODATA can make a PENDING rule resolve on return.
  A nodata verdict does not advance ``last_evaluated_bucket``: the window was not judged, and may be later.
- **Idempotency.** A window that ends at or before ``last_evaluated_bucket`` (the *end* of the last judged
  window) changes nothing, so a retried or overlapping evaluator run is a no-op; a second nodata while
  NODATA changes nothing either. Transition keys are ``{rule_id}:{to_state}:{bucket_end}`` (UTC,
  ``2024-05-01T12:05:00Z``): two runs judging the same window produce the same key, and the unique
  constraint lets only one of them notify. One window can cause at most one nodata transition and one
  judged transition, and their target states differ, so keys never collide.
- **Repeats.** While FIRING, a breaching evaluation at least ``repeat_interval_seconds`` after
  ``last_notified_at`` (or with no notification yet, e.g. the firing was silenced) yields a ``Repeat`` with
  key ``{rule_id}:FIRING:repeat:{bucket_end}``. It is *not* a ``Transition`` (nothing changes state), so an
  adapter cannot write it as one by mistake (see ``Repeat``).
- **Silence.** While ``now < silenced_until`` states move as usual, but a transition that would notify gets
  ``notify = False`` and ``suppressed_reason = 'silenced'``, and no repeat is produced (a suppressed repeat
  every minute would only fill the outbox). ``last_notified_at`` moves only when something is notified, so a
  rule still firing when the silence ends is repeated at the next evaluation (if it has a repeat interval).
- **Times.** ``since`` is the end of the window that caused the transition (deterministic across runs);
  ``now`` (the evaluation time) decides silences, repeats and ``last_notified_at``. All datetimes must be
  timezone-aware.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from customersignal.domain.alert_conditions import Expected, Verdict

AlertState = Literal["OK", "PENDING", "FIRING", "RESOLVED", "NODATA"]
SuppressedReason = Literal["silenced", "resolve_notifications_off", "not_notified"]


@dataclass(frozen=True, slots=True)
class RuleState:
    """A row of ``alert_states`` (without the keys)."""

    state: AlertState
    since: datetime
    consecutive_breaches: int = 0
    last_evaluated_bucket: datetime | None = None  # the end of the last judged window
    last_notified_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class LifecycleRule:
    """What the lifecycle needs of an ``alert_rules`` row."""

    rule_id: uuid.UUID
    pending_evaluations: int = 1
    repeat_interval_seconds: int | None = None
    notify_on_resolve: bool = True
    silenced_until: datetime | None = None

    def silenced(self, now: datetime) -> bool:
        return self.silenced_until is not None and now < self.silenced_until


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change: one ``alert_history`` row. ``notify`` False means the row is written with
    ``notification_status = 'suppressed'`` and nothing is published; ``suppressed_reason`` says why."""

    from_state: AlertState
    to_state: AlertState
    transition_key: str
    notify: bool
    suppressed_reason: SuppressedReason | None
    observed: float | None
    expected: Expected
    bucket_start: datetime
    bucket_end: datetime

    @property
    def notification_status(self) -> Literal["pending", "suppressed"]:
        return "pending" if self.notify else "suppressed"


@dataclass(frozen=True, slots=True)
class Repeat:
    """A reminder that a rule is still FIRING: a notification without a state change, always to be published
    (silenced repeats are not produced). Its key is unique per rule and window like a transition's. 0003's
    ``alert_history`` CHECK (from_state <> to_state) cannot hold it; stored as a FIRING -> FIRING row of kind
    'repeat' (migration 0006) it takes the same exactly-once path as a transition: unique key, outbox status."""

    transition_key: str
    observed: float | None
    expected: Expected
    bucket_start: datetime
    bucket_end: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """The result of one evaluation. ``changed`` False: write nothing (the window was judged already)."""

    state: RuleState
    transition: Transition | None = None
    repeat: Repeat | None = None
    changed: bool = True


def initial_state(since: datetime) -> RuleState:
    """The state of a new (or replaced) rule, as ``alert_states`` defaults it."""
    return RuleState(state="OK", since=since)


def step(
    rule: LifecycleRule,
    state: RuleState,
    verdict: Verdict,
    bucket_start: datetime,
    bucket_end: datetime,
    now: datetime,
) -> Step:
    """The next state after judging the window [bucket_start, bucket_end) at ``now``."""
    _check_times(bucket_start, bucket_end, now)
    if state.last_evaluated_bucket is not None and bucket_end <= state.last_evaluated_bucket:
        return Step(state, changed=False)
    window = _Window(rule, verdict, bucket_start, bucket_end, now)
    if verdict.state == "nodata":
        return _no_data(window, state)
    breaches = state.consecutive_breaches + 1 if verdict.state == "breach" else 0
    target = _judged_state(state, verdict.state == "breach", breaches, rule.pending_evaluations)
    judged = replace(state, consecutive_breaches=breaches, last_evaluated_bucket=bucket_end, version=state.version + 1)
    if target != state.state:
        return window.move(judged, state.state, target)
    if target == "FIRING" and _repeat_due(rule, state, now):
        repeat = Repeat(window.key("FIRING:repeat"), verdict.observed, verdict.expected, bucket_start, bucket_end)
        return Step(replace(judged, last_notified_at=now), repeat=repeat)
    return Step(judged)


def _judged_state(state: RuleState, breach: bool, breaches: int, pending: int) -> AlertState:
    """Where a judged (breach or ok) window takes the rule."""
    if breach:
        return "FIRING" if state.state == "FIRING" or breaches >= pending else "PENDING"
    if state.state == "FIRING" or (state.state == "NODATA" and state.consecutive_breaches >= pending):
        return "RESOLVED"
    return "OK"


def _no_data(window: _Window, state: RuleState) -> Step:
    if state.state == "NODATA":
        return Step(state, changed=False)
    # the breach count and the last judged window stay: nodata pauses the pending period, judges nothing
    return window.move(replace(state, version=state.version + 1), state.state, "NODATA")


def _repeat_due(rule: LifecycleRule, state: RuleState, now: datetime) -> bool:
    if rule.repeat_interval_seconds is None or rule.silenced(now):
        return False
    last = state.last_notified_at
    return last is None or now - last >= timedelta(seconds=rule.repeat_interval_seconds)


@dataclass(frozen=True, slots=True)
class _Window:
    """The evaluation in progress: what every transition of it shares."""

    rule: LifecycleRule
    verdict: Verdict
    bucket_start: datetime
    bucket_end: datetime
    now: datetime

    def key(self, target: str) -> str:
        return f"{self.rule.rule_id}:{target}:{transition_time(self.bucket_end)}"

    def move(self, state: RuleState, source: AlertState, target: AlertState) -> Step:
        reason = _suppressed_reason(self.rule, source, target, self.now)
        transition = Transition(
            from_state=source,
            to_state=target,
            transition_key=self.key(target),
            notify=reason is None,
            suppressed_reason=reason,
            observed=self.verdict.observed,
            expected=self.verdict.expected,
            bucket_start=self.bucket_start,
            bucket_end=self.bucket_end,
        )
        notified_at = self.now if transition.notify else state.last_notified_at
        return Step(replace(state, state=target, since=self.bucket_end, last_notified_at=notified_at), transition)


def _suppressed_reason(
    rule: LifecycleRule, source: AlertState, target: AlertState, now: datetime
) -> SuppressedReason | None:
    """Why this transition is not notified, or None when it is."""
    if target == "RESOLVED" and not rule.notify_on_resolve:
        return "resolve_notifications_off"
    notifiable = target in ("FIRING", "RESOLVED") or (target == "NODATA" and source == "FIRING")
    if not notifiable:
        return "not_notified"
    return "silenced" if rule.silenced(now) else None


def transition_time(moment: datetime) -> str:
    """A window end as it appears in keys: UTC, ISO 8601 with Z, so every run spells it the same."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _check_times(*moments: datetime) -> None:
    if any(moment.tzinfo is None for moment in moments):
        raise ValueError("alert lifecycle times must be timezone-aware")
    start, end, _ = moments
    if end <= start:
        raise ValueError("a window must end after it starts")
