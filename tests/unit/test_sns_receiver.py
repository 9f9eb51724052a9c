"""SNS signature verification, subscription confirmation and the example receiver, with our own RSA certificate."""

from __future__ import annotations

import base64
import http.server
import io
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.util import setup_testing_defaults

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from customersignal.domain.webhook_signing import envelope, new_secret
from customersignal.receiver.app import SeenIds, WebhookReceiver
from customersignal.receiver.sns_verify import (
    LOCALSTACK_HOST_PATTERN,
    CertificateUnavailable,
    SnsVerificationError,
    VerifiedSnsMessage,
    cached_fetcher,
    confirm_subscription,
    https_get,
    verify_sns_message,
)
from tests.support.waits import scaled

pytestmark = pytest.mark.unit

TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
SUBSCRIBE_URL = f"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=tok123"
LOCAL_CERT_URL = "http://127.0.0.1:4566/_aws/sns/SimpleNotificationService-6c6f63616c737461636b.pem"
NOW = 1_800_000_000
SECRET, OTHER_ENDPOINT_SECRET = new_secret(), new_secret()
PAYLOAD = {"rule": "signups drop", "state": "FIRING", "observed": 3, "threshold": 10}
# The field order AWS documents, written out here independently of the module under test
SIGNED_FIELDS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
    "UnsubscribeConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
}
OTHER_TYPE = {
    "Notification": "UnsubscribeConfirmation",
    "SubscriptionConfirmation": "UnsubscribeConfirmation",
    "UnsubscribeConfirmation": "SubscriptionConfirmation",
}
KINDS = ["Notification", "Notification without Subject", "SubscriptionConfirmation", "UnsubscribeConfirmation"]


def self_signed(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=400))
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def aws_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def cert_pem(aws_key: rsa.RSAPrivateKey) -> bytes:
    return self_signed(aws_key)


class FakeFetch:
    def __init__(self, pem: bytes) -> None:
        self.pem, self.urls = pem, list[str]()

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pem


@pytest.fixture
def fetch(cert_pem: bytes) -> FakeFetch:
    return FakeFetch(cert_pem)


def fields_of(kind: str, webhook_id: str = "rule-1:FIRING:1800000000", secret: str = SECRET) -> dict[str, Any]:
    common = {
        "MessageId": "9b7c1d2e-0000-4000-8000-000000000001",
        "TopicArn": TOPIC,
        "Timestamp": "2027-01-15T08:00:00.000Z",
    }
    if kind.startswith("Notification"):
        subject = {} if "without" in kind else {"Subject": "CustomerSignal alert"}
        unsubscribe = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + TOPIC + ":sub"
        attributes = {"tenant": {"Type": "String", "Value": "t1"}}
        message = envelope(webhook_id, NOW, PAYLOAD, secret)
        extra = {"UnsubscribeURL": unsubscribe, "MessageAttributes": attributes}
        return common | subject | extra | {"Type": "Notification", "Message": message}
    return common | {
        "Type": kind,
        "Message": "You have chosen to subscribe...",
        "SubscribeURL": SUBSCRIBE_URL,
        "Token": "tok123",
    }


def sns_sign(
    fields: dict[str, Any], key: rsa.RSAPrivateKey, version: str = "2", cert_url: str = CERT_URL
) -> dict[str, Any]:
    text = "".join(f"{name}\n{fields[name]}\n" for name in SIGNED_FIELDS[fields["Type"]] if name in fields)
    algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303 - SignatureVersion 1 is SHA1
    signature = key.sign(text.encode(), padding.PKCS1v15(), algorithm)
    return fields | {
        "SignatureVersion": version,
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": cert_url,
    }


def check(message: dict[str, Any], fetch: Callable[[str], bytes], **options: Any) -> VerifiedSnsMessage:
    return verify_sns_message(message, allowed_topic_arns=options.pop("topics", {TOPIC}), fetch_cert=fetch, **options)


def reason_of(message: dict[str, Any], fetch: Callable[[str], bytes], **options: Any) -> str:
    with pytest.raises(SnsVerificationError) as caught:
        check(message, fetch, **options)
    return caught.value.reason


# --- verify_sns_message ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("kind", KINDS)
def test_genuine_messages_verify(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch, kind: str, version: str) -> None:
    fields = fields_of(kind)
    verified = check(sns_sign(fields, aws_key, version), fetch)
    assert (verified.type, verified.topic_arn, verified.message) == (fields["Type"], TOPIC, fields["Message"])
    assert verified.subject == fields.get("Subject")
    assert verified.subscribe_url == fields.get("SubscribeURL")
    assert fetch.urls == [CERT_URL]


@pytest.mark.parametrize(
    ("kind", "field"),
    [pytest.param(kind, field, id=f"{kind}.{field}") for kind in KINDS for field in SIGNED_FIELDS[kind.split()[0]]],
)
def test_tampering_with_any_signed_field_fails(
    aws_key: rsa.RSAPrivateKey, fetch: FakeFetch, kind: str, field: str
) -> None:
    # Given a genuine message; When one signed field changes (or Subject is added); Then the signature fails
    message = sns_sign(fields_of(kind), aws_key)
    tampered = message | {field: OTHER_TYPE[message["Type"]] if field == "Type" else message.get(field, "") + "x"}
    with pytest.raises(SnsVerificationError) as caught:
        check(tampered, fetch, topics={TOPIC, TOPIC + "x"})
    assert caught.value.reason in ({"malformed", "bad_signature"} if field == "Type" else {"bad_signature"})


def test_unsigned_fields_are_not_covered(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch) -> None:
    # which is why the receiver trusts only the signed fields and its own HMAC
    message = sns_sign(fields_of("Notification"), aws_key)
    check(message | {"UnsubscribeURL": "https://evil.example/", "MessageAttributes": {}}, fetch)


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(
            lambda m, k, o: base64.b64encode(b"\x00" + base64.b64decode(m["Signature"])[1:]).decode(), id="flipped"
        ),
        pytest.param(lambda m, k, o: sns_sign(m, o)["Signature"], id="another key"),
        pytest.param(lambda m, k, o: sns_sign(m, k, version="1")["Signature"], id="SHA1 signature labelled 2"),
    ],
)
def test_bad_signatures_fail(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch, signature: Any) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = sns_sign(fields_of("Notification"), aws_key)
    assert reason_of(message | {"Signature": signature(message, aws_key, other)}, fetch) == "bad_signature"


def test_a_wrong_topic_is_refused_before_fetching(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch) -> None:
    message = sns_sign(fields_of("Notification") | {"TopicArn": TOPIC.replace("alerts", "other")}, aws_key)
    assert reason_of(message, fetch) == "unexpected_topic"
    assert fetch.urls == []


def test_allowed_topics_must_be_a_collection(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch) -> None:
    with pytest.raises(TypeError, match="collection"):
        check(sns_sign(fields_of("Notification"), aws_key), fetch, topics=TOPIC)


@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        pytest.param("3", {"1", "2"}, id="unknown version"),
        pytest.param(2, {"1", "2"}, id="a number"),
        pytest.param(["2"], {"1", "2"}, id="a list"),
        pytest.param(None, {"1", "2"}, id="missing"),
        pytest.param("1", {"2"}, id="SHA1 when only 2 is accepted"),
    ],
)
def test_signature_versions(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch, version: Any, accepted: set[str]) -> None:
    message = sns_sign(fields_of("Notification"), aws_key, version="1") | {"SignatureVersion": version}
    assert reason_of(message, fetch, signature_versions=accepted) == "unsupported_signature_version"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(CERT_URL.replace("https", "http"), id="http"),
        pytest.param("https://evil.example/SimpleNotificationService-1.pem", id="another host"),
        pytest.param("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", id="SNS host as a prefix"),
        pytest.param("https://evil.example/sns.us-east-1.amazonaws.com/x.pem", id="SNS host in the path"),
        pytest.param("https://sns.us-east-1.amazonaws.com@evil.example/x.pem", id="SNS host as user info"),
        pytest.param("https://evil.example\\@sns.us-east-1.amazonaws.com/x.pem", id="backslash user info"),
        pytest.param("https://sns.us-east-1.amazonaws.com:8443/x.pem", id="another port"),
        pytest.param("https://sns.us-east-1.amazonaws.com/x.txt", id="not .pem"),
        pytest.param("https://sns.us-east-1.amazonaws.com/x.pem?.pem", id="query"),
        pytest.param(CERT_URL + "\n", id="trailing newline"),
        pytest.param("https://sqs.us-east-1.amazonaws.com/x.pem", id="another AWS service"),
        pytest.param("https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/x.pem", id="S3"),
        pytest.param("https://sns.us-east-1.amazonaws.com.cn.evil.example/x.pem", id="China suffix abuse"),
        pytest.param(LOCAL_CERT_URL, id="LocalStack without local mode"),
        pytest.param("https://[::1/x.pem", id="unparseable"),
        pytest.param(None, id="missing"),
    ],
)
def test_certificate_urls_off_sns_hosts_are_refused(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch, url: str) -> None:
    message = sns_sign(fields_of("Notification"), aws_key) | {"SigningCertURL": url}
    assert reason_of(message, fetch) == "bad_url"
    assert fetch.urls == []


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-a.pem",
    ],
)
def test_certificate_urls_in_every_partition(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch, url: str) -> None:
    check(sns_sign(fields_of("Notification"), aws_key, cert_url=url), fetch)
    assert fetch.urls == [url]


def test_local_mode_trusts_localstack_only_when_asked(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch) -> None:
    message = sns_sign(fields_of("Notification"), aws_key, cert_url=LOCAL_CERT_URL)
    assert reason_of(message, fetch, allowed_cert_host_pattern=LOCALSTACK_HOST_PATTERN) == "bad_url"  # http still off
    check(message, fetch, allowed_cert_host_pattern=LOCALSTACK_HOST_PATTERN, allow_http=True)
    assert fetch.urls == [LOCAL_CERT_URL]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"Message": None}, "malformed", id="no Message"),
        pytest.param({"Message": 7}, "malformed", id="Message not a string"),
        pytest.param({"Timestamp": None}, "malformed", id="no Timestamp"),
        pytest.param({"Signature": "!!!"}, "malformed", id="Signature not base64"),
        pytest.param({"Signature": 7}, "malformed", id="Signature not a string"),
        pytest.param({"Type": "Other"}, "unsupported_type", id="unknown Type"),
        pytest.param({"Type": ["Notification"]}, "unsupported_type", id="Type a list"),
    ],
)
def test_malformed_messages(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch, change: dict[str, Any], reason: str) -> None:
    message = {k: v for k, v in (sns_sign(fields_of("Notification"), aws_key) | change).items() if v is not None}
    assert reason_of(message, fetch) == reason


def test_a_body_that_is_not_an_object_is_malformed(fetch: FakeFetch) -> None:
    assert reason_of(["Type", "Notification"], fetch) == "malformed"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fetcher",
    [
        pytest.param(lambda url: (_ for _ in ()).throw(OSError("timed out")), id="fetch fails"),
        pytest.param(lambda url: b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", id="not a cert"),
        pytest.param(lambda url: self_signed(ec.generate_private_key(ec.SECP256R1())), id="not an RSA key"),
    ],
)
def test_an_unusable_certificate_is_retryable(aws_key: rsa.RSAPrivateKey, fetcher: Callable[[str], bytes]) -> None:
    with pytest.raises(CertificateUnavailable):
        check(sns_sign(fields_of("Notification"), aws_key), fetcher)


def test_cached_fetcher_fetches_each_url_once_and_does_not_cache_failures(
    aws_key: rsa.RSAPrivateKey, cert_pem: bytes
) -> None:
    calls: list[str] = []

    def flaky(url: str) -> bytes:
        calls.append(url)
        if len(calls) == 1:
            raise OSError("first try fails")
        return cert_pem

    cached = cached_fetcher(flaky)
    message = sns_sign(fields_of("Notification"), aws_key)
    with pytest.raises(CertificateUnavailable):
        check(message, cached)
    check(message, cached)
    check(message, cached)
    assert calls == [CERT_URL, CERT_URL]


# --- confirm_subscription -------------------------------------------------------------------------------------


def test_confirmation_gets_the_subscribe_url_once(aws_key: rsa.RSAPrivateKey, fetch: FakeFetch) -> None:
    gets: list[str] = []
    verified = check(sns_sign(fields_of("SubscriptionConfirmation"), aws_key), fetch)
    assert confirm_subscription(verified, gets.append) == SUBSCRIBE_URL
    assert gets == [SUBSCRIBE_URL]


@pytest.mark.parametrize(
    ("kind", "subscribe_url"),
    [
        pytest.param("Notification", SUBSCRIBE_URL, id="not a confirmation"),
        pytest.param("UnsubscribeConfirmation", SUBSCRIBE_URL, id="an unsubscribe confirmation"),
        pytest.param("SubscriptionConfirmation", "https://evil.example/?Action=ConfirmSubscription", id="another host"),
        pytest.param("SubscriptionConfirmation", SUBSCRIBE_URL.replace("https", "http"), id="http"),
        pytest.param("SubscriptionConfirmation", SUBSCRIBE_URL.replace("alerts", "other"), id="another topic"),
        pytest.param("SubscriptionConfirmation", SUBSCRIBE_URL.replace("Confirm", "Un"), id="another action"),
    ],
)
def test_confirmation_refuses_anything_else(
    aws_key: rsa.RSAPrivateKey, fetch: FakeFetch, kind: str, subscribe_url: str
) -> None:
    gets: list[str] = []
    fields = fields_of(kind) | ({"SubscribeURL": subscribe_url} if kind == "SubscriptionConfirmation" else {})
    verified = check(sns_sign(fields, aws_key), fetch)
    with pytest.raises(SnsVerificationError):
        confirm_subscription(verified, gets.append)
    assert gets == []


# --- the example receiver -------------------------------------------------------------------------------------


class Harness:
    def __init__(self, fetch: Callable[[str], bytes], **options: Any) -> None:
        self.alerts: list[tuple[str, dict[str, Any]]] = []
        self.gets: list[str] = []
        self.now = float(NOW)
        self.fail_next = False
        self.app = WebhookReceiver(
            topic_arns={TOPIC}, secret=SECRET, on_alert=self.on_alert, fetch_cert=fetch,
            http_get=options.pop("http_get", self.gets.append), clock=lambda: self.now, **options,
        )  # fmt: skip

    def on_alert(self, webhook_id: str, payload: dict[str, Any]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("downstream is down")
        self.alerts.append((webhook_id, payload))

    def post(self, body: bytes | dict[str, Any], method: str = "POST", length: str | None = None) -> tuple[int, str]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        environ: dict[str, Any] = {"REQUEST_METHOD": method, "wsgi.input": io.BytesIO(raw)}
        environ["CONTENT_LENGTH"] = str(len(raw)) if length is None else length
        setup_testing_defaults(environ)
        statuses: list[str] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            statuses.append(status)
            return lambda data: None

        response = b"".join(self.app(environ, start_response))
        return int(statuses[0].split()[0]), json.loads(response)["status"]


@pytest.fixture
def harness(fetch: FakeFetch) -> Harness:
    return Harness(fetch)


def test_the_receiver_confirms_a_subscription(harness: Harness, aws_key: rsa.RSAPrivateKey) -> None:
    assert harness.post(sns_sign(fields_of("SubscriptionConfirmation"), aws_key)) == (200, "confirmed")
    assert harness.gets == [SUBSCRIBE_URL]
    assert harness.alerts == []


def test_a_failed_confirmation_asks_sns_to_retry(fetch: FakeFetch, aws_key: rsa.RSAPrivateKey) -> None:
    def unreachable(url: str) -> bytes:
        raise urllib.error.URLError("unreachable")

    harness = Harness(fetch, http_get=unreachable)
    assert harness.post(sns_sign(fields_of("SubscriptionConfirmation"), aws_key)) == (502, "confirmation_failed")


def test_the_receiver_delivers_a_notification_once(harness: Harness, aws_key: rsa.RSAPrivateKey) -> None:
    message = sns_sign(fields_of("Notification"), aws_key)
    assert harness.post(message) == (200, "accepted")
    assert harness.alerts == [("rule-1:FIRING:1800000000", PAYLOAD)]
    # an SNS retry, a replay by whoever captured it, or our republish under a new SNS MessageId: all dropped
    assert harness.post(message) == (200, "duplicate")
    assert harness.post(sns_sign(fields_of("Notification") | {"MessageId": "another"}, aws_key)) == (200, "duplicate")
    assert len(harness.alerts) == 1
    assert harness.gets == []


def test_another_endpoints_message_is_refused(harness: Harness, aws_key: rsa.RSAPrivateKey) -> None:
    # Given a genuine SNS message from our topic, signed for another tenant's endpoint and forwarded here
    forwarded = sns_sign(fields_of("Notification", secret=OTHER_ENDPOINT_SECRET), aws_key)
    assert harness.post(forwarded) == (403, "webhook_bad_signature")
    assert harness.alerts == []


@pytest.mark.parametrize(
    ("clock_offset", "expected"),
    [
        pytest.param(300, (200, "accepted"), id="at the tolerance"),
        pytest.param(301, (400, "webhook_too_old"), id="too old: never retried"),
        pytest.param(-301, (503, "webhook_too_new"), id="ahead of our clock: retry later"),
    ],
)
def test_the_timestamp_tolerance(
    harness: Harness, aws_key: rsa.RSAPrivateKey, clock_offset: int, expected: tuple[int, str]
) -> None:
    harness.now = NOW + clock_offset
    assert harness.post(sns_sign(fields_of("Notification"), aws_key)) == expected


def test_a_failing_callback_is_retried_and_then_delivered(harness: Harness, aws_key: rsa.RSAPrivateKey) -> None:
    message = sns_sign(fields_of("Notification"), aws_key)
    harness.fail_next = True
    assert harness.post(message) == (500, "callback_failed")
    assert harness.post(message) == (200, "accepted")
    assert len(harness.alerts) == 1


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        pytest.param(
            lambda m: m | {"Message": m["Message"].replace("FIRING", "OK")}, (403, "sns_bad_signature"), id="SNS"
        ),
        pytest.param(lambda m: m | {"TopicArn": TOPIC + "2"}, (403, "sns_unexpected_topic"), id="topic"),
        pytest.param(
            lambda m: m | {"SigningCertURL": "https://evil.example/x.pem"}, (403, "sns_bad_url"), id="cert URL"
        ),
        pytest.param(lambda m: m | {"SignatureVersion": "1"}, (403, "sns_unsupported_signature_version"), id="SHA1"),
        pytest.param(lambda m: {"Type": "Notification"}, (400, "sns_malformed"), id="SNS fields missing"),
    ],
)
def test_the_receiver_refuses_non_genuine_messages(
    harness: Harness, aws_key: rsa.RSAPrivateKey, tamper: Any, expected: tuple[int, str]
) -> None:
    assert harness.post(tamper(sns_sign(fields_of("Notification"), aws_key))) == expected
    assert harness.alerts == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("plain text", (400, "webhook_malformed"), id="not our envelope"),
        pytest.param(json.dumps({"webhook_id": "x"}), (400, "webhook_malformed"), id="envelope fields missing"),
    ],
)
def test_the_receiver_refuses_a_genuine_message_without_our_envelope(
    harness: Harness, aws_key: rsa.RSAPrivateKey, message: str, expected: tuple[int, str]
) -> None:
    assert harness.post(sns_sign(fields_of("Notification") | {"Message": message}, aws_key)) == expected


def test_a_payload_that_is_not_an_object_is_refused(harness: Harness, aws_key: rsa.RSAPrivateKey) -> None:
    from customersignal.domain.webhook_signing import sign

    inner = {
        "webhook_id": "m",
        "webhook_timestamp": NOW,
        "webhook_signature": sign(SECRET, "m", NOW, b"[1]"),
        "payload_json": "[1]",
    }
    message = sns_sign(fields_of("Notification") | {"Message": json.dumps(inner)}, aws_key)
    assert harness.post(message) == (400, "webhook_malformed")


def test_unusable_certificates_ask_sns_to_retry(aws_key: rsa.RSAPrivateKey) -> None:
    def down(url: str) -> bytes:
        raise OSError("connection refused")

    assert Harness(down).post(sns_sign(fields_of("Notification"), aws_key)) == (503, "certificate_unavailable")


def test_unsubscribe_confirmations_are_acknowledged(harness: Harness, aws_key: rsa.RSAPrivateKey) -> None:
    assert harness.post(sns_sign(fields_of("UnsubscribeConfirmation"), aws_key)) == (200, "ignored")
    assert harness.gets == []


@pytest.mark.parametrize(
    ("body", "method", "length", "expected"),
    [
        pytest.param(b"{}", "GET", None, (405, "method_not_allowed"), id="GET"),
        pytest.param(b"{}", "POST", "", (411, "length_required"), id="no length"),
        pytest.param(b"{}", "POST", "-1", (411, "length_required"), id="negative length"),
        pytest.param(b"{}", "POST", str(600 * 1024), (413, "too_large"), id="too large"),
        pytest.param(b"{not json", "POST", None, (400, "malformed"), id="not JSON"),
        pytest.param(b"\xff\xfe", "POST", None, (400, "malformed"), id="not UTF-8"),
    ],
)
def test_http_level_refusals(
    harness: Harness, body: bytes, method: str, length: str | None, expected: tuple[int, str]
) -> None:
    assert harness.post(body, method, length) == expected


def test_the_receiver_trusts_localstack_only_in_local_mode(fetch: FakeFetch, aws_key: rsa.RSAPrivateKey) -> None:
    fields = fields_of("SubscriptionConfirmation")
    fields["SubscribeURL"] = f"http://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=tok123"
    message = sns_sign(fields, aws_key, version="1", cert_url=LOCAL_CERT_URL)
    default = Harness(fetch, signature_versions={"1", "2"})
    assert default.post(message) == (403, "sns_bad_url")
    local = Harness(fetch, signature_versions={"1", "2"}, local_sns_host_pattern=LOCALSTACK_HOST_PATTERN)
    assert local.post(message) == (200, "confirmed")
    assert local.gets == [fields["SubscribeURL"]]


def test_a_bad_secret_fails_at_start_up(fetch: FakeFetch) -> None:
    with pytest.raises(ValueError, match="whsec_"):
        WebhookReceiver(topic_arns={TOPIC}, secret="not-a-secret", on_alert=lambda i, p: None, fetch_cert=fetch)


def test_a_rotating_receiver_accepts_the_old_and_new_secret(fetch: FakeFetch, aws_key: rsa.RSAPrivateKey) -> None:
    alerts: list[str] = []
    app = WebhookReceiver(
        topic_arns={TOPIC},
        secret=[OTHER_ENDPOINT_SECRET, SECRET],
        on_alert=lambda i, p: alerts.append(i),
        fetch_cert=fetch,
        clock=lambda: NOW,
    )
    harness = Harness(fetch)
    harness.app = app
    assert harness.post(sns_sign(fields_of("Notification", "a", SECRET), aws_key)) == (200, "accepted")
    assert harness.post(sns_sign(fields_of("Notification", "b", OTHER_ENDPOINT_SECRET), aws_key)) == (200, "accepted")
    assert alerts == ["a", "b"]


def test_seen_ids_are_bounded() -> None:
    seen = SeenIds(max_ids=2)
    assert [seen.claim(i) for i in ["a", "b", "a", "c"]] == [True, True, False, True]
    assert seen.claim("a")  # evicted by "c": size the cache above one tolerance window of alerts
    seen.release("a")
    assert seen.claim("a")


# --- over a real socket ---------------------------------------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(harness: Harness) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, harness.app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_end_to_end_over_http(served: str, harness: Harness, aws_key: rsa.RSAPrivateKey) -> None:
    # Given the receiver on a socket; When SNS-shaped requests arrive as SNS sends them (text/plain)
    for kind in ["SubscriptionConfirmation", "Notification"]:
        body = json.dumps(sns_sign(fields_of(kind), aws_key)).encode()
        request = urllib.request.Request(  # noqa: S310 - a loopback URL built above
            served, data=body, headers={"Content-Type": "text/plain; charset=UTF-8"}
        )
        with urllib.request.urlopen(request, timeout=scaled(5)) as response:  # noqa: S310 - same
            assert response.status == 200
    # Then the subscription is confirmed and the alert delivered
    assert harness.gets == [SUBSCRIBE_URL]
    assert harness.alerts == [("rule-1:FIRING:1800000000", PAYLOAD)]


class _Redirect(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_https_get_refuses_redirects_and_other_schemes() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(urllib.error.HTTPError, match="302"):
            https_get(f"http://127.0.0.1:{server.server_port}/cert.pem")
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(ValueError, match="refusing"):
        https_get("file:///etc/passwd")
