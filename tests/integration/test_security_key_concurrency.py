"""Under concurrent requests, every request acts as its own key, never as another one.

Lambda runs one invocation per container, but the local gateway (what `make up` and the compose `apps`
profile serve) runs several per process, sharing the API's clients. The key store's one Postgres connection
was shared too, unguarded: concurrent first uses of different keys interleaved on it, and this test saw a
request answered as another key (and 401s, 500s and 503s for valid keys). Each key here is used once, so
every lookup misses the key cache and reaches Postgres, from 16 threads at once, across two tenants.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from customersignal.domain.auth import Scope
from tests.fixtures.api import ApiServer
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

KEYS = 300


def session(api: ApiServer, key: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{api.url}/v1/session")  # noqa: S310 - loopback
    request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=scaled(60)) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_concurrent_first_uses_of_many_keys_each_act_as_their_own_key_and_tenant(api: ApiServer) -> None:
    # Given 300 read keys, alternating between two tenants, none used yet (so none is cached)
    tenants = [api.new_tenant(), api.new_tenant()]
    keys: list[tuple[str, str, str]] = []  # (secret, key id, tenant slug)
    for i in range(KEYS):
        slug = tenants[i % 2]
        info, new = api.admin.create_key(slug, "web", [Scope.READ])
        keys.append((new.secret, str(info.key_id), slug))
    # When each is used once, 16 at a time
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda k: session(api, k[0]), keys))
    # Then every request was answered as its own key, of its own tenant
    wrong = [
        (key_id, status, body.get("key", {}).get("id"), body.get("error"))
        for (_, key_id, slug), (status, body) in zip(keys, answers, strict=True)
        if status != 200 or body["key"]["id"] != key_id or body["tenant"]["slug"] != slug
    ]
    assert wrong == [], f"{len(wrong)} of {KEYS} requests not answered as their own key, e.g. {wrong[:5]}"
