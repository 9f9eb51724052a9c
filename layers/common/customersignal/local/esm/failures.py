"""What happens to a batch after an invocation: commit, retry, bisect, resume, expire or give up. Pure.

Pinned to the AWS docs (kafka-retry-configurations unless noted):

* "Maximum retry attempts - The maximum number of times Lambda retries when your function returns an
  error. This doesn't count the initial invocation attempt. The default is -1 (infinite)." And: "When you
  configure both infinite retries and an on-failure destination, Lambda automatically applies a maximum
  of 10 retry attempts." (kafka-on-failure-destination)
* "Maximum record age - The maximum age of a record that Lambda sends to your function." Checked before
  every invocation, the first included.
* "Split batch on error - When your function returns an error, split the batch into two smaller batches
  and retry each separately." Kafka's page says no more; Kinesis's does (kinesis-on-failure-destination):
  "Splitting batches doesn't consume the retry quota." So halves keep their parent's retry count, and
  only a one-record batch spends retries. Halves run in order, first half first, so a partition's records
  are still handled in offset order.
* "Partial batch response - Allow your function to return information about which records in a batch
  failed processing, so Lambda can retry only the failed records." The item identifier is
  ``{"partition": "<topic>-<partition>", "offset": N}`` (aws.md §1.4). As for streams
  (services-kinesis-batchfailurereporting): the responses "will not be processed by Lambda unless the
  ReportBatchItemFailures feature is explicitly turned on"; an empty or null ``batchItemFailures`` or a
  null response is a complete success; an identifier that is empty, null or has a bad key name makes the
  whole batch a failure; for several failures in one partition the lowest offset is the checkpoint
  ("Lambda then retries all records starting from that checkpoint"). With BisectBatchOnFunctionError on
  too, "the batch is bisected at the returned sequence number and Lambda retries only the remaining
  records", which is what happens here anyway. (These last two sentences and the success/failure
  conditions were read in the zh_cn/ja copies of that page; the English wording above is ours.)
* When retries or record age run out the records go to the on-failure destination, or "If no destination
  is set, the records will be bypassed" (SAM's MaximumRetryAttempts description), and the partition moves on.

Docs silent, our choices: a retry of what a partial response reported spends one retry; an identifier
naming a record that was not in the invocation, or an offset that is not an integer, is malformed; a
response that is not an object is a success (it cannot carry ``batchItemFailures``); retries wait
0.1 s, doubling up to 2 s (backoff_s), so a failing handler does not spin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from customersignal.local.esm.events import RecordData

RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"
INFINITE_RETRIES_CAP_WITH_DESTINATION = 10

Partition = tuple[str, int]


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int | None  # None: retry until success (or the record age runs out)
    max_record_age_s: int | None = None
    bisect: bool = False
    report_item_failures: bool = False

    @classmethod
    def of(
        cls, max_retry_attempts: int, max_record_age_s: int, *, bisect: bool, report: bool, has_destination: bool
    ) -> RetryPolicy:
        retries: int | None = None if max_retry_attempts == -1 else max_retry_attempts
        if retries is None and has_destination:
            retries = INFINITE_RETRIES_CAP_WITH_DESTINATION
        age = None if max_record_age_s == -1 else max_record_age_s
        return cls(retries, age, bisect, report)


@dataclass(frozen=True)
class Failure:
    condition: str
    error: str | None
    invoke_count: int


@dataclass(frozen=True)
class WorkItem:
    """Records to invoke with (or, with ``failure`` set, to hand to the on-failure destination)."""

    records: tuple[RecordData, ...]
    retries: int = 0
    not_before: float = 0.0  # monotonic seconds: the retry backoff
    failure: Failure | None = None


@dataclass(frozen=True)
class Outcome:
    error: str | None = None
    retry_from: Mapping[Partition, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.retry_from


class MalformedResponseError(ValueError):
    """A partial batch response Lambda would reject: the whole invocation counts as failed."""


def partition_key(record: RecordData) -> str:
    return f"{record.topic}-{record.partition}"


def _identifier(item: Any, keys: Mapping[str, Partition], offsets: set[tuple[Partition, int]]) -> tuple[Partition, int]:
    identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
    if not isinstance(identifier, dict):
        raise MalformedResponseError(f"batchItemFailures entry {item!r} has no itemIdentifier object")
    name, offset = identifier.get("partition"), identifier.get("offset")
    if not isinstance(name, str) or name not in keys:
        raise MalformedResponseError(f"itemIdentifier.partition {name!r} is not a '<topic>-<partition>' of this batch")
    if isinstance(offset, bool) or not isinstance(offset, int) or (keys[name], offset) not in offsets:
        raise MalformedResponseError(f"itemIdentifier.offset {offset!r} is not a record of {name} in this batch")
    return keys[name], offset


def reported_failures(response: Any, records: Sequence[RecordData]) -> dict[Partition, int]:
    """Partition -> lowest reported offset, from a ``{"batchItemFailures": [...]}`` response."""
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if failures is None:
        return {}
    if not isinstance(failures, list):
        raise MalformedResponseError(f"batchItemFailures is a {type(failures).__name__}, not a list")
    keys = {partition_key(r): (r.topic, r.partition) for r in records}
    offsets = {((r.topic, r.partition), r.offset) for r in records}
    lowest: dict[Partition, int] = {}
    for item in failures:
        partition, offset = _identifier(item, keys, offsets)
        lowest[partition] = min(offset, lowest.get(partition, offset))
    return lowest


def outcome_of(response: Any, error: str | None, records: Sequence[RecordData], policy: RetryPolicy) -> Outcome:
    if error is not None or not policy.report_item_failures:
        return Outcome(error=error)
    try:
        return Outcome(retry_from=reported_failures(response, records))
    except MalformedResponseError as exc:
        return Outcome(error=f"malformed partial batch response: {exc}")


def backoff_s(retry: int) -> float:
    return min(0.1 * 2.0 ** min(retry - 1, 10), 2.0)  # the exponent is capped: infinite retries count far


def retry_or_give_up(
    records: tuple[RecordData, ...], retries: int, error: str, policy: RetryPolicy, now: float
) -> WorkItem:
    if policy.max_retries is not None and retries >= policy.max_retries:
        return WorkItem(records, retries, failure=Failure(RETRY_ATTEMPTS_EXHAUSTED, error, retries + 1))
    return WorkItem(records, retries + 1, not_before=now + backoff_s(retries + 1))


def next_work(item: WorkItem, outcome: Outcome, policy: RetryPolicy, now: float) -> tuple[WorkItem, ...]:
    """What to do, in order, in place of ``item`` after invoking it."""
    if outcome.ok:
        return ()
    if outcome.retry_from:
        remaining = tuple(
            r for r in item.records if r.offset >= outcome.retry_from.get((r.topic, r.partition), r.offset + 1)
        )
        error = f"the function reported {len(outcome.retry_from)} partition(s) failed (ReportBatchItemFailures)"
        return (retry_or_give_up(remaining, item.retries, error, policy, now),)
    error = outcome.error or "function error"
    if policy.bisect and len(item.records) > 1:
        middle = len(item.records) // 2
        return (replace(item, records=item.records[:middle]), replace(item, records=item.records[middle:]))
    return (retry_or_give_up(item.records, item.retries, error, policy, now),)


def split_expired(item: WorkItem, now_ms: int, policy: RetryPolicy) -> tuple[WorkItem | None, WorkItem | None]:
    """(what may still be sent, what is too old to send) by MaximumRecordAgeInSeconds."""
    if policy.max_record_age_s is None or item.failure is not None:
        return item, None
    limit_ms = policy.max_record_age_s * 1000
    old = tuple(r for r in item.records if now_ms - r.timestamp_ms > limit_ms)
    if not old:
        return item, None
    fresh = tuple(r for r in item.records if now_ms - r.timestamp_ms <= limit_ms)
    failure = Failure(RECORD_AGE_EXCEEDED, f"older than {policy.max_record_age_s}s", item.retries)
    return (replace(item, records=fresh) if fresh else None), WorkItem(old, item.retries, failure=failure)


def committable(batch: Sequence[RecordData], work: Sequence[WorkItem], done: set[Partition]) -> dict[Partition, int]:
    """Partitions of ``batch`` with nothing left in ``work`` (and not yet in ``done``): their next offset."""
    pending = {(r.topic, r.partition) for item in work for r in item.records}
    out: dict[Partition, int] = {}
    for record in batch:
        partition = (record.topic, record.partition)
        if partition not in pending and partition not in done:
            out[partition] = max(out.get(partition, 0), record.offset + 1)
    return out
