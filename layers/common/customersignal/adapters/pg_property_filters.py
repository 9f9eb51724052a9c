"""Property filters as SQL conditions over a jsonb expression: ``events.properties -> name`` on raw events,
``dim_value`` on rollups, so one filter means the same on both.

Property names and values are only ever bind parameters (``properties -> CAST(:f0_p AS text)``); nothing
from the request is spliced into the statement. The callers own the subject expression and the prefix of
the parameter names, both constants of their own.

Numbers compare as Postgres ``numeric`` (exact), and only when the value is a JSON number: the CASE keeps
the cast from ever seeing a string, which Postgres does not promise for a plain AND.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from customersignal.domain.property_filters import PropertyFilter


def raw_subject(name_param: str) -> str:
    """The jsonb of a top-level property of ``events`` (aliased ``e``); SQL NULL when unset."""
    return f"e.properties -> CAST(:{name_param} AS text)"


def condition(item: PropertyFilter, subject: str, param: str, params: dict[str, Any]) -> str:
    """One filter over ``subject`` (a jsonb SQL expression); its value goes into ``params[param]``."""
    kind = f"COALESCE(jsonb_typeof({subject}), 'null')"
    if item.op == "is_set":
        return f"{kind} <> 'null'"
    if item.op == "is_not_set":
        return f"{kind} = 'null'"
    if item.op in ("gt", "lt"):
        params[param] = repr(item.value)  # an int or float: exact as numeric text
        sign = ">" if item.op == "gt" else "<"
        return f"(CASE WHEN {kind} = 'number' THEN CAST({subject} AS numeric) {sign} CAST(:{param} AS numeric) END)"
    if item.op == "contains":
        params[param] = str(item.value)
        # strpos, not LIKE: a '%' or '_' in the value is a character to find, never a wildcard
        return f"({kind} = 'string' AND strpos(lower({subject} #>> '{{}}'), lower(CAST(:{param} AS text))) > 0)"
    if item.op == "in":
        params[param] = orjson.dumps(list(item.value) if isinstance(item.value, tuple) else [item.value]).decode()
        return f"({subject} IN (SELECT jsonb_array_elements(CAST(:{param} AS jsonb))))"
    params[param] = orjson.dumps(item.value).decode()
    if item.op == "eq":
        return f"({subject} = CAST(:{param} AS jsonb))"
    # neq matches unset properties too (SQL NULL is distinct from any value), as the peers' "is not" does
    return f"({subject} IS DISTINCT FROM CAST(:{param} AS jsonb))"


def raw_conditions(filters: Sequence[PropertyFilter], params: dict[str, Any], prefix: str = "f") -> list[str]:
    """Every filter over the raw event's properties; the property names are bound as ``:{prefix}{i}_p``."""
    out = []
    for index, item in enumerate(filters):
        name = f"{prefix}{index}_p"
        params[name] = item.property
        out.append(condition(item, raw_subject(name), f"{prefix}{index}_v", params))
    return out
