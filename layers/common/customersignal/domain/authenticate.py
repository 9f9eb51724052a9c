"""Authentication: which principal a request acts as, from its Authorization header.

Accepted forms: ``Bearer cs_...`` and HTTP Basic with the key as the user name and an empty password
(Segment's write-key convention). 401 means "we don't know you", 403 "we know you, but no".
"""

from __future__ import annotations

import base64
import binascii

from customersignal.domain.auth import Principal, Scope, hash_key, looks_like_key
from customersignal.domain.errors import Forbidden, Unauthenticated
from customersignal.ports import KeyLookup


def key_from_authorization(header: str | None) -> str:
    if not header:
        raise Unauthenticated(
            "missing_key", "send your API key as 'Authorization: Bearer cs_...' (or as the Basic user name)"
        )
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        key = credentials
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed_authorization", "the Basic credentials are not valid base64") from None
    else:
        raise Unauthenticated("malformed_authorization", f"unsupported authorization scheme '{scheme}'")
    if not looks_like_key(key):
        raise Unauthenticated("unknown_key", "this is not a CustomerSignal API key (they start with 'cs_')")
    return key


def authenticate(header: str | None, required: Scope | frozenset[Scope], keys: KeyLookup) -> Principal:
    """The key's principal; ``required`` is a scope, or a set of scopes of which any one will do."""
    record = keys.find_by_hash(hash_key(key_from_authorization(header)))
    if record is None:
        raise Unauthenticated(
            "unknown_key", "unknown API key: check it, or create one with `customersignal key create`"
        )
    if record.revoked_at is not None:
        raise Forbidden("key_revoked", f"this API key was revoked at {record.revoked_at.isoformat()}")
    wanted = required if isinstance(required, frozenset) else frozenset({required})
    if not wanted & record.scopes:
        have = ", ".join(sorted(record.scopes)) or "none"
        need = " or ".join(f"'{scope}'" for scope in sorted(wanted))
        raise Forbidden("missing_scope", f"this key lacks the {need} scope (it has: {have})")
    return Principal(
        key_id=record.key_id,
        tenant_id=record.tenant_id,
        project_id=record.project_id,
        scopes=record.scopes,
        rate_limit_per_s=record.rate_limit_per_s,
        rate_limit_burst=record.rate_limit_burst,
        kafka_spread=record.kafka_spread,
    )
