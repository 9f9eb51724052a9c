"""Request bodies sent with ``Content-Encoding``: gzip and deflate are decoded, with a bound on the result.

Several server-side SDKs (Segment's analytics-python with ``gzip=True``, its Node and Go libraries) compress
by default, and API Gateway hands the compressed bytes to the function unchanged. Decoding happens only when
the header asks for it, so plain bodies (the hot path) pay one dictionary lookup.

A zip bomb (a few KB inflating to gigabytes) costs at most ``max_bytes + 1`` bytes of output: the inflater is
asked for no more than that (``decompressobj().decompress(data, max_length)``), and a body still producing
output past the limit is refused before anything is parsed.

===========================  ===================================  ================================================
exception                    code                                 when
===========================  ===================================  ================================================
``UnsupportedMediaType``     ``unsupported_content_encoding``     a coding other than gzip, deflate, identity
``MalformedRequest``         ``malformed_content_encoding``       the bytes are not that coding, or are truncated
``PayloadTooLarge``          ``request_too_large``                the decoded body is over ``max_bytes``
===========================  ===================================  ================================================
"""

from __future__ import annotations

import zlib

from customersignal.domain.errors import MalformedRequest, PayloadTooLarge, UnsupportedMediaType

SUPPORTED = ("gzip", "deflate", "identity")
HEADER = "Content-Encoding"
# zlib's wbits: 16 + MAX_WBITS reads a gzip member; MAX_WBITS reads a zlib stream (HTTP's "deflate")
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def codings(header: str | None) -> list[str]:
    """The codings of a Content-Encoding header, in the order they were applied (``identity`` dropped)."""
    if not header:
        return []
    found = [part.strip().lower() for part in header.split(",")]
    unknown = [coding for coding in found if coding not in _WBITS and coding != "identity"]
    if unknown:
        raise UnsupportedMediaType(
            code="unsupported_content_encoding",
            message=f"Content-Encoding '{unknown[0]}' is not supported: send gzip, deflate or an uncompressed body",
            field=HEADER,
        )
    return [coding for coding in found if coding != "identity"]


def decode_body(body: bytes, content_encoding: str | None, *, max_bytes: int) -> bytes:
    """``body`` with the header's codings undone, last applied first; raises as the module docstring says."""
    steps = codings(content_encoding)
    if steps and _plain_json(body):
        # A REST API with compression enabled (MinimumCompressionSize) may inflate the body itself and still
        # pass the header on. Neither a gzip member (1f 8b) nor a zlib stream (CM nibble 8) can begin with
        # '{' or '[', so such a body is already decoded: taking it as is loses no event and guesses nothing.
        return body
    for coding in reversed(steps):
        body = _inflate(body, coding, max_bytes)
    return body


def _plain_json(body: bytes) -> bool:
    return body.lstrip(b" \t\r\n")[:1] in (b"{", b"[")


def _inflate(data: bytes, coding: str, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(_WBITS[coding])
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise _malformed(coding, str(exc)) from None
    if len(out) > max_bytes:
        raise PayloadTooLarge(
            code="request_too_large",
            message=f"the {coding} body inflates to more than {max_bytes} bytes, the limit: send fewer events",
            field=HEADER,
        )
    if not inflater.eof:
        raise _malformed(coding, "the compressed stream ends early (truncated)")
    if inflater.unused_data.strip(b"\0"):
        # gzip allows several members back to back; no SDK sends that, and accepting it would need a loop
        # that shares one bound. Trailing zeros are padding some encoders add.
        raise _malformed(coding, "there are bytes after the end of the compressed stream")
    return out


def _malformed(coding: str, reason: str) -> MalformedRequest:
    return MalformedRequest(
        code="malformed_content_encoding",
        message=f"the body is not valid {coding} ({reason}): compress it as Content-Encoding says, or drop the header",
        field=HEADER,
    )
