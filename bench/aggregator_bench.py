"""`make bench`, aggregation part (issue 15): the real aggregator (apply_batch over real Postgres, Redis and
Kafka) on two data sets (bench/bench_data.py: today's worst case and a realistic one), against same-run
physical baselines:
- COPY of the same raw rows (CSV built in the timing) into a staging table, then INSERT ... ON CONFLICT
  DO NOTHING on (tenant_id, event_id): the same dedup, and nothing else (perf-limits.md §3b);
- one pre-aggregated Lua round of the same counter increments in Redis per batch (perf-limits.md §2).

Per case it records events/s, this process's CPU (the client's: what Lambda bills), and what the case cost
the Postgres server (bench/pg_probe.py): the CPU of the backend serving it, rows written and WAL bytes,
per counted event. Each batch is applied at the wall clock, as live: the data's own time runs far faster
(hours replayed in seconds), and time-based caches (the property catalog's one-minute refresh) must age at
the pace of the wall clock. The one-stream aggregator connects before the clock starts, as the
two-partition workers do.
Rounds are interleaved, each case starts from empty tables (``reset``), and the median of the rounds is
reported. Runs in its own database. Results: bench/aggregator-results.md and .json (aggregator_report.py);
the worst case's time per batch also to bench/aggregator-batch.json, for bench/cost_bench.py.

``--rollups`` measures the cost of property rollups (docs/insights.md): before every case, every type of
every tenant rolls up two dimensions and one measure of the generated properties (``ROLLUP_CONFIG``),
active for all the data. ``--cases`` runs some cases only. Either prints the medians and leaves the
results files alone: they hold the default run's figures.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import Pool

import pg8000.native
import redis
from aggregator_report import write_batch_cost, write_results
from bench_data import REALISTIC_SPAN, REALISTIC_TYPES, TYPES, Batch, Dataset, datasets
from bench_db import migrated_database, reset
from bench_results import Run
from pg_probe import ServerCost, ServerMeter, backend_pid, cpu_ns

from customersignal.adapters.hot_store import HotKeys, RedisHotStore
from customersignal.adapters.kafka_dlq import KafkaDeadLetterPublisher
from customersignal.adapters.pg_aggregation import PostgresAggregationStore
from customersignal.adapters.postgres import connect
from customersignal.domain.aggregation import minute_bucket
from customersignal.domain.batch_apply import AggregatorPorts, apply_batch
from customersignal.domain.envelope import Envelope
from customersignal.settings import PlatformSettings

DATABASE = "customersignal_bench"
ROUNDS = 3
CASES = ("aggregator", "aggregator_2p", "copy", "redis")
# (property, role) rolled up on every type with --rollups: a realistic config (bench_data._properties)
ROLLUP_CONFIG = (("payment_method", "dimension"), ("currency", "dimension"), ("amount", "measure"))
ADD_TYPES = """
INSERT INTO event_types (tenant_id, name)
SELECT t.id, e FROM tenants t CROSS JOIN unnest(CAST(:names AS text[])) AS e ON CONFLICT DO NOTHING
"""
MARK_ROLLUPS = """
INSERT INTO property_rollups (tenant_id, event_type, property_name, role, active_from, backfilled_at)
SELECT t.id, e, r.p, r.role, '2000-01-01', now()
FROM tenants t CROSS JOIN unnest(CAST(:names AS text[])) AS e
CROSS JOIN jsonb_to_recordset(CAST(:config AS jsonb)) AS r(p text, role text)
"""
BASELINE_TABLE = """
CREATE TABLE IF NOT EXISTS bench_raw (
    tenant_id uuid NOT NULL, event_id uuid NOT NULL, event_type text NOT NULL, user_id text,
    occurred_at timestamptz NOT NULL, received_at timestamptz NOT NULL, properties jsonb NOT NULL,
    UNIQUE (tenant_id, event_id))
"""
INCREMENT_SCRIPT = """
for i = 1, #ARGV, 3 do redis.call('HINCRBY', ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return 1
"""


@dataclass(frozen=True)
class Sample:
    """One case in one round. Per-event figures divide by the data set's counted (unique) events, CPU per
    1,000 by its records (a 1,000-record batch), as the issue states them."""

    events_per_s: float
    client_cpu_ms_per_1k: float | None = None
    pg_cpu_us_per_event: float | None = None
    rows_per_event: float | None = None
    inserted_per_event: float | None = None
    wal_bytes_per_event: float | None = None
    rows_by_table: dict[str, float] = field(default_factory=dict)


def sample(dataset: Dataset, run: Callable[[], None], meter: ServerMeter | None) -> Sample:
    """Time ``run`` with this process's CPU and, given a ``meter``, the server's cost."""
    if meter is not None:
        meter.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    cost = meter.stop() if meter is not None else None
    return per_event(dataset, wall, cpu, cost)


def per_event(dataset: Dataset, wall_s: float, cpu_s: float, cost: ServerCost | None) -> Sample:
    events, records = dataset.unique_events, len(dataset.records)
    if cost is None:
        return Sample(records / wall_s, 1000 * cpu_s * 1000 / records)
    return Sample(
        events_per_s=records / wall_s,
        client_cpu_ms_per_1k=1000 * cpu_s * 1000 / records,
        pg_cpu_us_per_event=cost.backend_cpu_ns / 1000 / events,
        rows_per_event=cost.writes.rows / events,
        inserted_per_event=cost.writes.inserted / events,
        wal_bytes_per_event=cost.wal_bytes / events,
        rows_by_table={name: n / events for name, n in cost.writes.by_table.items()},
    )


def apply_all(batches: list[Batch], ports: AggregatorPorts) -> int:
    return sum(apply_batch(records, ports, datetime.now(UTC)).counted for records in batches)


def _partition_worker(args: tuple[PlatformSettings, list[Batch], str]) -> tuple[int, float, float, float, int]:
    """Counted, start, end (CLOCK_MONOTONIC is system-wide), this process's CPU s, its backend's CPU ns."""
    settings, batches, prefix = args
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    dlq = KafkaDeadLetterPublisher(settings, {"bootstrap.servers": settings.kafka_bootstrap}, client_id="bench")
    opened: list[pg8000.native.Connection] = []
    store = PostgresAggregationStore(lambda: _recorded(connect(settings), opened))
    ports = AggregatorPorts(store, dlq, RedisHotStore(client, HotKeys(prefix)), f"bench-{prefix}")
    apply_batch([], ports, datetime.now(UTC))  # connect and warm up before the clock starts
    pid = backend_pid(opened[-1])
    pg_started, started, cpu_started = cpu_ns(pid), time.monotonic(), time.process_time()
    counted = apply_all(batches, ports)
    ended, cpu = time.monotonic(), time.process_time() - cpu_started
    pg = cpu_ns(pid) - pg_started
    store.close()
    dlq.close()
    return counted, started, ended, cpu, pg


def _recorded(connection: pg8000.native.Connection, opened: list[pg8000.native.Connection]) -> pg8000.native.Connection:
    opened.append(connection)
    return connection


def aggregator_parallel(dataset: Dataset, settings: PlatformSettings, prefix: str, partitions: int = 2) -> Sample:
    """One process per partition, as Lambda runs one container per partition. Server CPU: both backends;
    rows and WAL are the one-stream case's (the same writes)."""
    streams = dataset.by_partition(partitions)
    with Pool(partitions) as pool:
        results = pool.map(_partition_worker, [(settings, stream, prefix) for stream in streams])
    counted = sum(r[0] for r in results)
    assert counted == dataset.unique_events, f"aggregator counted {counted}, not {dataset.unique_events}"
    wall = max(r[2] for r in results) - min(r[1] for r in results)
    records = len(dataset.records)
    return Sample(
        events_per_s=records / wall,
        client_cpu_ms_per_1k=1000 * sum(r[3] for r in results) * 1000 / records,
        pg_cpu_us_per_event=sum(r[4] for r in results) / 1000 / dataset.unique_events,
    )


def copy_batches(batches: list[Batch], db: pg8000.native.Connection) -> None:
    for records in batches:
        out = io.StringIO()
        for record in records:
            e = Envelope.model_validate_json(record.value or b"")
            props = json.dumps(e.event.properties).replace('"', '""')
            out.write(f'{e.tenant_id},{e.event.event_id},{e.event.event_type},{e.event.user_id},'
                      f'{e.occurred_at.isoformat()},{e.received_at.isoformat()},"{props}"\n')  # fmt: skip
        db.run("BEGIN")
        db.run("CREATE TEMP TABLE IF NOT EXISTS stage (LIKE bench_raw) ON COMMIT DELETE ROWS")
        db.run("COPY stage FROM STDIN WITH (FORMAT csv)", stream=io.StringIO(out.getvalue()))
        db.run("INSERT INTO bench_raw SELECT * FROM stage ON CONFLICT (tenant_id, event_id) DO NOTHING")
        db.run("COMMIT")


def redis_round(batches: list[Batch], client: redis.Redis, prefix: str) -> None:
    script = client.register_script(INCREMENT_SCRIPT)
    for records in batches:
        counts: Counter[tuple[str, int]] = Counter()
        for record in records:
            e = Envelope.model_validate_json(record.value or b"")
            counts[(f"{prefix}:{e.tenant_id}:{e.event.event_type}", int(minute_bucket(e.occurred_at).timestamp()))] += 1
        script(args=[part for (key, minute), n in counts.items() for part in (key, minute, n)])


class Bench:
    """The connections and clients every case shares, and the cases themselves."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.settings = settings
        self.db, self.monitor = connect(settings), connect(settings)
        self.client = redis.Redis.from_url(settings.redis_url.get_secret_value())
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"
        self.dlq = KafkaDeadLetterPublisher(
            settings, {"bootstrap.servers": settings.kafka_bootstrap}, client_id="bench"
        )

    def case(self, name: str, dataset: Dataset) -> Sample:
        batches = dataset.batches()
        db_meter = ServerMeter(self.monitor, lambda: [self.db])
        if name == "aggregator":
            return self._aggregator(dataset, batches)
        if name == "aggregator_2p":
            return aggregator_parallel(dataset, self.settings, self.prefix)
        if name == "copy":
            return sample(dataset, lambda: copy_batches(batches, self.db), db_meter)
        return sample(dataset, lambda: redis_round(batches, self.client, self.prefix), None)

    def _aggregator(self, dataset: Dataset, batches: list[Batch]) -> Sample:
        # a new store per round, as after a cold start: nothing it caches may outlive the TRUNCATE
        opened: list[pg8000.native.Connection] = []
        store = PostgresAggregationStore(lambda: _recorded(connect(self.settings), opened))
        ports = AggregatorPorts(
            store, self.dlq, RedisHotStore(self.client, HotKeys(self.prefix)), f"bench-{self.prefix}"
        )
        counted: list[int] = []
        try:
            apply_batch([], ports, datetime.now(UTC))  # connect before the clock starts
            meter = ServerMeter(self.monitor, lambda: opened[-1:])
            result = sample(dataset, lambda: counted.append(apply_all(batches, ports)), meter)
        finally:
            store.close()
        assert counted == [dataset.unique_events], f"aggregator counted {counted}, not {dataset.unique_events}"
        return result

    def clear(self, rollups: bool = False) -> None:
        reset(self.db)
        for key in self.client.scan_iter(match=f"{self.prefix}*", count=1000):
            self.client.delete(key)
        if rollups:
            config = json.dumps([{"p": p, "role": role} for p, role in ROLLUP_CONFIG])
            names = sorted({*TYPES, *REALISTIC_TYPES})
            self.db.run(ADD_TYPES, names=names)
            self.db.run(MARK_ROLLUPS, names=names, config=config)

    def close(self) -> None:
        self.clear()
        self.dlq.close()
        self.db.close()
        self.monitor.close()


def median_sample(samples: list[Sample]) -> Sample:
    """Each figure's median over the rounds (figure by figure, so not one round's)."""

    def med(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return statistics.median(known) if known else None

    tables = sorted({name for s in samples for name in s.rows_by_table})
    return Sample(
        events_per_s=statistics.median(s.events_per_s for s in samples),
        client_cpu_ms_per_1k=med([s.client_cpu_ms_per_1k for s in samples]),
        pg_cpu_us_per_event=med([s.pg_cpu_us_per_event for s in samples]),
        rows_per_event=med([s.rows_per_event for s in samples]),
        inserted_per_event=med([s.inserted_per_event for s in samples]),
        wal_bytes_per_event=med([s.wal_bytes_per_event for s in samples]),
        rows_by_table={t: statistics.median(s.rows_by_table.get(t, 0.0) for s in samples) for t in tables},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds per case; the median is reported")
    parser.add_argument("--realistic-hours", type=float, default=REALISTIC_SPAN.total_seconds() / 3600,
                        help="the realistic data set's span")  # fmt: skip
    parser.add_argument("--rollups", action="store_true", help="roll up 2 dimensions and 1 measure on every type")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    args = parser.parse_args()
    cases = tuple(c for c in CASES if c in args.cases.split(","))
    rounds = args.rounds
    run = Run("aggregator")
    settings = migrated_database(PlatformSettings(), DATABASE, fresh=True)
    bench = Bench(settings)
    bench.db.run(BASELINE_TABLE)
    tenants = []
    for i in range(10):
        tenant = bench.db.run("INSERT INTO tenants (slug, name) VALUES (:s, :s) RETURNING id", s=f"bench-{i}")[0][0]
        project = bench.db.run(
            "INSERT INTO projects (tenant_id, slug, name) VALUES (:t, 'p', 'p') RETURNING id", t=tenant
        )
        tenants.append((uuid.UUID(str(tenant)), uuid.UUID(str(project[0][0]))))
    sets = datasets(tenants, span=timedelta(hours=args.realistic_hours))
    samples: dict[str, dict[str, list[Sample]]] = {d.name: {c: [] for c in cases} for d in sets}
    try:
        for round_ in range(1, rounds + 1):
            for dataset in sets:
                for name in cases:
                    bench.clear(rollups=args.rollups)
                    samples[dataset.name][name].append(bench.case(name, dataset))
                    got = samples[dataset.name][name][-1]
                    print(
                        f"round {round_}/{rounds} {dataset.name}: {name} {got.events_per_s:,.0f} events/s", flush=True
                    )
    finally:
        bench.close()
    medians = {d: {c: median_sample(s) for c, s in by_case.items()} for d, by_case in samples.items()}
    if args.rollups or cases != CASES:
        for set_name, by_case in medians.items():
            for name, median in by_case.items():
                ms = median.client_cpu_ms_per_1k
                cpu = f", client CPU {ms:.1f} ms per 1,000" if ms else ""
                print(f"median of {rounds} [{set_name}] {name}: {median.events_per_s:,.0f} events/s{cpu}", flush=True)
        return 0
    write_results(run, sets, medians, samples, rounds)
    worst = medians[sets[0].name]
    write_batch_cost(worst["aggregator"], worst["copy"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
