"""Segment's browser SDK: where its write key comes from."""

from __future__ import annotations

import pytest

from customersignal.domain.errors import MalformedRequest
from customersignal.domain.segment_browser import SHORT_PATHS, authorization_for, write_key_in

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b'{"writeKey": "cs_abc", "event": "x"}', "cs_abc", id="in the body"),
        pytest.param(b'{"writeKey": "cs_abc", "batch": []}', "cs_abc", id="batch"),
        pytest.param(b'{"event": "x"}', None, id="absent"),
        pytest.param(b'{"writeKey": ""}', None, id="empty"),
        pytest.param(b'{"writeKey": 7}', None, id="not a string"),
        pytest.param(b"[1, 2]", None, id="not an object"),
    ],
)
def test_write_key_in_body(body: bytes, expected: str | None) -> None:
    assert write_key_in(body) == expected


def test_a_body_that_is_not_json_is_a_400_naming_the_problem() -> None:
    with pytest.raises(MalformedRequest) as raised:
        write_key_in(b"{nope")
    assert raised.value.code == "malformed_json"


def test_an_authorization_header_wins_over_the_body() -> None:
    assert authorization_for("Basic Y3NfaGVhZGVyOg==", b'{"writeKey": "cs_body"}') == "Basic Y3NfaGVhZGVyOg=="
    assert authorization_for(None, b'{"writeKey": "cs_body"}') == "Bearer cs_body"
    assert authorization_for(None, b"{}") is None


def test_each_call_type_has_its_first_letter_as_path() -> None:
    # analytics-next: path = ctx.event.type.charAt(0); batches go to /b
    assert {letter: call for letter, call in SHORT_PATHS.items() if call != "batch"} == {
        call[0]: call for call in ("track", "identify", "page", "screen", "group", "alias")
    }
    assert SHORT_PATHS["b"] == "batch"
