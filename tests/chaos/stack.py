"""A copy of the local stack of its own for the fault suite: the same scripts `make up` runs (real Kafka,
Postgres, Redis, moto, the local API gateway and the event-source mapping hosting the aggregator), with
its own state directory and free ports, so faults never touch the developer's `make up` stack."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import pg8000.native
import redis

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "infra" / "local" / "stack.sh"
CLI = ROOT / ".venv" / "bin" / "customersignal"
BACKING = ("postgres", "redis", "kafka", "aws")
APPS = ("api", "esm")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ChaosStack:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        ports = {name: free_port() for name in ("kafka", "controller", "pg", "redis", "aws", "api")}
        self.env: dict[str, str] = {
            **os.environ,
            "CS_STATE_DIR": str(state_dir),
            "CS_KAFKA_BOOTSTRAP": f"127.0.0.1:{ports['kafka']}",
            "CS_KAFKA_CONTROLLER_PORT": str(ports["controller"]),
            "CS_PG_PORT": str(ports["pg"]),
            "CS_REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "CS_AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports['aws']}",
            "CS_AWS_EMULATOR": "moto",
            "CS_API_PORT": str(ports["api"]),
            # two workers leave the load generator and the aggregator a core between them
            "CS_API_WORKERS": "2",
        }
        self.api_url = f"http://127.0.0.1:{ports['api']}"

    # -- lifecycle ---------------------------------------------------------------------------------

    def up(self, *services: str) -> None:
        self._stack("up", *services)

    def down(self, *services: str) -> None:
        self._stack("down", *services)

    def start(self) -> None:
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.up(*BACKING)
        migrated = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "alembic"), "-c", "migrations/alembic.ini", "upgrade", "head"],
            cwd=ROOT, env=self.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if migrated.returncode != 0:
            raise RuntimeError(f"migrations failed:\n{migrated.stderr}")
        self.up(*APPS)

    def stop(self, *, keep_state: bool = False) -> None:
        self.down(*BACKING, *APPS)  # stack.sh stops in reverse: the apps first
        if not keep_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def healthy(self, *services: str) -> bool:
        return self._run_stack("status", *services).returncode == 0

    def sigkill(self, service: str) -> int:
        """SIGKILL the service's process (no grace, no cleanup); returns its pid."""
        pid = int((self.state_dir / "run" / f"{service}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.01)
        return pid

    def log(self, service: str) -> Path:
        return self.state_dir / "logs" / f"{service}.log"

    # -- clients -----------------------------------------------------------------------------------

    def cli(self, *args: str, extra_env: Mapping[str, str] | None = None) -> str:
        done = subprocess.run(
            [str(CLI), *args], env={**self.env, **(extra_env or {})}, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"customersignal {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done.stdout

    def popen_cli(self, *args: str, extra_env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen([str(CLI), *args], env={**self.env, **extra_env}, stdout=out, stderr=out)

    def postgres(self) -> pg8000.native.Connection:
        return pg8000.native.Connection(
            user=self.env.get("CS_PG_USER", "customersignal"),
            password=self.env.get("CS_PG_PASSWORD", "customersignal"),
            host="127.0.0.1",
            port=int(self.env["CS_PG_PORT"]),
            database=self.env.get("CS_PG_DATABASE", "customersignal"),
            application_name="customersignal-chaos",
        )

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.env["CS_REDIS_URL"])

    def _stack(self, command: str, *services: str) -> None:
        done = self._run_stack(command, *services)
        if done.returncode != 0:
            raise RuntimeError(f"stack.sh {command} {' '.join(services)} failed:\n{done.stdout}\n{done.stderr}")

    def _run_stack(self, command: str, *services: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(STACK), command, *services], env=self.env, capture_output=True, text=True, check=False
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child of ours that nobody reaped yet is a zombie: dead for our purposes
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
