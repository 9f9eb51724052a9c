"""Contract suites: one per port, run against the in-memory fake (unit) and the real adapter (integration)."""

from __future__ import annotations

import socket


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released): connections to it are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
