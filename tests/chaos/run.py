"""`make chaos`: the whole system under steady load while faults hit it; passes only when nothing
acknowledged is lost and nothing is counted twice.

    .venv/bin/python -m tests.chaos.run [--profile full|quick] [--results tests/chaos/results]

It starts a copy of the local stack of its own (tests/chaos/stack.py), creates a tenant, and runs two
bounded load generators against it (`customersignal loadgen run`: single events, and batches of 20; both
resend 5 % of what was acknowledged, as a client retrying after a lost answer does, and send 1 % invalid
events). Meanwhile, in order: poison records into events_raw; the aggregator SIGKILLed inside open batch
transactions and restarted; the Kafka broker stopped and started (probed for 503 + Retry-After while
down); Postgres stopped and started; Redis flushed and its hot window rebuilt; more poison. The generators
are then stopped with SIGINT (as Ctrl-C), and `customersignal loadgen verify` compares their ledgers with
Postgres (raw rows, minute / packed / hour / day counts) and the Redis hot window. Property rollups ride
along (tests/chaos/rollups.py): `purchase.plan` (a dimension) and `purchase.amount` (a measure) are marked
through the API as the load starts and backfilled through the CLI before it stops, and their hourly rows
are compared with the raw events cell by cell. Figures go to RESULTS.md and RESULTS.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.chaos import faults, rollups
from tests.chaos.stack import ROOT, ChaosStack


@dataclass(frozen=True)
class Profile:
    single_rate: float  # events/s, one per request
    batch_rate: float  # events/s, 20 per request
    kills: int
    broker_down_s: float
    postgres_down_s: float
    redis_gap_s: float


PROFILES = {
    "full": Profile(single_rate=100, batch_rate=300, kills=20, broker_down_s=12, postgres_down_s=6, redis_gap_s=3),
    "quick": Profile(single_rate=60, batch_rate=200, kills=4, broker_down_s=6, postgres_down_s=3, redis_gap_s=2),
}
KEY_PATTERN = re.compile(r"^\s+(cs_\S+)$", re.MULTILINE)


def new_tenant(stack: ChaosStack, slug: str) -> tuple[uuid.UUID, uuid.UUID, str]:
    """A tenant with one project (a rate far above the load) and an ingest key: (tenant, project, key)."""
    tenant = stack.cli("tenant", "create", "--name", slug, "--slug", slug)
    project = stack.cli("project", "create", "--tenant", slug, "--name", "load", "--rate-limit", "20000")
    created = stack.cli("key", "create", "--tenant", slug, "--project", "load", "--scopes", "ingest")
    match = KEY_PATTERN.search(created)
    assert match, created
    return _id(tenant), _id(project), match.group(1)


def admin_key(stack: ChaosStack, slug: str) -> str:
    """A read + admin key of the tenant's project: what marks rollups in the catalog."""
    created = stack.cli("key", "create", "--tenant", slug, "--project", "load", "--scopes", "read,admin")
    match = KEY_PATTERN.search(created)
    assert match, created
    return match.group(1)


def _id(text: str) -> uuid.UUID:
    found = re.search(r"id ([0-9a-f-]{36})", text)
    assert found, text
    return uuid.UUID(found.group(1))


def start_load(stack: ChaosStack, name: str, key: str, rate: float, batch: int, seed: int) -> subprocess.Popen[bytes]:
    logs = stack.state_dir / "logs"
    return stack.popen_cli(
        "loadgen", "run", "--url", stack.api_url, "--rate", str(rate), "--batch", str(batch),
        "--duration", "3600", "--resend-share", "0.05", "--invalid-share", "0.01", "--seed", str(seed),
        "--ledger", str(logs / f"{name}.ledger"), "--summary-json", str(logs / f"{name}.json"),
        extra_env={"CS_LOADGEN_KEY": key}, log=logs / f"{name}.log",
    )  # fmt: skip


def stop_loads(processes: dict[str, subprocess.Popen[bytes]]) -> dict[str, int]:
    # What Ctrl-C sends: nothing more is sent, the requests in flight get a 5 s grace, the ledger keeps every
    # acknowledgement. The bound is only there so a regression fails instead of hanging the suite.
    for process in processes.values():
        process.send_signal(signal.SIGINT)
    return {name: process.wait(timeout=300) for name, process in processes.items()}


def run(profile: Profile, state_dir: Path, results: Path, seed: int) -> bool:
    rng = random.Random(seed)
    stack = ChaosStack(state_dir)
    started = time.monotonic()
    print(f"chaos: starting a stack of its own in {state_dir}", flush=True)
    stack.start()
    reports: list[faults.FaultReport] = []
    loads: dict[str, subprocess.Popen[bytes]] = {}
    try:
        tenant_id, project_id, key = new_tenant(stack, "chaos")
        _, _, probe_key = new_tenant(stack, "chaos-probe")
        loads |= {
            "single": start_load(stack, "single", key, profile.single_rate, 1, seed),
            "batched": start_load(stack, "batched", key, profile.batch_rate, 20, seed + 1),
        }
        time.sleep(5)
        marked = rollups.mark(stack, admin_key(stack, "chaos"))  # so the faults hit batches that write rollups
        placed = faults.inject_poison(stack, tenant_id, project_id)
        steps: list[tuple[str, Callable[[], faults.FaultReport]]] = [
            ("aggregator kills", lambda: faults.kill_aggregator(stack, profile.kills, rng)),
            ("broker restart", lambda: faults.restart_broker(stack, probe_key, profile.broker_down_s)),
            ("postgres restart", lambda: faults.restart_postgres(stack, probe_key, profile.postgres_down_s)),
            ("redis flush", lambda: faults.flush_and_rebuild_redis(stack, profile.redis_gap_s)),
        ]
        for label, step in steps:
            print(f"chaos: {label}", flush=True)
            reports.append(step())
            placed += faults.inject_poison(stack, tenant_id, project_id)
            time.sleep(3)
        print("chaos: rollup backfill (under load)", flush=True)
        backfilled = rollups.backfill(stack)
        load_exits = stop_loads(loads)
        print("chaos: load stopped; verifying", flush=True)
        audit = verify(stack, [state_dir / "logs" / f"{name}.ledger" for name in loads])
        # after verify, which waits until every acknowledged event is counted
        rollup_audit = rollups.audit(stack, str(tenant_id), marked, backfilled)
        reports.append(faults.dead_letter_check(stack, placed))
        esm_alive = stack.healthy("esm", "api")
        summaries = {name: _json(state_dir / "logs" / f"{name}.json") for name in loads}
    finally:
        for process in loads.values():
            if process.poll() is None:
                process.kill()
        stack.stop(keep_state=True)
    passed = bool(audit.get("passed")) and rollup_audit.passed and esm_alive and not any(r.problems for r in reports)
    passed = passed and all(code == 130 for code in load_exits.values())  # 130: stopped by SIGINT, as asked
    write_results(
        results, profile, audit, rollup_audit, reports, summaries, load_exits, passed, time.monotonic() - started
    )
    return passed


def verify(stack: ChaosStack, ledgers: list[Path]) -> dict[str, Any]:
    out = stack.state_dir / "logs" / "verify.json"
    args = ["loadgen", "verify", "--tenant", "chaos", "--wait", "300", "--json", str(out), "--ledger"]
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "customersignal"), *args, *map(str, ledgers)],
        env=stack.env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    print(done.stdout, flush=True)
    return _json(out) if out.exists() else {"passed": False, "error": done.stderr[-2000:]}


def _json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    return loaded


def write_results(
    results: Path,
    profile: Profile,
    audit: dict[str, Any],
    rollup_audit: rollups.RollupAudit,
    reports: list[faults.FaultReport],
    summaries: dict[str, dict[str, Any]],
    load_exits: dict[str, int],
    passed: bool,
    elapsed_s: float,
) -> None:
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": asdict(profile),
        "passed": passed,
        "elapsed_s": round(elapsed_s, 1),
        "audit": audit,
        "rollups": rollup_audit.as_json(),
        "faults": [asdict(r) for r in reports],
        "load": summaries,
        "load_exit_codes": load_exits,
    }
    results.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
    results.with_suffix(".md").write_text(markdown(document) + "\n")
    print(markdown(document), flush=True)


def markdown(doc: dict[str, Any]) -> str:
    a = doc["audit"]
    retries: dict[str, int] = {}
    for summary in doc["load"].values():
        for reason, n in summary.get("retries", {}).items():
            retries[reason] = retries.get(reason, 0) + n
    lines = [
        f"# Chaos results ({doc['measured_at']}, profile {json.dumps(doc['profile'])})",
        "",
        f"**{'PASSED' if doc['passed'] else 'FAILED'}** in {doc['elapsed_s']:.0f} s.",
        "",
        "| sent (event submissions) | of them resends | accepted (distinct) | rejected (invalid on purpose) "
        "| unacknowledged | stored | counted | double-counted | lost |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {a.get('submissions', 0):,} | {a.get('resends', 0):,} | {a.get('acknowledged', 0):,} "
        f"| {a.get('rejected', 0):,} | {a.get('unacknowledged', 0):,} | {a.get('stored', 0):,} "
        f"| {a.get('counted', 0):,} | {a.get('double_counted', 0):,} | {a.get('lost', 0):,} |",
        "",
        f"Counts compared at: {', '.join(a.get('grains_checked', []))}; mismatches: "
        f"{a.get('grain_mismatches') or 'none'}. Stored but never accepted: {a.get('wrongly_stored', 0)}.",
        f"Client retries of whole requests by reason: {retries or 'none'}.",
        "",
        *rollup_lines(doc.get("rollups")),
        "",
        "| fault | observed | problems |",
        "|---|---|---|",
    ]
    for fault in doc["faults"]:
        observed = "; ".join(f"{k}: {v}" for k, v in fault["observed"].items())
        lines.append(f"| {fault['name']} | {observed} | {'; '.join(fault['problems']) or 'none'} |")
    return "\n".join(lines)


def rollup_lines(r: dict[str, Any] | None) -> list[str]:
    if r is None:  # a results file from before the rollups rode along
        return ["Property rollups: not checked in this run."]
    marked = ", ".join(f"{rollups.EVENT_TYPE}.{p} ({m['role']})" for p, m in sorted(r["marked"].items()))
    lines = [
        f"Property rollups marked under load: {marked}; backfill: {r['backfill']}",
        "",
        "| rollup table | cells | their raw event_count | lost | double-counted | value_sum lost "
        "| value_sum double-counted |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in r["tables"]:
        lines.append(
            f"| {t['table']} | {t['cells']:,} | {t['events']:,} | {t['lost']:,} | {t['double_counted']:,} "
            f"| {t['sum_lost']:,.0f} | {t['sum_double_counted']:,.0f} |"
        )
        lines += [f"- {t['table']} differs: {m}" for m in t["mismatches"]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".state" / "chaos")
    parser.add_argument("--results", type=Path, default=ROOT / "tests" / "chaos" / "results")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    passed = run(PROFILES[args.profile], args.state_dir, args.results, args.seed)
    print("chaos: PASSED" if passed else "chaos: FAILED", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
