"""The domain stays pure, mechanically: no I/O clients, no sockets, no environment, no clocks.

Every module under customersignal/domain/ is parsed (not imported) and its imports and calls are checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import customersignal.domain

pytestmark = pytest.mark.unit

DOMAIN = Path(customersignal.domain.__file__).parent
FORBIDDEN_MODULES = frozenset(
    {"boto3", "botocore", "redis", "pg8000", "confluent_kafka", "sqlalchemy", "requests", "socket", "os"}
)
CLOCK_CALLS = frozenset({"now", "utcnow", "today", "time", "time_ns", "monotonic", "perf_counter"})
MODULES = sorted(DOMAIN.glob("*.py"))


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _clock_calls(tree: ast.AST) -> list[str]:
    return [
        f"line {node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS
    ]


def test_the_domain_has_modules_to_check() -> None:
    assert len(MODULES) > 3


@pytest.mark.parametrize("module", [pytest.param(m, id=m.name) for m in MODULES])
def test_no_io_imports(module: Path) -> None:
    # Given a domain module; When its imports are read; Then none is an I/O client, socket or os (env reads)
    tree = ast.parse(module.read_text(), filename=str(module))
    assert _imported(tree) & FORBIDDEN_MODULES == set()


@pytest.mark.parametrize("module", [pytest.param(m, id=m.name) for m in MODULES])
def test_no_clock_reads(module: Path) -> None:
    # Given a domain module; When its calls are read; Then none reads a clock (time is passed in)
    tree = ast.parse(module.read_text(), filename=str(module))
    assert _clock_calls(tree) == []


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        pytest.param("import os", {"os"}, id="import os"),
        pytest.param("from os import environ", {"os"}, id="from os import"),
        pytest.param("import botocore.session", {"botocore"}, id="a submodule"),
        pytest.param("from confluent_kafka.admin import AdminClient", {"confluent_kafka"}, id="from a submodule"),
        pytest.param("from . import events", set(), id="a relative import is fine"),
    ],
)
def test_the_checker_sees_every_import_form(source: str, forbidden: set[str]) -> None:
    # Given a snippet; When the checker reads it; Then it finds exactly the forbidden modules in it
    assert _imported(ast.parse(source)) & FORBIDDEN_MODULES == forbidden


def test_the_checker_sees_clock_calls() -> None:
    assert _clock_calls(ast.parse("from datetime import datetime\nx = datetime.now()")) == ["line 2: .now()"]
