"""``adapters.postgres.Connection`` against real Postgres: it answers exactly as pg8000's own ``run`` does, for
named parameters, repeated names, streams (COPY) and typed parameters, and converts each SQL text once."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from customersignal.adapters import postgres
from customersignal.adapters.postgres import Connection, connect

pytestmark = pytest.mark.integration

SAME = "SELECT CAST(:a AS int) + CAST(:a AS int), CAST(:b AS text), CAST(:at AS timestamptz), :none::text"


def test_named_parameters_answer_as_pg8000_does_and_each_text_is_converted_once(settings: Any) -> None:
    db = connect(settings)
    try:
        assert isinstance(db, Connection)
        params = {"a": 20, "b": "x:y", "at": datetime(2026, 12, 8, tzinfo=UTC), "none": None}
        before = postgres._converted.cache_info()
        first = db.run(SAME, **params)
        again = db.run(SAME, **params | {"a": 1})
        after = postgres._converted.cache_info()
        # Then the answers are pg8000's own (its run, on the same connection)
        assert first == super(Connection, db).run(SAME, **params) == [[40, "x:y", params["at"], None]]
        assert again == [[2, "x:y", params["at"], None]]
        # And the text was converted at most once for both runs
        assert after.misses - before.misses <= 1
        assert after.hits - before.hits >= 1
        # And without parameters, with a stream, or with types, pg8000's own paths still answer
        assert db.run("SELECT 1") == [[1]]
        db.run("CREATE TEMPORARY TABLE copied (n int, s text)")
        db.run("COPY copied FROM STDIN", stream=io.BytesIO(b"1\ta\n2\tb\n"))
        assert db.run("SELECT n, s FROM copied ORDER BY n") == [[1, "a"], [2, "b"]]
        assert db.run("SELECT CAST(:n AS int) + 1", types={"n": 23}, n=4) == [[5]]
    finally:
        db.close()
