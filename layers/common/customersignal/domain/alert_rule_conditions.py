"""An alert rule's condition (threshold, change, absence, anomaly) as the API takes it and as the
``condition_kind`` and ``parameters`` columns of ``alert_rules`` store it. Pure; the rule around it is in
``domain/alert_rules.py``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

Direction = Literal["up", "down", "either"]
ConditionKind = Literal["threshold", "change", "absence", "anomaly"]


class ThresholdCondition(BaseModel):
    """Above: value > ``value``; below: value < ``value``. Strict, so "above 0" means "at least one".

    Any finite number: a sum, average, minimum or maximum of a property can be negative (refunds). What a
    count can never be is checked against the rule's metric (``threshold_refusal``), which this model has not.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["threshold"]
    operator: Literal["above", "below"]
    value: Annotated[float, Field(strict=True, allow_inf_nan=False)]


class ChangeCondition(BaseModel):
    """Against the previous window of the same length: a change of at least ``value`` (events or percent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["change"]
    direction: Direction
    mode: Literal["absolute", "percent"]
    value: Annotated[float, Field(gt=0, strict=True, allow_inf_nan=False)]

    @field_validator("value")
    @classmethod
    def _can_fire(cls, value: float, info: ValidationInfo) -> float:
        if info.data.get("mode") == "percent" and info.data.get("direction") == "down" and value > 100:
            raise PydanticCustomError(
                "invalid_value",
                "must be at most 100 for a percent drop: a window can fall by 100 % (to zero) at most (got {value})",
                {"value": value},
            )
        return value


class AbsenceCondition(BaseModel):
    """No event in the window: a count (or unique users) of exactly 0."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["absence"]


class AnomalyCondition(BaseModel):
    """Outside median +- sensitivity * spread of the same slot over the last ``weeks`` weeks.

    ``weeks`` starts at 2: one past week has no spread, so the band would be the floor alone (see
    ``domain/anomaly.py``). ``min_baseline``: a slot whose median is below it is too quiet to judge, and never
    breaches (so a 3 a.m. slot of 2 events does not page anyone for 9).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["anomaly"]
    weeks: Annotated[int, Field(ge=2, le=12, strict=True)] = 4
    sensitivity: Annotated[float, Field(ge=0.5, le=10, strict=True, allow_inf_nan=False)] = 3.0
    direction: Direction = "either"
    min_baseline: Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)] | None = None


AnyCondition = ThresholdCondition | ChangeCondition | AbsenceCondition | AnomalyCondition
Condition = Annotated[AnyCondition, Field(discriminator="kind")]
_CONDITION: TypeAdapter[AnyCondition] = TypeAdapter(Condition)
CONDITION_KINDS: tuple[ConditionKind, ...] = ("threshold", "change", "absence", "anomaly")
CONDITION_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "threshold": ("operator", "value"),
    "change": ("direction", "mode", "value"),
    "absence": (),
    "anomaly": ("weeks", "sensitivity", "direction", "min_baseline"),
}


# Metrics that count something: never below 0, so a threshold under 0 (or "below 0") could never fire.
COUNTED_METRICS = frozenset({"count", "unique_users"})


def threshold_refusal(metric: str, condition: AnyCondition) -> str | None:
    """Why a threshold can never fire for ``metric`` (the tail of a 400 naming ``condition.value``), or None.
    Only count and unique_users are bounded below: sum, avg, min and max of a property may be negative."""
    if not isinstance(condition, ThresholdCondition) or metric not in COUNTED_METRICS:
        return None
    if condition.value < 0:
        return (
            f"must be at least 0 with metric {metric}: {metric} is never below 0 (a negative threshold needs "
            f"sum, avg, min or max of a property) (got {condition.value:g})"
        )
    if condition.operator == "below" and condition.value == 0:
        return (
            f"must be above 0 for 'below' with metric {metric}: {metric} is never below 0 (to alert on no "
            "events, use an absence condition)"
        )
    return None


def condition_to_parameters(condition: AnyCondition) -> tuple[ConditionKind, dict[str, Any]]:
    """The ``condition_kind`` and ``parameters`` (a JSON object) columns of a condition."""
    return condition.kind, condition.model_dump(mode="json", exclude={"kind"})


def condition_from_row(kind: str, parameters: Mapping[str, Any]) -> AnyCondition:
    """The condition stored as (``condition_kind``, ``parameters``). A row that no longer validates (edited by
    hand, or written by a newer version) raises ``ValueError``: the evaluator skips and logs that rule rather
    than guess."""
    try:
        return _CONDITION.validate_python({**parameters, "kind": kind})
    except ValidationError as exc:
        raise ValueError(f"alert rule parameters do not match condition_kind {kind!r}: {exc}") from None
