"""A copy of the local stack of its own for the fault suite: the same scripts `make up` runs (real Kafka,
Postgres, Redis, moto, the local API gateway and the event-source mapping hosting the aggregator), with
its own state directory and ports, so faults never touch the developer's `make up` stack.

Ports. Each is the developer stack's own port (the environment, else .env, else the default, as
infra/local/lib.sh reads them) plus ``CS_CHAOS_PORT_OFFSET`` (100): next to the worktree's own stack, so
several engineers' chaos runs, each in its worktree's block, never meet, and below the kernel's ephemeral
range. Ports handed out by the kernel (``bind(0)``, as other test runs pick theirs, or an outgoing
connection's) could otherwise land on a chaos port while a fault has its server down, and the restart
would fail or, worse, reach someone else's server. The run refuses to start on a port in use."""

from __future__ import annotations

import os
import re
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


DEFAULT_PORT_OFFSET = 100
# (our name, the variable, its default as infra/local/lib.sh has it)
PORT_SETTINGS = (
    ("kafka", "CS_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
    ("controller", "CS_KAFKA_CONTROLLER_PORT", "9093"),
    ("pg", "CS_PG_PORT", "5433"),
    ("redis", "CS_REDIS_URL", "redis://127.0.0.1:6380/0"),
    ("aws", "CS_AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
    ("api", "CS_API_PORT", "8000"),
)


def dotenv(path: Path) -> dict[str, str]:
    """KEY=value lines, as lib.sh reads them (a trailing `# comment` dropped)."""
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.split(" #", 1)[0].strip() for k, v in pairs if re.fullmatch(r"[A-Z_][A-Z0-9_]*", k.strip())}


def port_of(value: str) -> int:
    """The port of ``9092``, ``127.0.0.1:9092`` or ``redis://127.0.0.1:6380/0``."""
    match = re.search(r"(?::|^)(\d+)(?:/.*)?$", value.strip())
    if match is None:
        raise ValueError(f"no port in {value!r}")
    return int(match.group(1))


def chaos_ports(environ: Mapping[str, str], env_file: Path) -> dict[str, int]:
    settings = dotenv(env_file) | dict(environ)  # the environment wins, as in lib.sh
    offset = int(settings.get("CS_CHAOS_PORT_OFFSET", DEFAULT_PORT_OFFSET))
    ports = {name: port_of(settings.get(var) or default) + offset for name, var, default in PORT_SETTINGS}
    ephemeral_low = _ephemeral_low()
    for name, port in ports.items():
        if port >= ephemeral_low:
            raise RuntimeError(f"the chaos {name} port {port} is in the ephemeral range (from {ephemeral_low})")
        if not _free(port):
            raise RuntimeError(f"the chaos {name} port {port} is in use; set CS_CHAOS_PORT_OFFSET")
    if len(set(ports.values())) != len(ports):
        raise RuntimeError(f"the chaos ports collide with each other: {ports}")
    return ports


def _ephemeral_low(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ChaosStack:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        ports = chaos_ports(os.environ, ROOT / ".env")
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
