"""Flame graphs of the ingest request path under load: where a request's CPU time goes, end to end.

    .venv/bin/python bench/ingest_profile.py --label after

For single-event requests, 100-event batches and the framework floor (401, no key), it starts the API as
`make bench` does but with one uvicorn worker (so one process holds every request's stacks), warms it, then
runs py-spy on that process while wrk drives it, and writes bench/profiles/ingest-<kind>-<label>.svg. Only
threads that are running are sampled (py-spy's default): time spent waiting, for Kafka's acknowledgement or
for a request, does not show. bench/ingest-results.md links the graphs and says what they show.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ingest_load import THREADS, WARMUP_S, bench_key, run_wrk, start_api, stop, write_bodies

from customersignal.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "bench" / "profiles"
RATE_HZ = 97  # a prime, so sampling does not beat with periodic work; small graphs
SECONDS = 8
KINDS = ("single", "batch", "floor")


def profile(kind: str, label: str, key: str, bodies: Path, port: int) -> Path:
    out = PROFILES / f"ingest-{kind}-{label}.svg"
    extra = {"POWERTOOLS_LOG_LEVEL": "WARNING"} if kind == "floor" else {}
    api = start_api("bench_events", port, workers=1, threads=THREADS, **extra)
    url, secret, refused = f"http://127.0.0.1:{port}/v1/events", "" if kind == "floor" else key, kind == "floor"
    try:
        run_wrk(url, secret, bodies, refused=refused, seconds=WARMUP_S)
        spy = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(api.pid), "--rate", str(RATE_HZ)]
        spy += ["--duration", str(SECONDS), "--nonblocking", "--gil", "--format", "flamegraph", "-o", str(out)]
        recorder = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        load = run_wrk(url, secret, bodies, refused=refused, seconds=SECONDS + 1)
        _, err = recorder.communicate(timeout=60)
        if recorder.returncode != 0:
            raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')}")
    finally:
        stop(api)
    print(f"{out.relative_to(ROOT)}: {load['rps']:,.0f} req/s under the profiler (one worker)", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="before / after: the graphs' file name suffix")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    args = parser.parse_args()
    PROFILES.mkdir(exist_ok=True)
    key = bench_key(PlatformSettings())[1]
    port = 19_000 + os.getpid() % 1000
    with tempfile.TemporaryDirectory() as scratch:
        for kind in args.kinds:
            bodies = Path(scratch, f"{kind}.ndjson")
            write_bodies(bodies, 100 if kind == "batch" else 1)
            profile(kind, args.label, key, bodies, port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
