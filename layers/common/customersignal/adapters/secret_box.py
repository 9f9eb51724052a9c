"""Webhook signing secrets, encrypted at rest with AES-256-GCM (``cryptography``): the database holds
nonce + ciphertext + tag, bound to the endpoint's id as associated data (a ciphertext copied onto another
endpoint does not open). The 32-byte key comes from Secrets Manager (``CS_WEBHOOK_KEY_SECRET_ARN``) when
deployed; the local stack uses a fixed development key, which ``key_from_settings`` refuses outside the
local stage."""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from customersignal.adapters.aws import AwsClients
from customersignal.settings import LOCAL_STAGE, WebhookSettings

NONCE_BYTES = 12
# the local stack's key: never valid outside stage "local" (see key_from_settings)
LOCAL_DEVELOPMENT_KEY = base64.b64decode("Y3VzdG9tZXJzaWduYWwtbG9jYWwtZGV2LWtleS0zMmI=")


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the webhook key must be 32 bytes (AES-256)")
        self._aead = AESGCM(key)

    def seal(self, secret: str, endpoint_id: uuid.UUID) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), endpoint_id.bytes)

    def open(self, sealed: bytes, endpoint_id: uuid.UUID) -> str:
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], endpoint_id.bytes).decode()
        except InvalidTag as error:
            raise ValueError(f"the secret of endpoint {endpoint_id} does not open with this key") from error


def key_from_secret_string(secret_string: str) -> bytes:
    """The Secrets Manager value: the key in base64 (as `openssl rand -base64 32` prints it)."""
    return base64.b64decode(secret_string.strip())


def webhook_key(settings: WebhookSettings, aws: AwsClients) -> bytes:
    """The key from Secrets Manager, or the development key on the local stack; anything else is refused."""
    if settings.webhook_key_secret_arn:
        answer = aws.secretsmanager().get_secret_value(SecretId=settings.webhook_key_secret_arn)
        return key_from_secret_string(answer["SecretString"])
    if settings.stage == LOCAL_STAGE:
        return LOCAL_DEVELOPMENT_KEY
    raise RuntimeError("CS_WEBHOOK_KEY_SECRET_ARN is required outside the local stage (the webhook secrets' key)")
