"""The audit: a ledger against what the stores hold. Each figure is made to move on its own."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest

from customersignal.loadgen.audit import StoreSnapshot, audit
from customersignal.loadgen.ledger import Ledger, LedgerWriter, read_ledgers
from customersignal.loadgen.plan import PlannedEvent

pytestmark = pytest.mark.unit


def ledger_of(
    accepted: dict[str, str], rejected: AbstractSet[str] = frozenset(), unacked: AbstractSet[str] = frozenset()
) -> Ledger:
    ledger = Ledger()
    for event_id, event_type in accepted.items():
        ledger.add(event_id, "accepted", event_type, "new")
    for event_id in rejected:
        ledger.add(event_id, "rejected", "signup", "invalid")
    for event_id in unacked:
        ledger.add(event_id, "unacknowledged", "signup", "new")
    return ledger


def store(rows: dict[str, tuple[str, int]], **grains: dict[str, int]) -> StoreSnapshot:
    minute: dict[str, int] = {}
    for event_type, count in rows.values():
        minute[event_type] = minute.get(event_type, 0) + min(count, 1)
    counted = {"minute": minute, **grains}
    return StoreSnapshot(rows_per_event=rows, counted=counted)


ACCEPTED = {"a": "signup", "b": "signup", "c": "purchase"}
ROWS = {"a": ("signup", 1), "b": ("signup", 1), "c": ("purchase", 1)}


def test_every_acknowledged_event_stored_and_counted_once_passes() -> None:
    result = audit(ledger_of(ACCEPTED), store(ROWS, hour={"signup": 2, "purchase": 1}))
    assert (result.lost, result.double_counted, result.wrongly_stored, result.grain_mismatches) == (0, 0, 0, [])
    assert result.passed


def test_an_acknowledged_event_missing_from_the_store_is_lost() -> None:
    result = audit(ledger_of(ACCEPTED), store({k: v for k, v in ROWS.items() if k != "c"}))
    assert result.lost == 1
    assert not result.passed


def test_a_second_raw_row_for_one_event_id_is_double_counted() -> None:
    result = audit(ledger_of(ACCEPTED), store({**ROWS, "a": ("signup", 2)}))
    assert result.double_counted == 1


def test_counts_beyond_the_stored_events_are_double_counted_and_below_them_lost() -> None:
    over = StoreSnapshot(rows_per_event=ROWS, counted={"minute": {"signup": 3, "purchase": 1}})
    under = StoreSnapshot(rows_per_event=ROWS, counted={"minute": {"signup": 2}})
    assert audit(ledger_of(ACCEPTED), over).double_counted == 1
    assert audit(ledger_of(ACCEPTED), under).lost == 1


def test_a_stored_event_the_api_rejected_or_never_saw_is_wrongly_stored() -> None:
    rejected = audit(ledger_of(ACCEPTED, rejected={"x"}), store({**ROWS, "x": ("signup", 1)}))
    unknown = audit(ledger_of(ACCEPTED), store({**ROWS, "y": ("signup", 1)}))
    assert (rejected.wrongly_stored, unknown.wrongly_stored) == (1, 1)


def test_an_unacknowledged_event_may_be_stored_or_not() -> None:
    stored = audit(ledger_of(ACCEPTED, unacked={"u"}), store({**ROWS, "u": ("signup", 1)}))
    missing = audit(ledger_of(ACCEPTED, unacked={"u"}), store(ROWS))
    assert stored.passed
    assert missing.passed


def test_a_roll_up_or_the_hot_window_that_disagrees_with_the_minutes_fails() -> None:
    result = audit(ledger_of(ACCEPTED), store(ROWS, hot={"signup": 2, "purchase": 2}))
    assert result.grain_mismatches
    assert result.grains_checked == ["hot", "minute"]
    assert not result.passed


def test_an_empty_run_proves_nothing() -> None:
    assert not audit(Ledger(), store({})).passed


def test_an_event_acknowledged_once_stays_accepted_whatever_its_resends_got(tmp_path: Path) -> None:
    # Given a ledger written by two generators, one of whose resends got no answer
    event = PlannedEvent("e1", "signup", "new", {})
    first, second = LedgerWriter(tmp_path / "a.ledger"), LedgerWriter(tmp_path / "b.ledger")
    first.record([(event, "accepted", None)])
    first.record([(PlannedEvent("e1", "signup", "resend", {}), "unacknowledged", None)])
    second.record([(PlannedEvent("e2", "purchase", "invalid", {}), "rejected", "invalid_value")])
    first.close()
    second.close()
    # And a line cut short by a kill
    with (tmp_path / "b.ledger").open("a") as cut:
        cut.write("e3\tacc")
    # When both are read
    ledger = read_ledgers([tmp_path / "a.ledger", tmp_path / "b.ledger"])
    # Then e1 is accepted, e2 rejected, the cut line ignored
    assert ledger.accepted == {"e1": "signup"}
    assert ledger.rejected == {"e2"}
    assert ledger.unacknowledged == set()
    assert (ledger.submissions, ledger.resends) == (3, 1)
