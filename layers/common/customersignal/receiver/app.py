"""An example receiver for CustomerSignal alert webhooks: a WSGI app (stdlib + ``cryptography``).

The order for each POST: SNS signature and topic first, then the confirmation (if it is one), then our
envelope, its HMAC and timestamp, then the replay check, then ``on_alert``. SNS retries a 5xx or a timeout
and counts a 4xx as delivered, so a 4xx means "this request will never be good" and a 5xx means "ask again
later". README.md has the table. Run it with ``python -m customersignal.receiver.app --help``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from http import HTTPStatus
from typing import Any
from wsgiref.simple_server import make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from customersignal.domain.webhook_signing import Secrets, WebhookVerificationError, open_envelope, sign, verify
from customersignal.receiver.sns_verify import (
    AWS_SNS_HOST_PATTERN,
    CertificateUnavailable,
    SnsVerificationError,
    VerifiedSnsMessage,
    cached_fetcher,
    confirm_subscription,
    https_get,
    verify_sns_message,
)

log = logging.getLogger("customersignal.receiver")
Result = tuple[int, str]
MAX_BODY_BYTES = 512 * 1024  # SNS messages are at most 256 KB, plus the SNS JSON around them
# bad_signature after a valid SNS signature: every subscriber of the topic receives genuine SNS messages, so this
# may be another endpoint's message forwarded to us. too_new can pass later (clock skew); too_old never will.
_WEBHOOK_STATUS = {"malformed": 400, "bad_signature": 403, "too_old": 400, "too_new": 503}


class SeenIds:
    """The last ``max_ids`` webhook ids accepted (thread-safe). Size it above the alerts of one tolerance window."""

    def __init__(self, max_ids: int) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._max_ids = max_ids
        self._lock = threading.Lock()

    def claim(self, webhook_id: str) -> bool:
        """Record the id; False if it is already there (a replay, or an SNS retry of a delivered message)."""
        with self._lock:
            if webhook_id in self._ids:
                return False
            self._ids[webhook_id] = None
            if len(self._ids) > self._max_ids:
                self._ids.popitem(last=False)
            return True

    def release(self, webhook_id: str) -> None:
        """Forget an id whose handling failed, so that the SNS retry is processed."""
        with self._lock:
            self._ids.pop(webhook_id, None)


class WebhookReceiver:
    """A WSGI app for one webhook endpoint. ``on_alert(webhook_id, payload)`` runs once per webhook id.

    ``secret`` may list several secrets while one rotates. ``local_sns_host_pattern`` is for LocalStack only:
    it trusts certificates and SubscribeURLs on those hosts over plain http and any port.
    """

    def __init__(
        self,
        *,
        topic_arns: Collection[str],
        secret: Secrets,
        on_alert: Callable[[str, dict[str, Any]], None],
        fetch_cert: Callable[[str], bytes] | None = None,
        http_get: Callable[[str], object] | None = None,
        clock: Callable[[], float] = time.time,
        tolerance_s: int = 300,
        max_seen_ids: int = 10_000,
        signature_versions: Collection[str] = frozenset({"2"}),
        local_sns_host_pattern: str | None = None,
    ) -> None:
        sign(secret, "probe", 0, b"")  # a malformed secret fails here, at start-up, not on every message
        self._topic_arns = frozenset(topic_arns)
        self._secret = secret
        self._on_alert = on_alert
        self._fetch_cert = fetch_cert or cached_fetcher(https_get)
        self._http_get = http_get or https_get
        self._clock = clock
        self._tolerance_s = tolerance_s
        self._seen = SeenIds(max_seen_ids)
        self._versions = frozenset(signature_versions)
        self._hosts = local_sns_host_pattern or AWS_SNS_HOST_PATTERN
        self._allow_http = local_sns_host_pattern is not None
        if self._allow_http:
            log.warning("local mode: trusting SNS certificates from hosts matching %s over http", self._hosts)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        status, reason = self._read_and_handle(environ)
        body = json.dumps({"status": reason}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Allow", "POST")]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _read_and_handle(self, environ: WSGIEnvironment) -> Result:
        if environ.get("REQUEST_METHOD") != "POST":
            return 405, "method_not_allowed"
        length = environ.get("CONTENT_LENGTH") or ""
        if not (length.isascii() and length.isdigit()):
            return 411, "length_required"
        if int(length) > MAX_BODY_BYTES:
            return 413, "too_large"
        return self.handle(environ["wsgi.input"].read(int(length)))

    def handle(self, body: bytes) -> Result:
        """Status and reason for one POST body."""
        try:
            message = json.loads(body)
            verified = verify_sns_message(
                message,
                allowed_topic_arns=self._topic_arns,
                fetch_cert=self._fetch_cert,
                allowed_cert_host_pattern=self._hosts,
                allow_http=self._allow_http,
                signature_versions=self._versions,
            )
        except (ValueError, RecursionError):
            return _refuse(400, "malformed", "the body is not JSON")
        except CertificateUnavailable as error:
            log.warning("certificate unavailable: %s", error)
            return 503, "certificate_unavailable"
        except SnsVerificationError as error:
            return _refuse(400 if error.reason == "malformed" else 403, f"sns_{error.reason}", error.detail)
        if verified.type == "SubscriptionConfirmation":
            return self._confirm(verified)
        if verified.type == "UnsubscribeConfirmation":
            return 200, "ignored"
        return self._deliver(verified)

    def _confirm(self, verified: VerifiedSnsMessage) -> Result:
        try:
            confirm_subscription(
                verified, self._http_get, allowed_host_pattern=self._hosts, allow_http=self._allow_http
            )
        except SnsVerificationError as error:
            return _refuse(400, f"sns_{error.reason}", error.detail)
        except OSError:
            log.exception("confirming the subscription to %s failed", verified.topic_arn)
            return 502, "confirmation_failed"
        log.info("confirmed the subscription to %s", verified.topic_arn)
        return 200, "confirmed"

    def _deliver(self, verified: VerifiedSnsMessage) -> Result:
        try:
            env = open_envelope(verified.message)
            now = int(self._clock())
            verify(self._secret, env.webhook_id, env.timestamp, env.payload, env.signature, now, self._tolerance_s)
        except WebhookVerificationError as error:
            return _refuse(_WEBHOOK_STATUS[error.reason], f"webhook_{error.reason}", error.detail)
        payload = _json_object(env.payload)
        if payload is None:
            return _refuse(400, "webhook_malformed", "the payload is not a JSON object")
        if not self._seen.claim(env.webhook_id):
            log.info("dropped a replay of webhook %s", env.webhook_id)
            return 200, "duplicate"
        try:
            self._on_alert(env.webhook_id, payload)
        except Exception:
            self._seen.release(env.webhook_id)
            log.exception("on_alert failed for webhook %s; SNS will retry", env.webhook_id)
            return 500, "callback_failed"
        return 200, "accepted"


def _refuse(status: int, reason: str, detail: str) -> Result:
    log.warning("refused (%d %s): %s", status, reason, detail)
    return status, reason


def _json_object(text: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Receive CustomerSignal alert webhooks and print them.")
    parser.add_argument("--topic-arn", action="append", required=True, help="the alerts topic (repeatable)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--secret-env", default="CS_WEBHOOK_SECRET", help="variable holding the whsec_ secret(s)")
    parser.add_argument("--tolerance", type=int, default=300, help="seconds a webhook timestamp may be off")
    parser.add_argument("--allow-sha1", action="store_true", help="also accept SignatureVersion 1 topics")
    parser.add_argument("--local-sns-hosts", metavar="REGEX", help="LocalStack only: trust these hosts over http")
    args = parser.parse_args(argv)
    secrets = os.environ.get(args.secret_env, "").split()  # space-separated while a secret rotates
    if not secrets:
        parser.error(f"set {args.secret_env} to the endpoint's whsec_ secret")
    logging.basicConfig(level=logging.INFO)
    app = WebhookReceiver(
        topic_arns=args.topic_arn,
        secret=secrets,
        on_alert=lambda webhook_id, payload: print(
            json.dumps({"webhook_id": webhook_id, "payload": payload}), flush=True
        ),
        tolerance_s=args.tolerance,
        signature_versions={"1", "2"} if args.allow_sha1 else {"2"},
        local_sns_host_pattern=args.local_sns_hosts,
    )
    with make_server(args.host, args.port, app) as server:
        log.info("listening on http://%s:%d/", args.host, args.port)
        server.serve_forever()


if __name__ == "__main__":
    main()
