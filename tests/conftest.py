"""Test wiring. Fixtures live in tests/fixtures/, one module per service, registered here."""

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
