"""The ESM emulator's failure state machine: retries, bisection, partial batch responses, record age, commits.

Test names quote the AWS sentence each behaviour is pinned to (customersignal.local.esm.failures).
"""

from __future__ import annotations

from typing import Any

import pytest

from customersignal.local.esm.events import RecordData
from customersignal.local.esm.failures import (
    RECORD_AGE_EXCEEDED,
    RETRY_ATTEMPTS_EXHAUSTED,
    Outcome,
    RetryPolicy,
    WorkItem,
    backoff_s,
    committable,
    next_work,
    outcome_of,
    split_expired,
)

pytestmark = pytest.mark.unit

NOW_MS = 1_800_000_000_000
FAILED = Outcome(error="ValueError: boom")


def rec(offset: int, partition: int = 0, age_s: float = 1.0) -> RecordData:
    return RecordData("orders-eu", partition, offset, int(NOW_MS - age_s * 1000), b"v")


def batch(*spec: tuple[int, int]) -> tuple[RecordData, ...]:
    return tuple(rec(offset, partition) for partition, offset in spec)


def identifier(partition: Any, offset: Any) -> dict[str, Any]:
    return {"itemIdentifier": {"partition": partition, "offset": offset}}


def policy(retries: int | None = 2, *, report: bool = False, **kwargs: Any) -> RetryPolicy:
    return RetryPolicy(retries, report_item_failures=report, **kwargs)


def run_until_settled(records: tuple[RecordData, ...], fails: Any, pol: RetryPolicy) -> tuple[list[Any], list[Any]]:
    """Drive next_work with a fake function: (invocations as offset lists, items given up)."""
    work, invoked, given_up = [WorkItem(records)], [], []
    while work:
        item = work.pop(0)
        if item.failure is not None:
            given_up.append(item)
            continue
        invoked.append([r.offset for r in item.records])
        outcome = FAILED if fails(item.records) else Outcome()
        work[0:0] = next_work(item, outcome, pol, now=0.0)
    return invoked, given_up


# --- retries -----------------------------------------------------------------------------------------


def test_maximum_retry_attempts_doesnt_count_the_initial_invocation_attempt() -> None:
    invoked, given_up = run_until_settled(batch((0, 0), (0, 1)), lambda _: True, policy(2))
    assert invoked == [[0, 1]] * 3  # the first attempt and 2 retries
    (item,) = given_up
    assert item.failure.condition == RETRY_ATTEMPTS_EXHAUSTED
    assert (item.failure.invoke_count, item.failure.error) == (3, "ValueError: boom")
    assert [r.offset for r in item.records] == [0, 1]


def test_maximum_retry_attempts_zero_gives_up_after_the_first_failure() -> None:
    invoked, given_up = run_until_settled(batch((0, 0)), lambda _: True, policy(0))
    assert (invoked, given_up[0].failure.invoke_count) == ([[0]], 1)


def test_the_default_is_minus_one_infinite_retries() -> None:
    pol = RetryPolicy.of(-1, -1, bisect=False, report=False, has_destination=False)
    item = WorkItem(batch((0, 0)), retries=5000)
    (retry,) = next_work(item, FAILED, pol, now=0.0)
    assert (pol.max_retries, retry.failure, retry.retries) == (None, None, 5001)


def test_when_you_configure_both_infinite_retries_and_an_on_failure_destination_lambda_applies_a_maximum_of_10() -> (
    None
):
    assert RetryPolicy.of(-1, -1, bisect=False, report=False, has_destination=True).max_retries == 10
    assert RetryPolicy.of(500, -1, bisect=False, report=False, has_destination=True).max_retries == 500


def test_retries_back_off_so_a_failing_handler_does_not_spin() -> None:
    (retry,) = next_work(WorkItem(batch((0, 0))), FAILED, policy(5), now=100.0)
    assert retry.not_before == pytest.approx(100.0 + backoff_s(1))
    assert [backoff_s(n) for n in (1, 2, 3, 6, 50)] == [0.1, 0.2, 0.4, 2.0, 2.0]


# --- bisect --------------------------------------------------------------------------------------------


def test_split_batch_on_error_isolates_the_bad_record_and_splitting_doesnt_consume_the_retry_quota() -> None:
    records = tuple(rec(o) for o in range(8))
    invoked, given_up = run_until_settled(records, lambda rs: 5 in [r.offset for r in rs], policy(0, bisect=True))
    # 8 -> (4 ok) 4 -> (2 bad: 4,5) -> (1 ok: 4) (1 bad: 5) -> (2 ok: 6,7)
    assert invoked == [list(range(8)), [0, 1, 2, 3], [4, 5, 6, 7], [4, 5], [4], [5], [6, 7]]
    (item,) = given_up
    assert ([r.offset for r in item.records], item.failure.invoke_count) == ([5], 1)


def test_bisected_halves_run_in_order_so_each_partition_stays_in_offset_order() -> None:
    records = batch((0, 0), (0, 1), (0, 2), (1, 0), (1, 1))
    halves = next_work(WorkItem(records, retries=1), FAILED, policy(3, bisect=True), now=0.0)
    assert [[(r.partition, r.offset) for r in h.records] for h in halves] == [
        [(0, 0), (0, 1)],
        [(0, 2), (1, 0), (1, 1)],
    ]
    assert [h.retries for h in halves] == [1, 1]  # the halves keep the parent's retry count


def test_a_single_record_failing_with_bisect_on_spends_retries() -> None:
    invoked, given_up = run_until_settled(batch((0, 0)), lambda _: True, policy(2, bisect=True))
    assert (invoked, given_up[0].failure.invoke_count) == ([[0], [0], [0]], 3)


# --- partial batch responses ------------------------------------------------------------------------


def test_responses_will_not_be_processed_unless_reportbatchitemfailures_is_turned_on() -> None:
    response = {"batchItemFailures": [identifier("orders-eu-0", 1)]}
    assert outcome_of(response, None, batch((0, 0), (0, 1)), policy(report=False)).ok


@pytest.mark.parametrize("response", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, "done", 7])
def test_an_empty_or_null_batchitemfailures_or_a_null_response_is_a_complete_success(response: Any) -> None:
    assert outcome_of(response, None, batch((0, 0)), policy(report=True)).ok


@pytest.mark.parametrize(
    "failures",
    [
        [identifier("", 0)],  # empty identifier
        [identifier(None, 0)],  # null
        [{"itemIdentifier": None}],
        [{"itemIdentifer": {"partition": "orders-eu-0", "offset": 0}}],  # bad key name
        [{"itemIdentifier": {"topic-partition": "orders-eu-0", "offset": 0}}],
        [identifier("orders-eu-0", "0")],  # docs silent: an offset must be an integer
        [identifier("orders-eu-0", 9)],  # docs silent: not a record of this batch
        [identifier("orders-eu-7", 0)],
        "orders-eu-0",
    ],
)
def test_an_empty_null_or_badly_keyed_itemidentifier_fails_the_whole_batch(failures: Any) -> None:
    outcome = outcome_of({"batchItemFailures": failures}, None, batch((0, 0), (0, 1)), policy(report=True))
    assert outcome.error is not None
    assert outcome.error.startswith("malformed partial batch response")


def test_partial_response_retries_each_reported_partition_from_its_lowest_offset_and_the_rest_is_done() -> None:
    # Given a batch over two partitions, and a response naming offsets 3 and 2 of partition 0
    records = batch((0, 1), (0, 2), (0, 3), (0, 4), (1, 7), (1, 8))
    response = {"batchItemFailures": [identifier("orders-eu-0", 3), identifier("orders-eu-0", 2)]}
    outcome = outcome_of(response, None, records, policy(report=True))
    # When the poller decides what is next
    (retry,) = next_work(WorkItem(records), outcome, policy(report=True), now=0.0)
    # Then only partition 0 from offset 2 on is retried ("Lambda then retries all records starting from
    # that checkpoint"), and that spends a retry (docs silent: our choice)
    assert [(r.partition, r.offset) for r in retry.records] == [(0, 2), (0, 3), (0, 4)]
    assert retry.retries == 1
    assert committable(records, [retry], set()) == {("orders-eu", 1): 9}


def test_with_bisect_too_the_batch_is_bisected_at_the_returned_sequence_number_retrying_only_the_rest() -> None:
    records = batch((0, 0), (0, 1), (0, 2), (0, 3))
    outcome = outcome_of({"batchItemFailures": [identifier("orders-eu-0", 1)]}, None, records, policy(report=True))
    (retry,) = next_work(WorkItem(records), outcome, policy(report=True, bisect=True), now=0.0)
    assert [r.offset for r in retry.records] == [1, 2, 3]


def test_a_partially_failing_partition_gives_up_when_retries_run_out() -> None:
    records = batch((0, 0), (0, 1))
    outcome = outcome_of({"batchItemFailures": [identifier("orders-eu-0", 1)]}, None, records, policy(report=True))
    (item,) = next_work(WorkItem(records, retries=2), outcome, policy(2, report=True), now=0.0)
    assert item.failure is not None
    assert ([r.offset for r in item.records], item.failure.condition) == ([1], RETRY_ATTEMPTS_EXHAUSTED)


def test_a_handler_error_wins_over_its_response() -> None:
    outcome = outcome_of({"batchItemFailures": []}, "Task timed out after 3.00 seconds", batch((0, 0)), policy())
    assert outcome.error == "Task timed out after 3.00 seconds"


# --- record age ----------------------------------------------------------------------------------------


def test_maximum_record_age_is_the_maximum_age_of_a_record_that_lambda_sends_to_your_function() -> None:
    item = WorkItem((rec(0, age_s=61), rec(1, age_s=59), rec(2, age_s=120)), retries=2)
    fresh, expired = split_expired(item, NOW_MS, policy(max_record_age_s=60))
    assert fresh is not None
    assert expired is not None
    assert ([r.offset for r in fresh.records], fresh.retries) == ([1], 2)
    assert [r.offset for r in expired.records] == [0, 2]
    assert expired.failure is not None
    assert (expired.failure.condition, expired.failure.invoke_count) == (RECORD_AGE_EXCEEDED, 2)


def test_minus_one_record_age_means_no_limit_and_an_all_old_batch_is_never_sent() -> None:
    old = WorkItem((rec(0, age_s=10**6),))
    assert split_expired(old, NOW_MS, policy(max_record_age_s=None)) == (old, None)
    fresh, expired = split_expired(old, NOW_MS, policy(max_record_age_s=60))
    assert fresh is None
    assert expired is not None


# --- commits -------------------------------------------------------------------------------------------


def test_a_partition_is_committed_once_none_of_its_records_are_left_to_work_on() -> None:
    records = batch((0, 5), (0, 6), (1, 0), (2, 3))
    left = [WorkItem(batch((0, 6)))]
    assert committable(records, left, set()) == {("orders-eu", 1): 1, ("orders-eu", 2): 4}
    assert committable(records, [], {("orders-eu", 1), ("orders-eu", 2)}) == {("orders-eu", 0): 7}
