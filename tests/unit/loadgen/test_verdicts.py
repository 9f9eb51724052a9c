"""What each answer of POST /v1/events means for the load generator's events."""

from __future__ import annotations

import pytest

from customersignal.loadgen.verdicts import MAX_BACKOFF_S, Answered, Fatal, Retry, backoff, judge

pytestmark = pytest.mark.unit


def test_a_200_gives_each_event_its_own_verdict_in_order() -> None:
    body = {"results": [{"status": "accepted"}, {"status": "rejected", "code": "invalid_value"}]}
    assert judge(200, {}, body, events=2, attempt=1) == Answered([("accepted", None), ("rejected", "invalid_value")])


def test_a_200_with_the_wrong_number_of_results_stops_the_run() -> None:
    assert isinstance(judge(200, {}, {"results": [{"status": "accepted"}]}, events=2, attempt=1), Fatal)


@pytest.mark.parametrize("status", [400, 413, 415, 422])
def test_a_refused_request_rejects_every_event_with_the_error_code(status: int) -> None:
    body = {"error": {"code": "too_many_events"}}
    assert judge(status, {}, body, events=3, attempt=1) == Answered([("rejected", "too_many_events")] * 3)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_stops_the_run_and_says_what_to_check(status: int) -> None:
    verdict = judge(status, {}, {"error": {"code": "unknown_key"}}, events=1, attempt=1)
    assert isinstance(verdict, Fatal)
    assert "--key" in verdict.message


@pytest.mark.parametrize(
    ("status", "reason"), [(429, "throttled"), (503, "unavailable"), (500, "server_error"), (None, "no_answer")]
)
def test_throttling_outages_and_silence_are_retried(status: int | None, reason: str) -> None:
    verdict = judge(status, {}, None, events=1, attempt=1)
    assert isinstance(verdict, Retry)
    assert verdict.reason == reason


def test_retry_after_is_honoured_whatever_its_case() -> None:
    assert judge(503, {"retry-after": "5"}, None, events=1, attempt=1) == Retry("unavailable", 5.0)
    assert judge(429, {"Retry-After": "2"}, None, events=1, attempt=1) == Retry("throttled", 2.0)


def test_an_unreadable_retry_after_falls_back_to_the_backoff() -> None:
    assert judge(503, {"Retry-After": "soon"}, None, events=1, attempt=3) == Retry("unavailable", backoff(3))


def test_the_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [0.1, 0.2, 0.4]
    assert backoff(30) == MAX_BACKOFF_S
