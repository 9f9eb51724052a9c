"""Funnels: who did step 1, then step 2, ... within a window of entering. Pure: parsing and the answer's shape.

Semantics (docs/insights.md, Funnels): people, not events, are counted; a person is
``COALESCE(user_id, person_aliases.user_id, 'anon-' || anonymous_id)``, so anonymous events linked to a user
later count as that user. A person enters at their first step-1 event in [start, end); each next step is
their earliest event of that type (with its filters) strictly after the previous step and at most
``window`` after entering. The store computes per group the counts and medians; this module turns them
into conversions and labels.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson
from pydantic import BaseModel, ConfigDict

from customersignal.domain.errors import DomainError, Unprocessable
from customersignal.domain.property_filters import (
    MAX_FILTER_JSON_CHARS,
    MAX_FILTERS,
    MAX_PROPERTY_CHARS,
    PropertyFilter,
    parse_filters,
)
from customersignal.domain.query_params import QueryParams

MIN_STEPS, MAX_STEPS = 2, 5
MIN_WINDOW_S, MAX_WINDOW_S, DEFAULT_WINDOW_S = 60, 90 * 86_400, 7 * 86_400
DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=400)
MAX_BREAKDOWN_VALUES, DEFAULT_BREAKDOWN_VALUES = 25, 10
MAX_TYPE_CHARS = 128
# a type and 5 filters, each as long as the shared parser takes one in a query string
MAX_STEP_CHARS = 1024 + MAX_FILTERS * MAX_FILTER_JSON_CHARS
OTHER = "$other"


@dataclass(frozen=True)
class FunnelStep:
    event_type: str
    filters: tuple[PropertyFilter, ...] = ()


@dataclass(frozen=True)
class FunnelQuery:
    steps: tuple[FunnelStep, ...]
    start: datetime
    end: datetime
    window_seconds: int = DEFAULT_WINDOW_S
    breakdown: str | None = None
    limit: int = DEFAULT_BREAKDOWN_VALUES


@dataclass(frozen=True)
class GroupCounts:
    """One group's raw answer: people per step, and the median seconds from each step to the next."""

    key: Any  # the breakdown value (decoded JSON; None when unset); ignored for the total
    is_other: bool
    counts: tuple[int, ...]
    medians: tuple[float | None, ...]  # one per step; the first is None


class FunnelReader(Protocol):
    def funnel(self, tenant_id: uuid.UUID, query: FunnelQuery) -> tuple[GroupCounts, list[GroupCounts]]:
        """The total and, when the query has a breakdown, its top values (by entries) then the rest."""
        ...


class StepResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str
    filters: list[dict[str, Any]]
    count: int
    conversion_from_first: float | None
    conversion_from_previous: float | None
    median_seconds_from_previous: float | None


class BreakdownResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    key: Any
    label: str
    steps: list[StepResult]


class FunnelResponse(BaseModel):
    model_config = ConfigDict(frozen=True)
    start: datetime
    end: datetime
    window_seconds: int
    breakdown: str | None
    steps: list[StepResult]
    breakdowns: list[BreakdownResult]


def parse_funnel_query(params: QueryParams, raw_steps: Sequence[str], now: datetime) -> FunnelQuery:
    """Every refusal is a 422 naming the parameter (``step[1].filters[0].op``, ``window``, ...)."""
    try:
        end = params.timestamp("end") or now
        start = params.timestamp("start") or end - DEFAULT_RANGE
        window = params.integer("window", default=DEFAULT_WINDOW_S, minimum=MIN_WINDOW_S, maximum=MAX_WINDOW_S)
        limit = params.integer("limit", default=DEFAULT_BREAKDOWN_VALUES, minimum=1, maximum=MAX_BREAKDOWN_VALUES)
        breakdown = params.text("breakdown", max_length=MAX_PROPERTY_CHARS)
    except DomainError as error:  # the shared getters answer 400; the insights contract says 422
        raise Unprocessable(error.code, error.message, error.field) from None
    if end <= start:
        raise Unprocessable("invalid_end", "'end' must be after 'start'", "end")
    if end - start > MAX_RANGE:
        raise Unprocessable("invalid_start", f"the range may span at most {MAX_RANGE.days} days", "start")
    if not MIN_STEPS <= len(raw_steps) <= MAX_STEPS:
        raise Unprocessable(
            "invalid_step", f"a funnel has {MIN_STEPS} to {MAX_STEPS} 'step' parameters (got {len(raw_steps)})", "step"
        )
    steps = tuple(parse_step(raw, f"step[{index}]") for index, raw in enumerate(raw_steps))
    return FunnelQuery(steps, start, end, window, breakdown, limit)


def parse_step(raw: str, field: str) -> FunnelStep:
    if len(raw) > MAX_STEP_CHARS:
        raise Unprocessable("invalid_step", f"'{field}' is longer than {MAX_STEP_CHARS} characters", field)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise Unprocessable("invalid_step", f'\'{field}\' must be a JSON object such as {{"type": "signup"}}', field)
    unknown = sorted(set(body) - {"type", "filters"})
    if unknown:
        raise Unprocessable("invalid_step", f"'{field}.{unknown[0]}' is not a step field (type, filters)", field)
    event_type = body.get("type")
    if not isinstance(event_type, str) or not 1 <= len(event_type) <= MAX_TYPE_CHARS or "\x00" in event_type:
        raise Unprocessable(
            "invalid_step", f"'{field}.type' must be an event type of 1 to {MAX_TYPE_CHARS} characters", f"{field}.type"
        )
    return FunnelStep(event_type, parse_filters(body.get("filters"), f"{field}.filters"))


def funnel(tenant_id: uuid.UUID, query: FunnelQuery, reader: FunnelReader) -> FunnelResponse:
    total, groups = reader.funnel(tenant_id, query)
    return FunnelResponse(
        start=query.start,
        end=query.end,
        window_seconds=query.window_seconds,
        breakdown=query.breakdown,
        steps=step_results(query.steps, total),
        breakdowns=[
            BreakdownResult(
                key=OTHER if group.is_other else group.key,
                label=label_for(group),
                steps=step_results(query.steps, group),
            )
            for group in groups
        ],
    )


def step_results(steps: Sequence[FunnelStep], group: GroupCounts) -> list[StepResult]:
    first = group.counts[0]
    return [
        StepResult(
            type=step.event_type,
            filters=[f.to_json() for f in step.filters],
            count=count,
            conversion_from_first=ratio(count, first),
            conversion_from_previous=ratio(count, group.counts[index - 1]) if index else ratio(count, first),
            median_seconds_from_previous=group.medians[index] if index else None,
        )
        for index, (step, count) in enumerate(zip(steps, group.counts, strict=True))
    ]


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def label_for(group: GroupCounts) -> str:
    if group.is_other:
        return "Other"
    if group.key is None:
        return "(not set)"
    if isinstance(group.key, str):
        return group.key
    return orjson.dumps(group.key).decode()
