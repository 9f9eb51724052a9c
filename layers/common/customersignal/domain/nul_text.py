"""Strings with a NUL character (U+0000): valid JSON, but Postgres can store them neither in text nor in jsonb.

An accepted event holding one would fail its aggregator batch on every retry (a poison record that stalls its
partition), so the API refuses it per event, the dashboard API refuses such bodies, and the aggregator
dead-letters any that reach Kafka some other way. JSON can only carry NUL as the escape ``\\u0000`` (a raw NUL
byte is malformed JSON), so the check is one search of the encoded bytes: an escape not itself escaped
(``\\\\u0000`` is a backslash followed by the text "u0000", which is fine).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def holds_nul(encoded_json: bytes) -> bool:
    # the substring test is ~100x cheaper than the regex, and the regex can only match where it matches
    return b"\\u0000" in encoded_json and _NUL_ESCAPE.search(encoded_json) is not None


def field_with_nul(document: dict[str, Any]) -> str | None:
    """The first top-level field whose name or value holds a NUL (for the error's ``field``)."""
    for name, value in document.items():
        if "\x00" in name or holds_nul(orjson.dumps(value)):
            return name
    return None


NUL_MESSAGE = "holds a NUL character (\\u0000), which cannot be stored: remove it"
