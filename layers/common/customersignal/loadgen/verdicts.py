"""What an answer from ``POST /v1/events`` means for each event of the request, and what to do next.

- 200 (or 207-like partial answers in a 200): each event's own verdict, final;
- 400 / 413 / 422: the whole request was refused, final: every event is rejected with the error's code;
- 401 / 403: the key is wrong: the run cannot go on (``Fatal``);
- 429, 5xx, or no answer at all: retry the same request (the same event ids) after Retry-After, or
  after a backoff when there is none. A request that got no answer may have been accepted: the retry
  is exactly what dedup by event id is for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Outcome = Literal["accepted", "rejected"]
FINAL_REFUSALS = frozenset({400, 413, 415, 422})
MAX_BACKOFF_S = 5.0


@dataclass(frozen=True, slots=True)
class Answered:
    """Final: one outcome per event, in request order, with the rejection code when rejected."""

    outcomes: list[tuple[Outcome, str | None]]


@dataclass(frozen=True, slots=True)
class Retry:
    reason: str  # throttled | unavailable | server_error | no_answer
    after_s: float


@dataclass(frozen=True, slots=True)
class Fatal:
    message: str


Verdict = Answered | Retry | Fatal


def judge(status: int | None, headers: Mapping[str, str], body: Any, events: int, attempt: int) -> Verdict:
    """``status`` None means no answer (connection refused, reset or timed out)."""
    if status is None:
        return Retry("no_answer", backoff(attempt))
    if status == 200 and isinstance(body, dict) and isinstance(body.get("results"), list):
        results = body["results"]
        if len(results) != events:
            return Fatal(f"the API answered {len(results)} results for {events} events")
        return Answered([_event_outcome(r) for r in results])
    if status in FINAL_REFUSALS:
        return Answered([("rejected", _error_code(body))] * events)
    if status in {401, 403}:
        return Fatal(f"the API refused the key ({status} {_error_code(body)}): check --key and its ingest scope")
    if status == 429:
        return Retry("throttled", retry_after(headers, attempt))
    if status >= 500:
        return Retry("unavailable" if status == 503 else "server_error", retry_after(headers, attempt))
    return Fatal(f"unexpected answer {status}: {str(body)[:200]}")


def _event_outcome(result: Any) -> tuple[Outcome, str | None]:
    if isinstance(result, dict) and result.get("status") == "accepted":
        return "accepted", None
    code = result.get("code") if isinstance(result, dict) else None
    return "rejected", str(code or "rejected")


def _error_code(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code", "error"))
    return "error"


def retry_after(headers: Mapping[str, str], attempt: int) -> float:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, min(float(value), 60.0)) if value is not None else backoff(attempt)
    except ValueError:
        return backoff(attempt)


def backoff(attempt: int) -> float:
    """Exponential from 0.1 s, capped: a broker restart takes seconds, not minutes."""
    return float(min(MAX_BACKOFF_S, 0.1 * 2 ** max(0, attempt - 1)))
