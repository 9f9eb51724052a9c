"""`make soak`: ten minutes at a fixed rate on a stack of its own; memory of every process, and lag.

    .venv/bin/python -m tests.chaos.soak [--minutes 10] [--single-rate 100] [--batch-rate 200]

Every SAMPLE_S it records each service's memory, the proportional set size (Pss: shared pages split
between the processes sharing them) summed over the service's process tree (the API's gateway and its
workers; Postgres's postmaster and backends), and the aggregator's lag from Kafka and the Postgres fences.
Two are judged on what a leak would grow: Postgres without its shared memory (the shared-buffer cache
fills up to shared_buffers as data is read), and Kafka by its live heap: the heap left after each of
G1's marking cycles and the mixed collections that follow it, from the broker's GC log (between cycles
the heap climbs by design, and the process grows toward -Xmx); their whole sizes are reported too.
After the load stops it measures how long the lag takes to return to zero, and audits the ledgers
(nothing lost or counted twice).

Flat memory: after the warm-up (the first WARMUP_SHARE of the run: caches, pools, JIT and heap sizing),
a service's growth from the median of the first post-warm-up minute to the median of the last minute
(Kafka: from the first post-warm-up cycle to the last) must stay under FLAT_ABSOLUTE_MB or FLAT_RELATIVE
of its size, whichever is larger. Results go to tests/chaos/soak-results.md and .json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from customersignal.adapters.pipeline_status import offset_fences, partition_lags
from customersignal.settings import PlatformSettings
from tests.chaos.run import new_tenant, start_load, stop_loads, verify
from tests.chaos.stack import ROOT, ChaosStack

SAMPLE_S = 10.0
WARMUP_SHARE = 0.2
FLAT_ABSOLUTE_MB = 10.0
FLAT_RELATIVE = 0.05
SERVICES = ("api", "esm", "kafka", "postgres", "redis", "aws")


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def rollup_mb(pid: int) -> dict[str, float]:
    """Pss and its shared-memory part (Pss_Shmem), in MB; empty for a process that is gone."""
    found: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in {"Pss", "Pss_Shmem"}:
                found[name] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return found


GC_PAUSE = re.compile(r"^\[([^\]]+)\]\[[\d.]+s\] GC\(\d+\) Pause (.*?) \d+M->(\d+)M\(")


def kafka_live_heaps(gc_log: Path) -> list[tuple[datetime, float]]:
    """(when, MB) at the end of each of G1's mixed-collection series, i.e. after a complete marking cycle:
    what the broker still references. Between cycles the heap after a young collection climbs by design
    (old regions are only reclaimed by the mixed collections that follow a marking cycle)."""
    ends: list[tuple[datetime, float]] = []
    last_mixed: tuple[datetime, float] | None = None
    for line in gc_log.read_text(errors="replace").splitlines() if gc_log.exists() else []:
        pause = GC_PAUSE.match(line)
        if pause is None:
            continue
        if "Mixed" in pause.group(2) and "Prepare" not in pause.group(2):
            last_mixed = (datetime.strptime(pause.group(1), "%Y-%m-%dT%H:%M:%S.%f%z"), float(pause.group(3)))
        elif last_mixed is not None:  # the series ended: a normal young pause follows it
            ends.append(last_mixed)
            last_mixed = None
    return ends


def kafka_flatness(gc_log: Path, warm_from: datetime) -> dict[str, Any]:
    cycles = [mb for when, mb in kafka_live_heaps(gc_log) if when >= warm_from]
    if len(cycles) < 2:
        return {
            "start_mb": 0.0,
            "end_mb": 0.0,
            "growth_mb": 0.0,
            "allowed_mb": 0.0,
            "flat": False,
            "cycles": len(cycles),
        }
    allowed = max(FLAT_ABSOLUTE_MB, FLAT_RELATIVE * cycles[0])
    growth = cycles[-1] - cycles[0]
    return {"start_mb": cycles[0], "end_mb": cycles[-1], "growth_mb": round(growth, 1),
            "allowed_mb": round(allowed, 1), "flat": growth <= allowed, "cycles": len(cycles)}  # fmt: skip


def memory(stack: ChaosStack) -> tuple[dict[str, float], dict[str, float]]:
    """(judged, informational) MB per service. Judged: the Pss of the service's process tree, except
    Postgres without its shared memory (the shared-buffer cache fills up to shared_buffers as data is
    read: bounded by configuration, not a leak) and Kafka's live heap; informational: those two left out."""
    judged, info = {}, {}
    for service in SERVICES:
        pid_file = stack.state_dir / "run" / f"{service}.pid"
        if not pid_file.exists():
            continue
        rollups = [rollup_mb(pid) for pid in process_tree(int(pid_file.read_text()))]
        pss, shared = sum(r.get("Pss", 0) for r in rollups), sum(r.get("Pss_Shmem", 0) for r in rollups)
        judged[service] = round(pss - shared if service == "postgres" else pss, 1)
        if service == "postgres":
            info["postgres shared memory (Pss_Shmem)"] = round(shared, 1)
        if service == "kafka":  # judged by its live heap after the run (kafka_flatness)
            info["kafka process (Pss)"] = round(pss, 1)
            del judged[service]
    return judged, info


def total_lag(stack: ChaosStack, settings: PlatformSettings) -> int:
    db = stack.postgres()
    try:
        fences = offset_fences(db, settings.aggregator_consumer_group, settings.kafka_events_topic)
    finally:
        db.close()
    kafka = {"bootstrap.servers": stack.env["CS_KAFKA_BOOTSTRAP"], "log_level": 3}
    lags = partition_lags(kafka, settings.kafka_events_topic, settings.aggregator_consumer_group, fences)
    return sum(x.lag for x in lags)


def flatness(samples: list[dict[str, Any]], service: str, warmup_s: float, key: str = "memory") -> dict[str, Any]:
    after = [s for s in samples if s["t"] >= warmup_s and service in s[key]]
    first = [s[key][service] for s in after if s["t"] < warmup_s + 60]
    last = [s[key][service] for s in after if s["t"] >= after[-1]["t"] - 60]
    start, end = statistics.median(first), statistics.median(last)
    allowed = max(FLAT_ABSOLUTE_MB, FLAT_RELATIVE * start)
    return {"start_mb": start, "end_mb": end, "growth_mb": round(end - start, 1), "allowed_mb": round(allowed, 1),
            "flat": end - start <= allowed}  # fmt: skip


def soak(minutes: float, single_rate: float, batch_rate: float, state_dir: Path, results: Path) -> bool:
    stack = ChaosStack(state_dir)
    settings = PlatformSettings()  # only the topic and consumer group names: the stack has its own ports
    print(f"soak: {minutes:g} min at {single_rate + batch_rate:g} events/s on a stack of its own", flush=True)
    stack.start()
    loads = {}
    samples: list[dict[str, Any]] = []
    try:
        _, _, key = new_tenant(stack, "chaos")
        loads = {
            "single": start_load(stack, "single", key, single_rate, 1, 1),
            "batched": start_load(stack, "batched", key, batch_rate, 20, 2),
        }
        started, started_at = time.monotonic(), datetime.now(UTC)
        while (elapsed := time.monotonic() - started) < minutes * 60:
            judged, info = memory(stack)
            samples.append({"t": round(elapsed, 1), "memory": judged, "info": info, "lag": total_lag(stack, settings)})
            print(f"soak: {elapsed:5.0f}s {samples[-1]}", flush=True)
            time.sleep(max(0.0, SAMPLE_S - (time.monotonic() - started - elapsed)))
        exits = stop_loads(loads)
        stopped = time.monotonic()
        while total_lag(stack, settings) > 0 and time.monotonic() - stopped < 300:
            time.sleep(0.5)
        drained_s, final_lag = time.monotonic() - stopped, total_lag(stack, settings)
        audit = verify(stack, [state_dir / "logs" / f"{name}.ledger" for name in loads])
        summaries = {name: json.loads((state_dir / "logs" / f"{name}.json").read_text()) for name in loads}
    finally:
        for process in loads.values():
            if process.poll() is None:
                process.kill()
        stack.stop(keep_state=True)
    warmup_s = minutes * 60 * WARMUP_SHARE
    flat = {service: flatness(samples, service, warmup_s) for service in SERVICES if service in samples[-1]["memory"]}
    gc_log = state_dir / "logs" / "kafka" / "gc.log"
    flat["kafka"] = kafka_flatness(gc_log, started_at + timedelta(seconds=warmup_s))
    not_judged = {name: flatness(samples, name, warmup_s, key="info") for name in samples[-1]["info"]}
    passed = all(f["flat"] for f in flat.values()) and final_lag == 0 and bool(audit.get("passed"))
    passed = passed and all(code == 130 for code in exits.values())
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "minutes": minutes,
        "rate_events_per_s": single_rate + batch_rate,
        "passed": passed,
        "memory": flat,
        "memory_not_judged": not_judged,
        "max_lag": max(s["lag"] for s in samples),
        "lag_drained_s": round(drained_s, 1),
        "final_lag": final_lag,
        "audit": audit,
        "load": summaries,
        "samples": samples,
    }
    results.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
    results.with_suffix(".md").write_text(markdown(document) + "\n")
    print(markdown(document), flush=True)
    return passed


def markdown(doc: dict[str, Any]) -> str:
    a = doc["audit"]
    lines = [
        f"# Soak results ({doc['measured_at']})",
        "",
        f"**{'PASSED' if doc['passed'] else 'FAILED'}**: {doc['minutes']:g} minutes at "
        f"{doc['rate_events_per_s']:g} events/s (a third single-event requests, the rest in batches of 20).",
        "",
        f"Lag: at most {doc['max_lag']:,} records during the run; back to {doc['final_lag']} "
        f"{doc['lag_drained_s']:.1f} s after the load stopped.",
        f"Audit: {a.get('acknowledged', 0):,} acknowledged, {a.get('stored', 0):,} stored, "
        f"{a.get('counted', 0):,} counted, {a.get('lost', 0)} lost, {a.get('double_counted', 0)} double-counted.",
        "",
        f"Memory (Pss of each service's process tree, MB; medians of the first minute after the "
        f"{WARMUP_SHARE:.0%} warm-up and of the last minute):",
        "",
        "| service | start | end | growth | allowed | flat? |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for service, f in doc["memory"].items():
        lines.append(
            f"| {_judged_as(service, f)} | {f['start_mb']:.1f} | {f['end_mb']:.1f} | {f['growth_mb']:+.1f} "
            f"| {f['allowed_mb']:.1f} | {'yes' if f['flat'] else 'NO'} |"
        )
    for name, f in doc["memory_not_judged"].items():
        lines.append(f"| {name} | {f['start_mb']:.1f} | {f['end_mb']:.1f} | {f['growth_mb']:+.1f} | | not judged |")
    return "\n".join(lines)


def _judged_as(service: str, verdict: dict[str, Any]) -> str:
    if service == "kafka":
        return f"kafka: live heap after each marking cycle ({verdict.get('cycles', 0)} cycles)"
    return "postgres: without shared memory" if service == "postgres" else service


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--single-rate", type=float, default=100.0, help="events/s, one per request")
    parser.add_argument("--batch-rate", type=float, default=200.0, help="events/s, 20 per request")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".state" / "soak")
    parser.add_argument("--results", type=Path, default=ROOT / "tests" / "chaos" / "soak-results")
    args = parser.parse_args(argv)
    passed = soak(args.minutes, args.single_rate, args.batch_rate, args.state_dir, args.results)
    print("soak: PASSED" if passed else "soak: FAILED", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
