"""The alert fast path: right after the aggregator commits a batch, threshold rules that can only be
crossed upwards are checked against the window the scheduled evaluator will judge next, so a breach is
notified within seconds instead of at the next minute. Pure.

Which rules. ``count`` rules with an ``above`` threshold, no pending period (``pending_evaluations`` 1)
and a window of at most 5 minutes, on an event type the batch counted. A count only grows, so once the
window that ends at the next minute boundary is above the threshold, the scheduled evaluation of that
same window will be too: firing now is the same decision, made early.

Exactly once. The step is the lifecycle's own, for that very window, so it produces the key the
scheduled evaluator would produce (``{rule}:FIRING:{window end}``) and records the window as judged:
whichever comes second finds the state FIRING and the window already evaluated, and changes nothing.
The scheduled evaluator stays the source of truth for everything else (resolution, absence, NODATA).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Protocol

from customersignal.domain.alert_conditions import WindowObservation, evaluate
from customersignal.domain.alert_evaluation import AlertStore, RuleSnapshot, RunReport, applied_step
from customersignal.domain.alert_lifecycle import step
from customersignal.domain.alert_rule_conditions import ThresholdCondition

FAST_WINDOW_MAX_S = 300


class FastPathStore(AlertStore, Protocol):
    def fast_rules(self, counted_types: Collection[tuple[uuid.UUID, str]]) -> list[RuleSnapshot]:
        """Enabled count rules on these (tenant, event type) pairs: the candidates of ``is_fast``."""
        ...


def is_fast(rule: RuleSnapshot) -> bool:
    return (
        rule.metric == "count"
        and isinstance(rule.condition, ThresholdCondition)
        and rule.condition.operator == "above"
        and rule.lifecycle.pending_evaluations == 1
        and rule.window_seconds <= FAST_WINDOW_MAX_S
        and rule.state.state != "FIRING"
    )


def check_fast_path(
    store: FastPathStore, counted_types: Collection[tuple[uuid.UUID, str]], now: datetime, trace_id: str
) -> RunReport:
    """Apply the fast rules' breaches; the caller publishes the outbox when ``transitions`` is non-zero (so
    a batch that fires nothing never needs SNS)."""
    report = RunReport()
    if not counted_types:
        return report
    window_end = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for rule in filter(is_fast, store.fast_rules(counted_types)):
        report.rules += 1
        value = store.window_values(rule.window_request((window_end,)))[0]
        verdict = evaluate(rule.condition, WindowObservation(current=None if value is None else float(value)))
        if verdict.state != "breach":
            continue
        window_start = window_end - timedelta(seconds=rule.window_seconds)
        result = step(rule.lifecycle, rule.state, verdict, window_start, window_end, now)
        if result.changed:
            report.transitions += store.apply(applied_step(rule, result, trace_id)) is not None
    return report
