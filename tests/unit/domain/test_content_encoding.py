"""decode_body: gzip and deflate undone, identity ignored, unknown codings, broken streams and bombs refused."""

from __future__ import annotations

import gzip
import zlib

import pytest

from customersignal.domain.content_encoding import codings, decode_body
from customersignal.domain.errors import DomainError, MalformedRequest, PayloadTooLarge, UnsupportedMediaType

pytestmark = pytest.mark.unit

BODY = b'{"event_type": "signup", "user_id": "u1"}'
LIMIT = 1024


def refusal(body: bytes, header: str | None, limit: int = LIMIT) -> DomainError:
    with pytest.raises(DomainError) as raised:
        decode_body(body, header, max_bytes=limit)
    return raised.value


@pytest.mark.parametrize(
    ("header", "encoded"),
    [
        (None, BODY),
        ("", BODY),
        ("identity", BODY),
        ("gzip", gzip.compress(BODY)),
        ("GZip", gzip.compress(BODY)),  # codings are case-insensitive (RFC 9110 8.4.1)
        ("x-gzip", gzip.compress(BODY)),
        ("deflate", zlib.compress(BODY)),
        ("gzip, deflate", zlib.compress(gzip.compress(BODY))),  # listed in the order applied
        ("identity, gzip", gzip.compress(BODY)),
    ],
)
def test_each_supported_coding_gives_back_the_body(header: str | None, encoded: bytes) -> None:
    assert decode_body(encoded, header, max_bytes=LIMIT) == BODY


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "base64"])
def test_an_unknown_coding_is_415_naming_it(coding: str) -> None:
    error = refusal(gzip.compress(BODY), f"gzip, {coding}")
    assert isinstance(error, UnsupportedMediaType)
    assert (error.code, error.field) == ("unsupported_content_encoding", "Content-Encoding")
    assert f"'{coding}'" in error.message


def test_codings_lists_what_to_undo_without_identity() -> None:
    assert codings("identity, gzip ,Deflate") == ["gzip", "deflate"]


@pytest.mark.parametrize(
    ("header", "body", "reason"),
    [
        ("gzip", gzip.compress(BODY)[:-6], "truncated"),  # the trailer's CRC and length cut off
        ("gzip", gzip.compress(BODY)[:12], "truncated"),
        ("gzip", b"PK\x03\x04" + gzip.compress(BODY), "incorrect header check"),  # a zip file: wrong magic
        ("gzip", b"PK\x03\x04" + gzip.compress(BODY)[4:], "incorrect header check"),
        ("deflate", gzip.compress(BODY), "incorrect header check"),  # gzip sent as deflate
        ("gzip", gzip.compress(BODY) + b"garbage", "after the end"),
    ],
)
def test_bytes_that_are_not_the_coding_are_400(header: str, body: bytes, reason: str) -> None:
    error = refusal(body, header)
    assert isinstance(error, MalformedRequest)
    assert error.code == "malformed_content_encoding"
    assert reason in error.message


def test_a_bomb_is_413_after_inflating_no_more_than_the_limit() -> None:
    # Given 64 MB of zeros compressed to about 64 KB
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100 * 1024
    # When it is decoded with a 1 KB limit, Then it is refused as too large
    error = refusal(bomb, "gzip")
    assert isinstance(error, PayloadTooLarge)
    assert error.code == "request_too_large"


def test_the_bound_is_inclusive() -> None:
    exact = b"x" * LIMIT
    assert decode_body(gzip.compress(exact), "gzip", max_bytes=LIMIT) == exact
    assert isinstance(refusal(gzip.compress(exact + b"x"), "gzip"), PayloadTooLarge)


@pytest.mark.parametrize("header", ["gzip", "deflate", "gzip, deflate"])
@pytest.mark.parametrize("body", [BODY, b"  \n[" + BODY + b"]"])
def test_a_body_the_gateway_already_inflated_is_taken_as_it_is(header: str, body: bytes) -> None:
    """A REST API with compression enabled may inflate the body and keep the header: no stream of either
    coding can start with '{' or '[', so such a body is plain JSON, not a malformed stream."""
    assert decode_body(body, header, max_bytes=LIMIT) == body
