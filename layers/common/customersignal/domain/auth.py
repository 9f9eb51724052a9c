"""API keys and the principal a request acts as.

Keys are random (256 bits), prefixed ``cs_`` so scanners and people recognise them, shown once, and
stored only as a SHA-256 hash plus a short display prefix. A fast hash is right here: the key has full
entropy, so there is nothing to brute-force, and the hot path hashes on every request.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

KEY_PREFIX = "cs_"
DISPLAY_PREFIX_LENGTH = 11  # "cs_" + 8 characters: enough to tell keys apart in a list


class Scope(StrEnum):
    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True)
class ApiKeyRecord:
    """What the key store knows about a key (never the key itself)."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    project_id: uuid.UUID
    scopes: frozenset[Scope]
    revoked_at: datetime | None = None
    rate_limit_per_s: float = 1000.0  # the project's token bucket: refill rate ...
    rate_limit_burst: int = 2000  # ... and capacity, in events
    kafka_spread: int = 1  # the tenant's partitions on events_raw (domain/spread.py)


@dataclass(frozen=True)
class Principal:
    """Who a request acts as, once its key checked out."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    project_id: uuid.UUID
    scopes: frozenset[Scope]
    rate_limit_per_s: float
    rate_limit_burst: int
    kafka_spread: int = 1


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: ``secret`` is shown to the person once and never stored."""

    secret: str
    key_hash: bytes
    display_prefix: str


def generate_key() -> NewKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return NewKey(secret=secret, key_hash=hash_key(secret), display_prefix=secret[:DISPLAY_PREFIX_LENGTH])


def hash_key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def looks_like_key(candidate: str) -> bool:
    return candidate.startswith(KEY_PREFIX) and 20 <= len(candidate) <= 128
