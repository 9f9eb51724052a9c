"""The chaos stack's ports: the developer stack's own plus an offset, outside the ephemeral range, refused
when in use (tests/chaos/stack.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.chaos.stack import chaos_ports, port_of

pytestmark = pytest.mark.unit

WORKTREE_ENV = """CS_KAFKA_BOOTSTRAP=127.0.0.1:12092
CS_KAFKA_CONTROLLER_PORT=12093
CS_PG_PORT=12433  # a comment
CS_REDIS_URL=redis://127.0.0.1:12380/0
CS_AWS_ENDPOINT_URL=http://127.0.0.1:12566
CS_API_PORT=12800
"""


def test_each_port_is_the_worktrees_own_plus_the_offset(tmp_path: Path) -> None:
    # Given a worktree's .env, and the environment setting one port itself (it wins, as in lib.sh)
    env_file = tmp_path / ".env"
    env_file.write_text(WORKTREE_ENV)
    # When the chaos run picks its ports
    ports = chaos_ports({"CS_API_PORT": "12801"}, env_file)
    # Then each sits 100 above the developer stack's, in the worktree's block
    assert ports == {"kafka": 12192, "controller": 12193, "pg": 12533, "redis": 12480, "aws": 12666, "api": 12901}


def test_without_env_file_the_defaults_are_offset(tmp_path: Path) -> None:
    ports = chaos_ports({"CS_CHAOS_PORT_OFFSET": "7"}, tmp_path / "missing.env")
    assert ports == {"kafka": 9099, "controller": 9100, "pg": 5440, "redis": 6387, "aws": 4573, "api": 8007}


def six_free_ports() -> int:
    """A base port, below the ephemeral range, with it and the next five free."""
    for base in range(20_000, 30_000, 10):
        if all(_bindable(base + i) for i in range(6)):
            return base
    raise AssertionError("no six free ports in 20000-30000")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_a_port_in_use_is_refused(tmp_path: Path) -> None:
    # Given six free ports, and something listening on the one the chaos API would take
    base = six_free_ports()
    env = {
        "CS_CHAOS_PORT_OFFSET": "0",
        "CS_KAFKA_BOOTSTRAP": f"127.0.0.1:{base}",
        "CS_KAFKA_CONTROLLER_PORT": str(base + 1),
        "CS_PG_PORT": str(base + 2),
        "CS_REDIS_URL": f"redis://127.0.0.1:{base + 3}/0",
        "CS_AWS_ENDPOINT_URL": f"http://127.0.0.1:{base + 4}",
        "CS_API_PORT": str(base + 5),
    }
    assert chaos_ports(env, tmp_path / "missing.env")["api"] == base + 5
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", base + 5))
        sock.listen()
        # Then the run refuses to start, naming it
        with pytest.raises(RuntimeError, match=f"api port {base + 5} is in use"):
            chaos_ports(env, tmp_path / "missing.env")


def test_an_ephemeral_port_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="ephemeral range"):
        chaos_ports({"CS_PG_PORT": "60000"}, tmp_path / "missing.env")


@pytest.mark.parametrize(
    ("value", "port"), [("9092", 9092), ("127.0.0.1:9092", 9092), ("redis://127.0.0.1:6380/0", 6380),
                        ("http://127.0.0.1:4566", 4566)],
)  # fmt: skip
def test_port_of_reads_every_form(value: str, port: int) -> None:
    assert port_of(value) == port
