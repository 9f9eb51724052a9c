"""The local stack scripts themselves: idempotent `up`, honest `status`, and a `down` that stops only
what it started. Runs Redis and Postgres in a scratch state folder on free ports, beside the real stack.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from tests.fixtures.aws import free_port
from tests.fixtures.kafka import read_topic
from tests.fixtures.services import STACK, process_gone
from tests.support.waits import scaled, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch_env() -> Iterator[dict[str, str]]:
    # /var/tmp, world-traversable: the postgres user must reach the data folder when we run as root
    state = Path(tempfile.mkdtemp(prefix="cs-stack-test-", dir="/var/tmp"))
    state.chmod(0o755)
    env = {
        **os.environ,
        "CS_STATE_DIR": str(state),
        "CS_PG_PORT": str(free_port()),
        "CS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    yield env
    subprocess.run([STACK, "down", "redis", "postgres"], env=env, capture_output=True, check=False)
    shutil.rmtree(state, ignore_errors=True)


def stack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([STACK, *args], env=env, capture_output=True, text=True, check=False, timeout=scaled(120))


def pid_of(env: dict[str, str], service: str) -> str:
    return (Path(env["CS_STATE_DIR"]) / "run" / f"{service}.pid").read_text().strip()


def test_up_is_idempotent_and_down_stops_what_it_started(scratch_env: dict[str, str]) -> None:
    # Given nothing running in this state folder, status says so and fails
    before = stack(scratch_env, "status", "redis", "postgres")
    assert before.returncode == 1
    assert "UNHEALTHY  not running" in before.stdout
    # When the services are brought up twice
    first = stack(scratch_env, "up", "redis", "postgres")
    assert first.returncode == 0, first.stderr
    pids = {s: pid_of(scratch_env, s) for s in ("redis", "postgres")}
    second = stack(scratch_env, "up", "redis", "postgres")
    # Then the second run changed nothing
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already up") == 2
    assert {s: pid_of(scratch_env, s) for s in pids} == pids
    assert stack(scratch_env, "status", "redis", "postgres").returncode == 0
    # And down stops both, after which status reports them down again
    assert stack(scratch_env, "down", "redis", "postgres").returncode == 0
    for pid in pids.values():
        assert process_gone(pid)
    assert stack(scratch_env, "status", "redis").returncode == 1


def test_up_refuses_a_port_held_by_someone_else_and_down_leaves_it_alone(scratch_env: dict[str, str]) -> None:
    # Given a foreign process listening on the Redis port
    port = int(scratch_env["CS_REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        # When we try to start Redis there
        result = stack(scratch_env, "up", "redis")
        # Then it fails with a message that says what to do, and down does not touch the port's owner
        assert result.returncode == 1
        assert f"port {port} is in use by a process we did not start" in result.stderr
        assert "CS_REDIS_URL" in result.stderr
        assert stack(scratch_env, "down", "redis").returncode == 0
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # the squatter still listens


def test_postgres_follows_a_port_changed_after_its_first_start(scratch_env: dict[str, str]) -> None:
    # Given Postgres initialised and started on one port, then stopped
    assert stack(scratch_env, "up", "postgres").returncode == 0
    assert stack(scratch_env, "down", "postgres").returncode == 0
    # When the port setting changes (a .env edited after the first `make up`), it starts on the new one
    moved = {**scratch_env, "CS_PG_PORT": str(free_port())}
    started = stack(moved, "up", "postgres")
    assert started.returncode == 0, started.stderr
    assert f"127.0.0.1:{moved['CS_PG_PORT']}" in stack(moved, "status", "postgres").stdout
    assert stack(moved, "down", "postgres").returncode == 0


def test_up_gives_a_running_postgres_the_hll_extension(scratch_env: dict[str, str]) -> None:
    # Given Postgres up and running, but without the hll extension (as one started by older code is)
    assert stack(scratch_env, "up", "postgres").returncode == 0
    assert superuser_sql(scratch_env, "template1", "DROP EXTENSION hll") == ""
    assert superuser_sql(scratch_env, "template1", HAS_HLL) == "0"
    # When `up` runs again (a developer pulls newer code with the stack up)
    again = stack(scratch_env, "up", "postgres")
    # Then Postgres stays up and has the extension that migration 0009 needs
    assert again.returncode == 0, again.stderr
    assert "already up" in again.stdout
    for database in ("template1", "customersignal"):
        assert superuser_sql(scratch_env, database, HAS_HLL) == "1", database


HAS_HLL = "SELECT count(*) FROM pg_extension WHERE extname = 'hll'"


def superuser_sql(env: dict[str, str], database: str, sql: str) -> str:
    """One statement as the postgres superuser over the scratch cluster's socket (as postgres.sh does)."""
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda d: int(d.parent.name))[-1]
    psql = [str(bindir / "psql"), "-h", f"{env['CS_STATE_DIR']}/postgres/run"]
    psql += ["-p", env["CS_PG_PORT"], "-U", "postgres", "-d", database, "-qAt", "-c", sql]
    if os.geteuid() == 0:
        psql = ["runuser", "-u", "postgres", "--", *psql]
    done = subprocess.run(psql, capture_output=True, text=True, check=False, cwd="/", timeout=scaled(60))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_status_explains_a_service_that_died(scratch_env: dict[str, str]) -> None:
    # Given Redis up, then killed behind the script's back
    assert stack(scratch_env, "up", "redis").returncode == 0
    pid = pid_of(scratch_env, "redis")
    subprocess.run(["kill", "-9", pid], check=True)
    wait_until(lambda: process_gone(pid), f"the killed redis-server ({pid}) to exit")
    # Then status names the problem, and up brings it back
    status = stack(scratch_env, "status", "redis")
    assert status.returncode == 1
    assert "not running" in status.stdout
    assert stack(scratch_env, "up", "redis").returncode == 0
    assert pid_of(scratch_env, "redis") != pid


def test_kafka_restarts_on_its_own_data_and_keeps_acknowledged_messages(scratch_env: dict[str, str]) -> None:
    # Given a scratch broker with one acknowledged message in events_raw
    env = {
        **scratch_env,
        "CS_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "CS_KAFKA_CONTROLLER_PORT": str(free_port()),
    }
    try:
        assert stack(env, "up", "kafka").returncode == 0, stack(env, "status", "kafka").stdout
        producer = Producer({"bootstrap.servers": env["CS_KAFKA_BOOTSTRAP"], "enable.idempotence": True})
        producer.produce("events_raw", key=b"tenant-1", value=b"before-restart")
        assert producer.flush(scaled(15)) == 0
        # When it is stopped and started again (the second start must reuse the formatted log dir)
        assert stack(env, "down", "kafka").returncode == 0
        restarted = stack(env, "up", "kafka")
        # Then it comes back healthy, with the message still there
        assert restarted.returncode == 0, restarted.stderr
        assert [m.value() for m in read_topic(env["CS_KAFKA_BOOTSTRAP"], "events_raw", 1)] == [b"before-restart"]
    finally:
        stack(env, "down", "kafka")


def test_the_api_service_starts_and_stops_cleanly_releasing_its_port(scratch_env: dict[str, str]) -> None:
    # Given the API on a free port
    port = free_port()
    env = {**scratch_env, "CS_API_PORT": str(port), "CS_API_WORKERS": "1"}
    try:
        up = stack(env, "up", "api")
        assert up.returncode == 0, up.stdout + up.stderr
        # Then status reports it healthy, and the pid file names the server that holds the port
        assert stack(env, "status", "api").returncode == 0
        assert Path(f"/proc/{pid_of(env, 'api')}/cmdline").read_bytes().count(b"customersignal.local.serve") == 1
    finally:
        down = stack(env, "down", "api")
    # And down really stops it: the port is free again
    assert down.returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
