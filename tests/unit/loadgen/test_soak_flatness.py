"""The soak's verdict on memory: growth after the warm-up, against an allowance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.soak import FLAT_ABSOLUTE_MB, flatness, kafka_flatness, kafka_live_heaps

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


GC_LOG = """\
[2026-11-27T21:35:09.000+0000][155.5s] GC(80) Pause Young (Normal) (G1 Evacuation Pause) 150M->110M(256M) 3.1ms
[2026-11-27T21:35:09.916+0000][155.5s] GC(81) Pause Young (Concurrent Start) (G1 Evacuation Pause) 153M->116M(256M) 4ms
[2026-11-27T21:35:10.135+0000][155.7s] GC(82) Concurrent Mark Cycle 219.443ms
[2026-11-27T21:35:11.185+0000][156.7s] GC(83) Pause Young (Prepare Mixed) (G1 Evacuation Pause) 116M->108M(256M) 2ms
[2026-11-27T21:35:12.868+0000][158.4s] GC(84) Pause Young (Mixed) (G1 Evacuation Pause) 119M->105M(256M) 5ms
[2026-11-27T21:35:22.765+0000][168.3s] GC(85) Pause Young (Mixed) (G1 Evacuation Pause) 98M->88M(256M) 5ms
[2026-11-27T21:35:30.000+0000][175.0s] GC(86) Pause Young (Normal) (G1 Evacuation Pause) 120M->95M(256M) 3ms
[2026-11-27T21:37:11.656+0000][277.2s] GC(90) Pause Young (Mixed) (G1 Evacuation Pause) 98M->86M(256M) 5ms
[2026-11-27T21:37:20.000+0000][290.0s] GC(91) Pause Young (Normal) (G1 Evacuation Pause) 130M->99M(256M) 3ms
[2026-11-27T21:38:56.266+0000][381.8s] GC(99) Pause Young (Mixed) (G1 Evacuation Pause) 97M->86M(256M) 5ms
"""


def test_kafkas_live_heap_is_the_heap_left_when_each_mixed_series_ends(tmp_path: Path) -> None:
    log = tmp_path / "gc.log"
    log.write_text(GC_LOG)
    # the last series has not ended (no young pause after it yet): not counted
    assert [mb for _, mb in kafka_live_heaps(log)] == [88.0, 86.0]
    assert kafka_flatness(log, datetime(2026, 11, 27, 21, 0, tzinfo=UTC))["flat"]


def test_kafka_is_not_judged_flat_on_fewer_than_two_cycles(tmp_path: Path) -> None:
    log = tmp_path / "gc.log"
    log.write_text(GC_LOG)
    verdict = kafka_flatness(log, datetime(2026, 11, 27, 21, 36, tzinfo=UTC))
    assert verdict["cycles"] == 1
    assert not verdict["flat"]
