"""`make bench`, alerts part: breach -> webhook received, for fast-path and scheduled rules, and the
evaluator's time per 1,000 rules, each next to a same-run baseline.

The whole path runs as `make up` runs it, on a database, topic and consumer group of its own: the local
API, Kafka, the local event-source mapping hosting the aggregator (whose fast path checks short threshold
rules after each batch), the local scheduler running the evaluator every minute, and SNS (moto in server
mode) delivering over HTTP to a receiver in this process that verifies every signature. A breach is the
POST of the event that crosses a rule's threshold; it is received when the receiver has the webhook.

Same-run baselines: for the fast path, the delivery floor: a notification sealed and signed as the
platform seals it, published with the platform's SNS channel to the same topic and endpoint, timed from
the publish to the receiver having verified it (SNS and the webhook hop alone, nothing detected); for the
evaluator, the same window queries issued directly. Scheduled rules have none: a breach waits for its
window and the next one-minute tick, which is most of their latency by design.
Results go to bench/alerts-results.md and bench/alerts-results.json.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench_db import migrated_database
from bench_results import Figure, Run
from freshness_bench import start_esm
from ingest_bench import start_api
from moto.server import ThreadedMotoServer

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.kafka_admin import admin_client, ensure_topics
from customersignal.adapters.pg_alert_store import COUNT_WINDOWS, PostgresAlertStore
from customersignal.adapters.postgres import connect
from customersignal.adapters.sns_alerts import SnsAlertChannel
from customersignal.adapters.tenant_admin import TenantAdmin
from customersignal.domain.alert_evaluation import evaluate_rules
from customersignal.domain.auth import Scope
from customersignal.domain.webhook_signing import envelope, open_envelope, verify
from customersignal.settings import AwsSettings, PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "customersignal_alerts_bench"
FAST_SAMPLES, SCHEDULED_SAMPLES, RULES = 40, 20, 1000


class Receiver:
    """Webhooks by event type, with their arrival time; every one verified with the endpoint's secret."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                arrived = time.monotonic()
                if body.get("Type") == "Notification":
                    sealed = open_envelope(body["Message"])
                    verify(receiver.secret, sealed.webhook_id, sealed.timestamp, sealed.payload, sealed.signature,
                           now=int(time.time()))  # fmt: skip
                    with receiver.lock:
                        receiver.arrivals.setdefault(json.loads(sealed.payload)["rule"]["event_type"], arrived)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def wait(self, event_type: str, timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if event_type in self.arrivals:
                    return self.arrivals[event_type]
            time.sleep(0.002)
        raise RuntimeError(f"no webhook for {event_type} within {timeout_s} s (logs: .state/logs/bench-*.log)")


def call(url: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - our own local API
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_s": statistics.median(ordered), "p99_s": ordered[max(0, int(len(ordered) * 0.99) - 1)],
            "max_s": ordered[-1]}  # fmt: skip


def breaches(api: str, keys: dict[str, str], prefix: str, samples: int, window_s: int, spread_s: float) -> list[float]:
    """One rule per sample (its own event type, threshold 'above 0'), then one breaching POST each."""
    for i in range(samples):
        call(f"{api}/v1/alerts", keys["admin"], {
            "name": f"{prefix}{i}", "event_type": f"{prefix}{i}", "metric": "count", "window_seconds": window_s,
            "condition": {"kind": "threshold", "operator": "above", "value": 0}, "channels": [keys["endpoint"]],
        })  # fmt: skip
    posted: dict[str, float] = {}
    for i in range(samples):
        time.sleep(random.uniform(0, spread_s))
        event = {"event_id": str(uuid.uuid4()), "event_type": f"{prefix}{i}", "user_id": "u1"}
        posted[f"{prefix}{i}"] = time.monotonic()
        call(f"{api}/v1/events", keys["ingest"], event)
    return [RECEIVER.wait(name, 180) - at for name, at in posted.items()]


def delivery_floor(channel: SnsAlertChannel, tenant: uuid.UUID, endpoint: uuid.UUID, samples: int) -> list[float]:
    """Publish -> webhook received and verified, one notification at a time, through the same topic,
    subscription and receiver as the alerts (the payload names a probe instead of a rule's event type)."""
    latencies = []
    for i in range(samples):
        payload = {"type": "bench.delivery_floor", "rule": {"event_type": f"floor{i}"}}
        started = time.monotonic()
        message = envelope(f"floor-{uuid.uuid4().hex}", int(time.time()), payload, RECEIVER.secret)
        channel.publish(tenant, endpoint, message, {"rule": f"floor{i}", "severity": "warning"})
        latencies.append(RECEIVER.wait(f"floor{i}", 60) - started)
    return latencies


QUIET_RULE = """
INSERT INTO alert_rules (tenant_id, name, event_type, metric, window_seconds, condition_kind, parameters)
VALUES (:t, :n, :e, 'count', 300, 'threshold', '{"operator": "above", "value": 1e9}')
"""


def evaluator_per_1000(bench: PlatformSettings, tenant: uuid.UUID) -> dict[str, float]:
    """evaluate_rules over RULES quiet rules, against the same window queries issued directly."""
    db = connect(bench)
    for i in range(RULES):
        db.run(QUIET_RULE, t=tenant, n=f"quiet{i}", e=f"quiet{i % 50}")
    db.run("INSERT INTO tenant_freshness (tenant_id, complete_up_to) VALUES (:t, now() + interval '1 hour')"
           " ON CONFLICT (tenant_id) DO UPDATE SET complete_up_to = EXCLUDED.complete_up_to", t=tenant)  # fmt: skip

    class NeverLagging:
        def caught_up(self) -> bool:
            return True

    timings: dict[str, list[float]] = {"evaluator": [], "window_sql": []}
    for _ in range(5):
        store = PostgresAlertStore(lambda: connect(bench), "http://bench")
        started = time.perf_counter()
        evaluate_rules(store, NeverLagging(), datetime.now(UTC), "bench")
        timings["evaluator"].append(time.perf_counter() - started)
        store.close()
        started = time.perf_counter()
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        for i in range(RULES):
            db.run(COUNT_WINDOWS, tenant=tenant, event_type=f"quiet{i % 50}", ends=[end], width="300 seconds")
        timings["window_sql"].append(time.perf_counter() - started)
    db.close()
    return {name: statistics.median(values) for name, values in timings.items()}


RECEIVER = Receiver()


def main() -> int:
    run = Run("alerts")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request otherwise
    settings = PlatformSettings()
    bench = migrated_database(settings, DATABASE, fresh=True)
    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    moto_url = f"http://127.0.0.1:{moto_port}"
    sns = AwsClients(AwsSettings(aws_endpoint_url=moto_url, stage="bench")).sns()
    topic_arn = sns.create_topic(Name="bench-alerts", Attributes={"SignatureVersion": "2"})["TopicArn"]
    topic, group = f"bench_alerts_{uuid.uuid4().hex[:6]}", f"bench-alerts-{uuid.uuid4().hex[:6]}"
    ensure_topics(admin_client(settings.kafka_bootstrap), {topic: 12})
    env = {"CS_PG_DATABASE": DATABASE, "CS_AGGREGATOR_CONSUMER_GROUP": group, "CS_AWS_ENDPOINT_URL": moto_url,
           "CS_ALERTS_TOPIC_ARN": topic_arn, "CS_WEBHOOK_LOCAL_MODE": "true", "CS_KAFKA_EVENTS_TOPIC": topic,
           "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}  # fmt: skip
    os.environ.update(env)  # start_api passes os.environ on
    admin = TenantAdmin(lambda: connect(bench))
    slug = f"alerts{uuid.uuid4().hex[:6]}"
    tenant = admin.create_tenant("Alerts bench", slug)
    admin.create_project(slug, "Probe", "probe", rate_limit_per_s=100_000)
    keys = {"admin": admin.create_key(slug, "probe", [Scope.READ, Scope.ADMIN])[1].secret,
            "ingest": admin.create_key(slug, "probe", [Scope.INGEST])[1].secret}  # fmt: skip
    admin.close()
    port = 19_500 + os.getpid() % 400
    api_url = f"http://127.0.0.1:{port}"
    processes = [start_api(topic, port), start_esm(topic, group, os.environ | env)]
    try:
        endpoint = call(f"{api_url}/v1/webhooks", keys["admin"], {"url": RECEIVER.url})
        RECEIVER.secret, keys["endpoint"] = endpoint["secret"], endpoint["endpoint"]["id"]
        print("measuring: fast path (breach -> webhook) ...", flush=True)
        fast = percentiles(breaches(api_url, keys, "fast", FAST_SAMPLES, 60, 0.2))
        print("measuring: delivery floor (SNS publish -> webhook) ...", flush=True)
        channel = SnsAlertChannel(sns, topic_arn)
        floor = percentiles(delivery_floor(channel, tenant.tenant_id, uuid.UUID(keys["endpoint"]), FAST_SAMPLES))
        log = (ROOT / ".state" / "logs" / "bench-scheduler.log").open("wb")
        schedule = [sys.executable, "-m", "customersignal.local.schedule", "--template", "template.yaml"]
        processes.append(subprocess.Popen(schedule, cwd=ROOT, env=os.environ | env, stdout=log, stderr=log))
        print("measuring: scheduled rules (breach -> webhook, about 3 minutes) ...", flush=True)
        scheduled = percentiles(breaches(api_url, keys, "sched", SCHEDULED_SAMPLES, 600, 3.0))
        print("measuring: evaluator time per 1,000 rules ...", flush=True)
        per_1000 = evaluator_per_1000(bench, tenant.tenant_id)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
        moto.stop()
    write_results(run, fast, floor, scheduled, per_1000)
    return 0


def figures(
    fast: dict[str, float], floor: dict[str, float], scheduled: dict[str, float], per_1000: dict[str, float]
) -> list[Figure]:
    floor_name = "delivery floor: SNS publish -> webhook verified"
    none = "no same-run baseline: the one-minute schedule dominates"
    return [
        Figure("fast path, breach -> webhook, p50", fast["p50_s"] * 1000, "ms", f"{floor_name}, p50",
               floor["p50_s"] * 1000),
        Figure("fast path, breach -> webhook, p99", fast["p99_s"] * 1000, "ms", f"{floor_name}, p99",
               floor["p99_s"] * 1000, "< 5 s"),
        Figure("scheduled rules, breach -> webhook, p50", scheduled["p50_s"], "s", note=none),
        Figure("scheduled rules, breach -> webhook, p99", scheduled["p99_s"], "s", goal="< 70 s", note=none),
        Figure(f"evaluator run over {RULES:,} quiet rules", per_1000["evaluator"] * 1000, "ms",
               f"the same {RULES:,} window queries issued directly", per_1000["window_sql"] * 1000),
    ]  # fmt: skip


def write_results(
    run: Run,
    fast: dict[str, float],
    floor: dict[str, float],
    scheduled: dict[str, float],
    per_1000: dict[str, float],
) -> None:
    lines = [
        f"# Alerts benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores. Breach = the POST of the event that crosses a rule's threshold;"
        " received = the webhook at a local receiver (SNS by moto in server mode, signatures verified).",
        "",
        "| figure | p50 | p99 | max | goal |",
        "|---|---:|---:|---:|---|",
        f"| fast path, breach -> webhook ({FAST_SAMPLES} rules) | {fast['p50_s'] * 1000:.0f} ms |"
        f" {fast['p99_s'] * 1000:.0f} ms | {fast['max_s'] * 1000:.0f} ms | p99 < 5 s |",
        f"| &nbsp;&nbsp;baseline: delivery floor, SNS publish -> webhook verified ({FAST_SAMPLES} notifications)"
        f" | {floor['p50_s'] * 1000:.0f} ms | {floor['p99_s'] * 1000:.0f} ms | {floor['max_s'] * 1000:.0f} ms | |",
        f"| scheduled rules, breach -> webhook ({SCHEDULED_SAMPLES} rules) | {scheduled['p50_s']:.1f} s |"
        f" {scheduled['p99_s']:.1f} s | {scheduled['max_s']:.1f} s | p99 < 70 s |",
        "",
        "| figure | time | same-run baseline | ratio |",
        "|---|---:|---|---:|",
        f"| evaluator run over {RULES} quiet rules | {per_1000['evaluator'] * 1000:.0f} ms |"
        f" the same {RULES} window queries issued directly: {per_1000['window_sql'] * 1000:.0f} ms |"
        f" {per_1000['evaluator'] / per_1000['window_sql']:.2f} |",
        "",
    ]
    (ROOT / "bench" / "alerts-results.md").write_text("\n".join(lines))
    print("\n".join(lines))
    details = {"fast": fast, "delivery_floor": floor, "scheduled": scheduled, "evaluator_s": per_1000}
    run.write(figures(fast, floor, scheduled, per_1000), details)


if __name__ == "__main__":
    sys.exit(main())
