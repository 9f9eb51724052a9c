"""Verify Amazon SNS HTTP(S) messages and confirm subscriptions (stdlib + ``cryptography``).

Steps, following the AWS guide "Verifying the signatures of Amazon SNS messages":

1. Read ``Type``, and accept only a ``TopicArn`` you expect (before fetching anything).
2. Accept only ``SignatureVersion`` "1" (SHA1withRSA) or "2" (SHA256withRSA), or a narrower set.
3. Accept a ``SigningCertURL`` only if it is https with no user info, port or query, ends in ``.pem``, and its
   host matches ``sns.<region>.amazonaws.com(.cn)``. The certificate is trusted because it comes from there
   over verified TLS, so the fetcher (``https_get``) checks TLS and follows no redirects.
4. Build the string to sign, ``"Name\\nvalue\\n"`` per field in this order:
   Notification: Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type.
   (Un)SubscriptionConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
5. Verify the base64 ``Signature`` with the certificate's RSA key, PKCS#1 v1.5.

``UnsubscribeURL``, ``MessageAttributes`` and the ``x-amz-sns-*`` headers are not signed. Every subscriber of
the topic gets validly signed messages, so only the per-endpoint HMAC inside shows a message is meant for you.
LocalStack serves its certificate over http from its own host: allow that explicitly with
``allowed_cert_host_pattern=LOCALSTACK_HOST_PATTERN, allow_http=True``, never by default.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import urllib.request
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import IO, Any, Literal
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AWS_SNS_HOST_PATTERN = r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"
LOCALSTACK_HOST_PATTERN = r"^(localhost|127\.0\.0\.1|localhost\.localstack\.cloud)$"
SIGNATURE_VERSIONS = frozenset({"1", "2"})
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
}
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

Reason = Literal[
    "malformed", "unsupported_type", "unexpected_topic", "unsupported_signature_version", "bad_url", "bad_signature"
]


class SnsVerificationError(Exception):
    """The message is not a genuine SNS message from an expected topic (or not one we can read)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: Reason = reason
        self.detail = detail


class CertificateUnavailable(Exception):
    """The signing certificate could not be fetched or read: transient, so ask SNS to retry."""


@dataclass(frozen=True)
class VerifiedSnsMessage:
    """The signed fields of a message whose signature checked out."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    subject: str | None = None
    subscribe_url: str | None = None
    token: str | None = None


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """The canonical text SNS signs for this message type."""
    kind = message.get("Type")
    fields = _FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise SnsVerificationError("unsupported_type", f"Type {kind!r} is not an SNS message type")
    lines = []
    for name in fields:
        value = message.get(name)
        if name == "Subject" and value is None:
            continue
        if not isinstance(value, str):
            raise SnsVerificationError("malformed", f"{name} is missing or not a string")
        lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode("utf-8")


def check_sns_url(url: object, *, host_pattern: str = AWS_SNS_HOST_PATTERN, allow_http: bool = False) -> str:
    """Return ``url`` if it is https on an SNS host (plain http and any port only with ``allow_http``)."""
    if not isinstance(url, str) or not url.isascii() or not url.isprintable() or " " in url:
        raise SnsVerificationError("bad_url", "the URL is missing or has unexpected characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SnsVerificationError("bad_url", f"{url} is not a valid URL") from None
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise SnsVerificationError("bad_url", f"{url} is not https")
    if "@" in parts.netloc or (port not in (None, 443) and not allow_http):
        raise SnsVerificationError("bad_url", f"{url} has user info or a port")
    if not parts.hostname or not re.fullmatch(host_pattern, parts.hostname):
        raise SnsVerificationError("bad_url", f"{url} is not on an SNS host")
    return url


def verify_sns_message(
    message: Mapping[str, Any],
    *,
    allowed_topic_arns: Collection[str],
    fetch_cert: Callable[[str], bytes],
    allowed_cert_host_pattern: str = AWS_SNS_HOST_PATTERN,
    allow_http: bool = False,
    signature_versions: Collection[str] = SIGNATURE_VERSIONS,
) -> VerifiedSnsMessage:
    """Check topic, signature version, certificate URL and signature; raise ``SnsVerificationError`` if not.

    ``fetch_cert(url)`` returns the PEM bytes (wrap it with ``cached_fetcher``). If it raises, or the PEM
    can't be read, this raises ``CertificateUnavailable``.
    """
    if isinstance(allowed_topic_arns, str):
        raise TypeError("allowed_topic_arns must be a collection of ARNs, not one string")
    if not isinstance(message, Mapping):
        raise SnsVerificationError("malformed", "the body is not a JSON object")
    data = string_to_sign(message)
    if message["TopicArn"] not in allowed_topic_arns:
        raise SnsVerificationError("unexpected_topic", f"{message['TopicArn']!r} is not an expected topic")
    version = message.get("SignatureVersion")
    if not isinstance(version, str) or version not in _HASHES or version not in signature_versions:
        raise SnsVerificationError("unsupported_signature_version", f"SignatureVersion {version!r} is not accepted")
    cert_url = check_sns_url(
        message.get("SigningCertURL"), host_pattern=allowed_cert_host_pattern, allow_http=allow_http
    )
    cert_parts = urlsplit(cert_url)
    if cert_parts.query or cert_parts.fragment or not cert_parts.path.endswith(".pem"):
        raise SnsVerificationError("bad_url", f"{cert_url} is not a plain .pem URL")
    try:
        signature = base64.b64decode(message["Signature"], validate=True)
    except (KeyError, binascii.Error, ValueError, TypeError):
        raise SnsVerificationError("malformed", "Signature is missing or not base64") from None
    try:
        key = _public_key(fetch_cert(cert_url))
    except Exception as error:  # any fetch or parse failure is retryable; the cause is chained
        raise CertificateUnavailable(f"cannot use the certificate at {cert_url}: {error}") from error
    try:
        key.verify(signature, data, padding.PKCS1v15(), _HASHES[version]())
    except InvalidSignature:
        raise SnsVerificationError("bad_signature", "the SNS signature does not match") from None
    return VerifiedSnsMessage(
        type=message["Type"],
        message_id=message["MessageId"],
        topic_arn=message["TopicArn"],
        message=message["Message"],
        timestamp=message["Timestamp"],
        subject=message.get("Subject"),
        subscribe_url=message.get("SubscribeURL"),
        token=message.get("Token"),
    )


def confirm_subscription(
    verified: VerifiedSnsMessage,
    http_get: Callable[[str], object],
    *,
    allowed_host_pattern: str = AWS_SNS_HOST_PATTERN,
    allow_http: bool = False,
) -> str:
    """GET the SubscribeURL of a *verified* SubscriptionConfirmation and return it.

    The URL must be on an SNS host and confirm the message's own topic. ``http_get`` errors propagate.
    """
    if verified.type != "SubscriptionConfirmation":
        raise SnsVerificationError("unsupported_type", f"a {verified.type} is not a subscription confirmation")
    url = check_sns_url(verified.subscribe_url, host_pattern=allowed_host_pattern, allow_http=allow_http)
    query = parse_qs(urlsplit(url).query)
    if query.get("Action") != ["ConfirmSubscription"] or query.get("TopicArn") != [verified.topic_arn]:
        raise SnsVerificationError("bad_url", "the SubscribeURL does not confirm this topic")
    http_get(url)
    return url


def cached_fetcher(fetch: Callable[[str], bytes], maxsize: int = 16) -> Callable[[str], bytes]:
    """Remember fetched certificates by URL (SNS rotates them under new URLs). Failures are not cached."""
    return functools.lru_cache(maxsize=maxsize)(fetch)


@functools.lru_cache(maxsize=16)
def _public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = x509.load_pem_x509_certificate(pem).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the SNS signing certificate does not hold an RSA key")
    return key


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Message, newurl: str
    ) -> None:
        return None  # a 3xx becomes an HTTPError: the certificate must come from the SNS host itself


_OPENER = urllib.request.build_opener(_NoRedirects())


def https_get(url: str, *, timeout_s: float = 5.0, max_bytes: int = 64 * 1024) -> bytes:
    """GET with TLS verification (urllib's default), no redirects, a timeout and a size cap."""
    if urlsplit(url).scheme not in {"https", "http"}:  # http only reaches here in local mode
        raise ValueError(f"refusing to fetch {url}")
    with _OPENER.open(url, timeout=timeout_s) as response:
        data: bytes = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(f"{url} returned more than {max_bytes} bytes")
    return data
