"""Standard-Webhooks signatures and the SNS envelope: spec vector, the reference library, tampering, time, rotation."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from customersignal.domain.webhook_signing import (
    WebhookEnvelope,
    WebhookVerificationError,
    envelope,
    new_secret,
    open_envelope,
    sign,
    verify,
)

pytestmark = pytest.mark.unit

# The example published with the Standard Webhooks spec (and used by its reference libraries' tests)
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
OTHER = "whsec_" + base64.b64encode(bytes(range(100, 132))).decode()
NOW = 1_800_000_000
PAYLOAD: dict[str, Any] = {"rule": "signups drop", "state": "FIRING", "observed": 3, "name": "Zoë ✓", "ok": None}


@pytest.fixture
def reference() -> Any:
    return pytest.importorskip("standardwebhooks").Webhook


def test_the_spec_example_signs_and_verifies() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    verify(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, SPEC_SIGNATURE, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize(
    ("webhook_id", "timestamp", "body"),
    [
        pytest.param(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.decode(), id="spec"),
        pytest.param("rule:7f1c:FIRING:2026-11-27T12:00:00Z", NOW, '{"a":1}', id="transition key"),
        pytest.param("msg_1", 0, "", id="epoch, empty body"),
        pytest.param("msg_2", NOW, '{"name":"Zoë ✓"}', id="UTF-8 body"),
    ],
)
def test_known_answers_agree_with_the_reference_library(
    reference: Any, webhook_id: str, timestamp: int, body: str
) -> None:
    # Given the same secret, id, timestamp and body; Then both implementations produce the same signature
    expected = reference(SECRET).sign(webhook_id, datetime.fromtimestamp(timestamp, UTC), body)
    assert sign(SECRET, webhook_id, timestamp, body.encode()) == expected


def test_the_reference_library_verifies_our_envelope(reference: Any) -> None:
    # Given an envelope signed now; When its fields become Standard-Webhooks headers; Then the reference accepts it
    opened = open_envelope(envelope("msg_ref", int(time.time()), PAYLOAD, SECRET))
    headers = {"webhook-id": opened.webhook_id, "webhook-timestamp": str(opened.timestamp)}
    assert reference(SECRET).verify(opened.payload, headers | {"webhook-signature": opened.signature}) == PAYLOAD


def test_we_verify_the_reference_library_signature(reference: Any) -> None:
    now = int(time.time())
    signature = reference(SECRET).sign("msg_x", datetime.fromtimestamp(now, UTC), '{"a":1}')
    verify(SECRET, "msg_x", now, b'{"a":1}', signature, now=now)


def test_new_secrets_are_random_whsec_keys_the_reference_accepts(reference: Any) -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    one = secrets.pop()
    assert one.startswith("whsec_")
    assert len(base64.b64decode(one.removeprefix("whsec_"), validate=True)) == 32
    assert reference(one).sign("m", datetime.fromtimestamp(NOW, UTC), "x") == sign(one, "m", NOW, b"x")


@pytest.mark.parametrize(
    ("webhook_id", "timestamp", "body"),
    [
        pytest.param("msg_Y", NOW, b'{"observed":3}', id="other id"),
        pytest.param("msg_X", NOW + 1, b'{"observed":3}', id="other timestamp"),
        pytest.param("msg_X", NOW, b'{"observed":4}', id="other body"),
        pytest.param("msg_X", NOW, b'{"observed":3} ', id="trailing space"),
    ],
)
def test_tampering_fails(webhook_id: str, timestamp: int, body: bytes) -> None:
    signature = sign(SECRET, "msg_X", NOW, b'{"observed":3}')
    with pytest.raises(WebhookVerificationError) as caught:
        verify(SECRET, webhook_id, timestamp, body, signature, now=NOW)
    assert caught.value.reason == "bad_signature"


def test_another_endpoints_secret_fails() -> None:
    with pytest.raises(WebhookVerificationError, match="bad_signature"):
        verify(OTHER, "msg_X", NOW, b"{}", sign(SECRET, "msg_X", NOW, b"{}"), now=NOW)


@pytest.mark.parametrize(
    ("age_s", "reason"),
    [
        pytest.param(0, None, id="now"),
        pytest.param(300, None, id="exactly the tolerance old"),
        pytest.param(301, "too_old", id="one second too old"),
        pytest.param(-300, None, id="exactly the tolerance ahead"),
        pytest.param(-301, "too_new", id="one second too new"),
        pytest.param(86_400, "too_old", id="a day old"),
    ],
)
def test_the_tolerance_window(age_s: int, reason: str | None) -> None:
    signature = sign(SECRET, "msg_T", NOW - age_s, b"{}")
    if reason is None:
        verify(SECRET, "msg_T", NOW - age_s, b"{}", signature, now=NOW)
    else:
        with pytest.raises(WebhookVerificationError) as caught:
            verify(SECRET, "msg_T", NOW - age_s, b"{}", signature, now=NOW)
        assert caught.value.reason == reason


def test_a_custom_tolerance() -> None:
    signature = sign(SECRET, "msg_T", NOW - 3000, b"{}")
    verify(SECRET, "msg_T", NOW - 3000, b"{}", signature, now=NOW, tolerance_s=3600)


def test_a_forged_old_message_is_a_bad_signature_not_too_old() -> None:
    # authenticity is checked first, so "too_old" always describes a message we signed
    with pytest.raises(WebhookVerificationError, match="bad_signature"):
        verify(SECRET, "msg_T", 0, b"{}", sign(OTHER, "msg_T", 0, b"{}"), now=NOW)


def test_rotation_signs_with_every_secret_and_either_verifies() -> None:
    # Given a header signed with the old and the new secret; Then a receiver holding either one accepts it
    header = sign([OTHER, SECRET], "msg_R", NOW, b"{}")
    assert len(header.split(" ")) == 2
    verify(SECRET, "msg_R", NOW, b"{}", header, now=NOW)
    verify(OTHER, "msg_R", NOW, b"{}", header, now=NOW)


def test_a_rotating_receiver_accepts_either_secret() -> None:
    verify([OTHER, SECRET], "msg_R", NOW, b"{}", sign(SECRET, "msg_R", NOW, b"{}"), now=NOW)
    verify([OTHER, SECRET], "msg_R", NOW, b"{}", sign(OTHER, "msg_R", NOW, b"{}"), now=NOW)


def test_unknown_versions_and_unreadable_entries_are_skipped() -> None:
    header = "v1a,c2lnbmF0dXJl v2,abc v1,!!notbase64!! " + sign(SECRET, "msg_V", NOW, b"{}")
    verify(SECRET, "msg_V", NOW, b"{}", header, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("", id="empty"),
        pytest.param("v1a,c2lnbmF0dXJl", id="only another scheme"),
        pytest.param("v1,!!!", id="not base64"),
        pytest.param("v1", id="no comma"),
        pytest.param(" ".join(["v1,AAAA"] * 17), id="too many signatures"),
    ],
)
def test_unreadable_signature_headers_are_malformed(header: str) -> None:
    with pytest.raises(WebhookVerificationError) as caught:
        verify(SECRET, "msg_V", NOW, b"{}", header, now=NOW)
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    ("webhook_id", "timestamp"),
    [
        pytest.param("", NOW, id="empty id"),
        pytest.param("a.1", NOW, id="a dot would make id.timestamp.body ambiguous"),
        pytest.param("has space", NOW, id="space"),
        pytest.param("x" * 257, NOW, id="too long"),
        pytest.param("msg", -1, id="negative timestamp"),
        pytest.param("msg", True, id="bool timestamp"),
    ],
)
def test_invalid_ids_and_timestamps(webhook_id: str, timestamp: int) -> None:
    with pytest.raises(ValueError, match=r"webhook id|timestamp"):
        sign(SECRET, webhook_id, timestamp, b"{}")
    with pytest.raises(WebhookVerificationError, match="malformed"):
        verify(SECRET, webhook_id, timestamp, b"{}", "v1,AAAA", now=NOW)


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id="no prefix"),
        pytest.param("whsec_" + base64.b64encode(b"short").decode(), id="too short"),
        pytest.param("whsec_" + base64.b64encode(bytes(65)).decode(), id="too long"),
        pytest.param("whsec_not base64 at all!", id="not base64"),
        pytest.param("whsec_", id="empty"),
    ],
)
def test_bad_secrets_are_configuration_errors_that_never_echo_the_secret(secret: str) -> None:
    with pytest.raises(ValueError, match="whsec_") as caught:
        verify(secret, "msg", NOW, b"{}", "v1,AAAA", now=NOW)
    key = secret.removeprefix("whsec_")
    assert not key or key not in str(caught.value)
    with pytest.raises(ValueError, match="at least one"):
        sign([], "msg", NOW, b"{}")


def test_the_envelope_shape_and_the_signed_bytes() -> None:
    # Given a payload; When enveloped; Then payload_json is compact, sorted, ASCII text, and its bytes are signed
    message = envelope("msg_E", NOW, PAYLOAD, SECRET)
    fields = json.loads(message)
    assert list(fields) == ["webhook_id", "webhook_timestamp", "webhook_signature", "payload_json"]
    expected_json = '{"name":"Zo\\u00eb \\u2713","observed":3,"ok":null,"rule":"signups drop","state":"FIRING"}'
    assert fields["payload_json"] == expected_json
    assert fields["webhook_timestamp"] == NOW
    assert fields["webhook_signature"] == sign(SECRET, "msg_E", NOW, expected_json.encode())
    assert message.isascii()


def test_open_envelope_round_trip() -> None:
    opened = open_envelope(envelope("msg_E", NOW, PAYLOAD, SECRET))
    assert opened == WebhookEnvelope("msg_E", NOW, opened.signature, opened.payload)
    verify(SECRET, opened.webhook_id, opened.timestamp, opened.payload, opened.signature, now=NOW)
    assert json.loads(opened.payload) == PAYLOAD


def test_the_payload_text_is_used_as_received_not_re_serialised() -> None:
    # Given a producer that wrote the payload with spaces and a raw UTF-8 character; Then it still verifies
    payload_json = '{ "b": 1, "a": "é" }'
    signature = sign(SECRET, "msg_S", NOW, payload_json.encode())
    message = json.dumps(
        {"webhook_id": "msg_S", "webhook_timestamp": NOW, "webhook_signature": signature, "payload_json": payload_json},
        ensure_ascii=False,
    )
    opened = open_envelope(message)
    assert opened.payload == payload_json.encode()
    verify(SECRET, opened.webhook_id, opened.timestamp, opened.payload, opened.signature, now=NOW)


def test_an_envelope_signed_for_rotation_carries_both_signatures() -> None:
    opened = open_envelope(envelope("msg_E", NOW, {}, [OTHER, SECRET]))
    assert len(opened.signature.split()) == 2
    verify(OTHER, opened.webhook_id, opened.timestamp, opened.payload, opened.signature, now=NOW)


def test_envelope_refuses_what_json_cannot_carry_exactly() -> None:
    with pytest.raises(ValueError, match="Out of range"):
        envelope("msg_E", NOW, {"x": float("nan")}, SECRET)
    with pytest.raises(TypeError):
        envelope("msg_E", NOW, {"at": datetime.now(UTC)}, SECRET)


GOOD: dict[str, Any] = {"webhook_id": "m", "webhook_timestamp": NOW, "webhook_signature": "v1,x", "payload_json": "{}"}


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("not json", id="not JSON"),
        pytest.param("[]", id="not an object"),
        pytest.param(json.dumps({k: v for k, v in GOOD.items() if k != "payload_json"}), id="no payload_json"),
        pytest.param(json.dumps(GOOD | {"payload_json": {}}), id="payload as an object"),
        pytest.param(json.dumps(GOOD | {"webhook_timestamp": str(NOW)}), id="timestamp as a string"),
        pytest.param(json.dumps(GOOD | {"webhook_timestamp": 1.8e9}), id="timestamp as a float"),
        pytest.param(json.dumps(GOOD | {"webhook_timestamp": True}), id="timestamp as a bool"),
        pytest.param(json.dumps(GOOD | {"webhook_id": "a.b"}), id="id with a dot"),
        pytest.param(json.dumps(GOOD | {"webhook_signature": None}), id="signature null"),
        pytest.param(json.dumps(GOOD)[:-1] + ',"payload_json":"{\\"evil\\":1}"}', id="duplicate key"),
        pytest.param(json.dumps(GOOD | {"payload_json": "\ud800"}), id="lone surrogate"),
        pytest.param("[" * 100_000, id="deeply nested"),
    ],
)
def test_open_envelope_refuses_malformed_messages(message: str) -> None:
    with pytest.raises(WebhookVerificationError) as caught:
        open_envelope(message)
    assert caught.value.reason == "malformed"


def test_open_envelope_ignores_unknown_fields_which_are_not_signed() -> None:
    assert open_envelope(json.dumps(GOOD | {"version": 2})).webhook_id == "m"
