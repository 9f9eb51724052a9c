"""The unique-user sketches' precision, and the SQL fragments every statement that builds or reads them uses.

Migration 0009 declares the ``users`` columns of metrics_minute/hour/day as ``hll(12, 5, -1, 1)``; a
sketch built with other parameters cannot be unioned with them (the hll extension refuses the mix), so
SQL written in code takes the typmod from here, and a test checks it against the migrated columns.

- log2m 12: 4,096 registers; about 1.6 % standard error (1.04 / sqrt(4096)), measured in
  bench/hll-precision.md;
- regwidth 5: registers count up to 31 leading zeros, enough for far more than 10^9 users;
- expthresh -1: exact (explicit) while the explicit list is no larger than the dense form, i.e. up to
  2,560 bytes / 8 = 320 distinct users per sketch;
- sparseon 1: between explicit and dense, a sparse form that grows with the registers in use.
"""

from __future__ import annotations

from typing import Final

LOG2M: Final = 12
REGWIDTH: Final = 5
EXPTHRESH: Final = -1
SPARSEON: Final = 1
TYPMOD: Final = f"{LOG2M}, {REGWIDTH}, {EXPTHRESH}, {SPARSEON}"
COLUMN_TYPE: Final = f"hll({TYPMOD})"
# explicit mode holds 8-byte hashes until they would outgrow the dense registers (expthresh -1)
EXACT_UP_TO: Final = (1 << LOG2M) * REGWIDTH // 8 // 8
# The user key of the schema (and of domain.aggregation.user_key) over the events table's columns.
USER_KEY: Final = "COALESCE(user_id, 'anon-' || anonymous_id)"


def add_agg(key_sql: str) -> str:
    """An aggregate that builds one sketch of the typmod's precision from text user keys."""
    return f"hll_add_agg(hll_hash_text({key_sql}), {TYPMOD})"


def empty() -> str:
    return f"hll_empty({TYPMOD})"


def union_cardinality(sketch_sql: str) -> str:
    """The estimated number of distinct users in the union of a group's sketches (0 for no rows)."""
    return f"COALESCE(hll_cardinality(hll_union_agg({sketch_sql})), 0)::bigint"
