"""bench/freshness_bench.py's output: figures (idle and under load, each beside the same-run Kafka transit),
bench/freshness-results.md and bench/freshness-results.json."""

from __future__ import annotations

import os
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_results import Figure, Run

ROOT = Path(__file__).resolve().parents[1]
WARMUP = 5  # probes that warm the path up (imports, connections, group join), not counted
GOALS = "p50 < 1 s, p99 < 250 ms"
FELL_BEHIND = (
    "the pipeline fell behind the load: a probe was not counted within the timeout, so sampling under load"
    " stopped there and its freshness figures are lower bounds"
)
CAPACITY_FIGURE = "aggregator events/s, one stream [realistic]"  # aggregator_report's name for it


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p99 (the value below which 99 % of the samples lie) and max, in seconds."""
    ordered = sorted(samples)
    return {
        "p50_s": statistics.median(ordered),
        "p99_s": ordered[max(0, int(len(ordered) * 0.99) - 1)],
        "max_s": ordered[-1],
    }


def capacity_from(document: dict[str, Any], now: datetime) -> tuple[float, str]:
    """The aggregator's one-stream events/s on the realistic set, from aggregator_bench's results, and
    when it was measured; ValueError if the document lacks it or is older than a day (another run's)."""
    measured_at = datetime.fromisoformat(str(document.get("measured_at")))
    if now - measured_at > timedelta(days=1):
        raise ValueError(f"bench/aggregator-results.json is from {measured_at:%Y-%m-%d %H:%M}, not this run")
    for figure in document.get("figures", []):
        if figure.get("name") == CAPACITY_FIGURE and isinstance(figure.get("value"), int | float):
            return float(figure["value"]), f"{measured_at:%Y-%m-%d %H:%M} UTC"
    raise ValueError(f"bench/aggregator-results.json has no figure {CAPACITY_FIGURE!r}")


def figures(measured: dict[str, Any], source: str) -> list[Figure]:
    transit = "Kafka transit, produce -> consume"
    goals = {"p50": "< 1 s", "p99": "< 250 ms", "max": ""}
    out = []
    for state, label in (("idle", "idle"), ("loaded", "under load")):
        fresh, kafka = percentiles(measured[state]["freshness"]), percentiles(measured[state]["kafka"])
        out += [
            Figure(f"freshness {q}, POST -> count in Redis, {label}", fresh[f"{q}_s"] * 1000, "ms",
                   f"{transit}, {q}, {label}", kafka[f"{q}_s"] * 1000, goals[q])
            for q in ("p50", "p99", "max")
        ]  # fmt: skip
    load = measured["load"]
    out.append(Figure("background load accepted by the API", load["achieved_events_per_s"], "events/s",
                      f"asked: {source}", load["asked_events_per_s"], ">= 0.9 x baseline"))  # fmt: skip
    out.append(Figure("events counted by the aggregator during the loaded probes", load["counted_events_per_s"],
                      "events/s", "background load accepted by the API", load["achieved_events_per_s"],
                      ">= 0.9 x baseline", FELL_BEHIND if load["fell_behind"] else ""))  # fmt: skip
    return out


def write_results(run: Run, measured: dict[str, Any], source: str, samples: int) -> None:
    load = measured["load"]
    rows = []
    for state, label in (("idle", "idle"), ("loaded", "under load")):
        fresh, kafka = percentiles(measured[state]["freshness"]), percentiles(measured[state]["kafka"])
        ms = {name: [f"{v[q] * 1000:,.1f} ms" for q in ("p50_s", "p99_s", "max_s")] for name, v in
              (("fresh", fresh), ("kafka", kafka))}  # fmt: skip
        rows += [
            f"| freshness, {label}: POST -> count visible in Redis | {' | '.join(ms['fresh'])} | {GOALS} |",
            f"| baseline, {label}: Kafka transit, produce -> consume | {' | '.join(ms['kafka'])} | |",
        ]
    lines = [
        f"# Freshness benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores, shared by this client, the API (local gateway), the local"
        " event-source mapping with the aggregator, Kafka, Postgres and Redis. Load average at the start"
        f" {run.load_at_start}. {samples} sequential probe events idle (after {WARMUP} warm-ups), then {samples}"
        f" more under a background load; each probe is followed by one Kafka transit probe (interleaved, so drift"
        " and load hit both alike).",
        "",
        (
            f"Capacity, measured first in this run: the whole local pipeline counted"
            f" **{load['pipeline_capacity_events_per_s']:,.0f} events/s** with the load's senders sending without"
            " pause (after a settling period, over a 15 s window), and the backlog was drained before the probes."
            if load.get("pipeline_capacity_events_per_s")
            else "Capacity: not measured in this run."
        ),
        "",
        f"Background load: {load['asked_events_per_s']:,.0f} events/s asked ({source}); the API accepted"
        f" **{load['achieved_events_per_s']:,.0f} events/s** while the loaded probes ran ({load['requests']:,}"
        f" requests of {load['batch']} events, {load['failed_requests']} failed), over {load['tenants']} tenants"
        " (the probe's among them, so the probes share a partition with the load) by Zipf weight. It goes"
        " through the same path as the probes: API, Kafka, the mapping, the aggregator, Redis. Meanwhile the"
        f" aggregator counted **{load['counted_events_per_s']:,.0f} events/s** (dedup claims in Postgres)."
        + (
            f" **{FELL_BEHIND[0].upper()}{FELL_BEHIND[1:]}**, after {len(measured['loaded']['freshness'])} probes."
            if load["fell_behind"]
            else ""
        ),
        "",
        "| figure | p50 | p99 | max | goal |",
        "|---|---:|---:|---:|---|",
        *rows,
        "",
        "Freshness covers the POST (authentication, validation, the acknowledged produce), the mapping's"
        " fetch and invocation (batching window 0 s, as template.yaml sets it; one invocation at a time, so"
        " under load a probe waits for the batch in flight and then rides in the next one), the aggregator's"
        " Postgres transaction and the Redis merge, and this client's 2 ms polling of Redis. The baseline is one"
        " message through the same broker with the API's producer settings and the mapping's consumer settings,"
        " timed from `produce()` to `poll()` returning it, on a topic of its own: the part of freshness that"
        " Kafka itself takes.",
        "",
    ]
    text = "\n".join(lines)
    print("\n" + text)
    (ROOT / "bench" / "freshness-results.md").write_text(text)
    details: dict[str, Any] = {
        "samples_s": {s: measured[s] for s in ("idle", "loaded")},
        "load": load,
        "load_source": source,
    }
    for state in ("idle", "loaded"):
        details[state] = {"freshness": percentiles(measured[state]["freshness"])}
        details[state]["kafka_transit"] = percentiles(measured[state]["kafka"])
    run.write(figures(measured, source), details)
