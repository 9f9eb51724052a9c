"""Test wiring. Fixtures live in tests/fixtures/, one module per service, registered here.

Two suite-wide settings keep the tests independent of how busy the machine is (tests/support/waits.py):
Hypothesis has no per-example deadline and no "too slow" health check, and pytest-timeout's per-test bound
(a guard against a hung test, not a measurement) is scaled by the same load factor as every other wait.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
from hypothesis import HealthCheck, settings

from tests.support.waits import time_scale

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.postgres",
    "tests.fixtures.kafka",
    "tests.fixtures.redis",
    "tests.fixtures.aws",
    "tests.fixtures.api",
    "tests.fixtures.aggregator",
    "tests.fixtures.dashboard",
]

# A property's examples take as long as the machine allows; only their outcome is checked.
settings.register_profile("customersignal", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("customersignal")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """Scale this test's pytest-timeout bound (its marker's, else the ini's) when it starts; an explicit
    ``--timeout`` on the command line is taken as given."""
    if item.config.getoption("timeout", default=None) is None:
        marker = item.get_closest_marker("timeout")
        base = marker.args[0] if marker is not None and marker.args else item.config.getini("timeout")
        if base and float(base) > 0:
            item.add_marker(pytest.mark.timeout(float(base) * time_scale()), append=False)
    return (yield)
