"""The soak's verdict on memory: growth after the warm-up, against an allowance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.chaos.soak import FLAT_ABSOLUTE_MB, flatness

pytestmark = pytest.mark.unit


def samples(sizes: Sequence[float], every_s: float = 10.0) -> list[dict[str, Any]]:
    return [{"t": i * every_s, "memory": {"api": size}} for i, size in enumerate(sizes)]


def test_growth_during_the_warm_up_does_not_count() -> None:
    verdict = flatness(samples([50, 80, 120] + [150] * 30), "api", warmup_s=30)
    assert verdict["growth_mb"] == 0
    assert verdict["flat"]


def test_steady_growth_after_the_warm_up_is_a_leak() -> None:
    verdict = flatness(samples([100 + i for i in range(60)]), "api", warmup_s=60)
    assert verdict["growth_mb"] > FLAT_ABSOLUTE_MB
    assert not verdict["flat"]


def test_a_large_process_is_allowed_a_share_of_its_size() -> None:
    verdict = flatness(samples([1000] * 10 + [1040] * 10), "api", warmup_s=0)
    assert verdict["allowed_mb"] == 50
    assert verdict["flat"]
