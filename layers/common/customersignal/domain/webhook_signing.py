"""Standard-Webhooks signatures for alert notifications, and the envelope that carries them inside SNS.

The signature is HMAC-SHA256 over ``"{webhook_id}.{timestamp}.".encode() + body``, and it is sent as
``v1,<base64>``. Several of them can be separated by spaces, one per secret while keys rotate. Secrets are
``whsec_`` followed by the base64 of 24 to 64 random bytes.

SNS sets its own headers, so the id, the timestamp and the signature travel inside the SNS ``Message``. That
field is this JSON object (keys in this order, compact, ASCII)::

    {"webhook_id":"<id>","webhook_timestamp":<int seconds>,"webhook_signature":"v1,<b64>[ v1,<b64>]",
     "payload_json":"<the alert payload as compact JSON text>"}

The signed body is the UTF-8 bytes of the *string value* of ``payload_json``. The payload travels as text
and never as a nested object, so nobody has to re-serialise it to check the signature: any JSON parser gives
the same string, and the string gives the same bytes. A receiver can pass that string as the body to any
Standard-Webhooks library, with the other three fields as the ``webhook-*`` headers. ``envelope`` writes it
with sorted keys, no spaces and ASCII only, but verifiers must use the text as received. Webhook ids are
printable ASCII without spaces or ``.``, so ``id.timestamp.body`` splits only one way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
SECRET_BYTES = 32
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64
DEFAULT_TOLERANCE_S = 300
MAX_SIGNATURES = 16
_WEBHOOK_ID = re.compile(r"[\x21-\x2d\x2f-\x7e]{1,256}")  # printable ASCII except "." and space
_FIELDS = ("webhook_id", "webhook_timestamp", "webhook_signature", "payload_json")

Reason = Literal["malformed", "bad_signature", "too_old", "too_new"]
Secrets = str | Sequence[str]


class WebhookVerificationError(Exception):
    """The message is unreadable, not signed with our secret, or outside the timestamp tolerance."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: Reason = reason
        self.detail = detail


class WebhookEnvelope(NamedTuple):
    """What ``open_envelope`` reads. ``payload`` holds the exact signed bytes: verify them, then parse."""

    webhook_id: str
    timestamp: int
    signature: str
    payload: bytes


def new_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def sign(secret: Secrets, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The signature header value ``v1,<b64>``, with one signature per secret if given several."""
    _require(_valid_id(webhook_id), "the webhook id must be 1-256 printable ASCII characters without '.'")
    _require(_valid_timestamp(timestamp), "the timestamp must be a non-negative int (seconds)")
    signed = _signed_bytes(webhook_id, timestamp, body)
    return " ".join("v1," + base64.b64encode(_mac(key, signed)).decode("ascii") for key in _keys(secret))


def verify(
    secret: Secrets,
    webhook_id: str,
    timestamp: int,
    body: bytes,
    signature_header: str,
    now: int,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> None:
    """Raise ``WebhookVerificationError`` unless one ``v1`` signature matches one secret within the tolerance.

    Authenticity comes first: an old or future timestamp is only reported for a message that we signed.
    A bad secret is a configuration error and raises ``ValueError`` instead.
    """
    keys = _keys(secret)
    if not _valid_id(webhook_id) or not _valid_timestamp(timestamp):
        raise WebhookVerificationError("malformed", "the webhook id or timestamp is invalid")
    candidates = _candidates(signature_header)
    signed = _signed_bytes(webhook_id, timestamp, body)
    matched = False
    for key in keys:
        expected = _mac(key, signed)
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookVerificationError("bad_signature", "no signature matches the secret")
    if timestamp < now - tolerance_s:
        raise WebhookVerificationError("too_old", f"signed {now - timestamp} s ago, tolerance {tolerance_s} s")
    if timestamp > now + tolerance_s:
        raise WebhookVerificationError("too_new", f"signed {timestamp - now} s ahead, tolerance {tolerance_s} s")


def envelope(webhook_id: str, timestamp: int, payload: dict[str, Any], secret: Secrets) -> str:
    """The SNS ``Message`` text for ``payload`` (a JSON object; convert UUIDs and datetimes first)."""
    payload_json = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=True, allow_nan=False)
    signature = sign(secret, webhook_id, timestamp, payload_json.encode("ascii"))
    fields = {"webhook_id": webhook_id, "webhook_timestamp": timestamp, "webhook_signature": signature}
    return json.dumps(fields | {"payload_json": payload_json}, separators=(",", ":"))


def open_envelope(message: str) -> WebhookEnvelope:
    """Read an SNS ``Message`` written by ``envelope``. It is not verified yet: call ``verify`` next."""
    try:
        fields = json.loads(message, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as error:
        raise WebhookVerificationError("malformed", "the message is not JSON") from error
    if not isinstance(fields, dict) or not all(name in fields for name in _FIELDS):
        raise WebhookVerificationError("malformed", f"the message must be an object with {', '.join(_FIELDS)}")
    webhook_id, timestamp, signature, payload_json = (fields[name] for name in _FIELDS)
    if not (_valid_id(webhook_id) and _valid_timestamp(timestamp)):
        raise WebhookVerificationError("malformed", "webhook_id or webhook_timestamp is invalid")
    if not (isinstance(signature, str) and isinstance(payload_json, str)):
        raise WebhookVerificationError("malformed", "webhook_signature and payload_json must be strings")
    try:
        payload = payload_json.encode("utf-8")
    except UnicodeEncodeError as error:
        raise WebhookVerificationError("malformed", "payload_json is not valid Unicode") from error
    return WebhookEnvelope(webhook_id, timestamp, signature, payload)


def _keys(secret: Secrets) -> list[bytes]:
    keys = [_key(one) for one in ([secret] if isinstance(secret, str) else secret)]
    _require(bool(keys), "at least one webhook secret is needed")
    return keys


def _key(secret: str) -> bytes:
    problem = f"a webhook secret must be '{SECRET_PREFIX}' + base64 of {MIN_KEY_BYTES}-{MAX_KEY_BYTES} bytes"
    _require(isinstance(secret, str) and secret.startswith(SECRET_PREFIX), problem)
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(problem) from None  # the secret must not end up in a traceback
    _require(MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES, problem)
    return key


def _candidates(header: str) -> list[bytes]:
    entries = header.split() if isinstance(header, str) else []
    if len(entries) > MAX_SIGNATURES:
        raise WebhookVerificationError("malformed", f"more than {MAX_SIGNATURES} signatures")
    found = []
    for entry in entries:
        version, _, value = entry.partition(",")
        if version == "v1" and value:  # other schemes (v1a: asymmetric) are not ours to check
            try:
                found.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                continue
    if not found:
        raise WebhookVerificationError("malformed", "no readable v1 signature")
    return found


def _signed_bytes(webhook_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{webhook_id}.{timestamp}.".encode("ascii") + body


def _mac(key: bytes, signed: bytes) -> bytes:
    return hmac.new(key, signed, hashlib.sha256).digest()


def _valid_id(webhook_id: object) -> bool:
    return isinstance(webhook_id, str) and _WEBHOOK_ID.fullmatch(webhook_id) is not None


def _valid_timestamp(timestamp: object) -> bool:
    return type(timestamp) is int and timestamp >= 0  # bool is an int, but not a timestamp


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(problem)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise ValueError("duplicate key")  # another parser could read the other value
    return fields
