"""API keys and webhook signing secrets never exist in plain text where we keep things: not in any Postgres
table, not in the API's log, not in the Redis key cache, not in the Kafka records.

Keys are made the two ways an operator makes them (the ``customersignal`` CLI, and ``POST /v1/keys``), then
used the ways clients use them (Bearer, Basic, the browser SDK's ``writeKey``), and misused (a near-miss
key, a key sent without a scheme, a key lacking the scope, a revoked key), against an API whose whole
output, at DEBUG, goes to a file. Then every row of every table is read as text and searched for each key,
its secret part and the secret's raw bytes in hex (how a ``bytea`` prints). The design says keys are kept
as a SHA-256 hash plus a display prefix, and webhook secrets sealed with AES-256-GCM (``adapters/secret_box``):
both are checked positively too, so a search that found nothing because it read nothing would fail.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.key_cache import cache_key
from customersignal.adapters.postgres import connect
from customersignal.adapters.secret_box import LOCAL_DEVELOPMENT_KEY, SecretBox
from customersignal.domain.auth import DISPLAY_PREFIX_LENGTH, hash_key
from customersignal.settings import PlatformSettings
from tests.fixtures.dashboard import dashboard_for
from tests.fixtures.http_server import QuietHandler, serving
from tests.fixtures.security import LoggedApi, dump_tables, logged_api
from tests.fixtures.services import ROOT
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

CLI_SECRET = re.compile(r"^\s+(cs_[A-Za-z0-9_-]{40,})$", re.MULTILINE)


@dataclass(frozen=True)
class Traffic:
    keys: dict[str, str]  # how it was made -> the key
    webhook_secret: str
    endpoint_id: uuid.UUID
    event_ids: set[str]
    kafka_records: list[str]  # each record of those events: value, headers and key, as text
    key_cache: dict[str, str | None]  # each key's Redis cache entry (cs:apikey:<sha256 hex>) right after
    answers: dict[str, tuple[int, str | None]]  # what was tried -> (status, error code)


class Receiver(QuietHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def logged(
    settings: PlatformSettings, pg_template: str, moto_clients: AwsClients, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoggedApi]:
    extra = {"CS_WEBHOOK_LOCAL_MODE": "true"}  # the receiver below is an http:// loopback URL
    with logged_api(settings, pg_template, moto_clients, tmp_path_factory.mktemp("plain"), extra_env=extra) as api:
        yield api


def cli(logged: LoggedApi, *argv: str) -> str:
    env = os.environ | {"CS_PG_DATABASE": logged.api.database.pg_database}
    done = subprocess.run(
        [sys.executable, "-m", "customersignal.cli", *argv], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def request(
    logged: LoggedApi, method: str, path: str, *, headers: dict[str, str] | None = None, body: Any = None
) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(logged.api.url + path, data=data, method=method)  # noqa: S310 - loopback
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=scaled(30)) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def event() -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": "signup", "user_id": "u-1"}


@pytest.fixture(scope="module")
def traffic(logged: LoggedApi, settings: PlatformSettings) -> Traffic:
    # Keys made with the CLI: a tenant, a project, an admin+read key and an ingest key
    slug = f"sec{uuid.uuid4().hex[:8]}"
    cli(logged, "tenant", "create", "--name", "Plain Text", "--slug", slug)
    cli(logged, "project", "create", "--tenant", slug, "--name", "Web", "--slug", "web")

    def made(scopes: str) -> str:
        [secret] = CLI_SECRET.findall(
            cli(logged, "key", "create", "--tenant", slug, "--project", "web", "--scopes", scopes)
        )
        return str(secret)

    keys = {"cli admin": made("read,admin"), "cli ingest": made("ingest")}
    # ... and with the API
    answers: dict[str, tuple[int, str | None]] = {}

    def note(name: str, answer: tuple[int, dict[str, Any]]) -> dict[str, Any]:
        answers[name] = (answer[0], answer[1].get("error", {}).get("code"))
        return answer[1]

    for scopes in (["ingest"], ["read"]):
        created = note(
            f"create {scopes[0]}",
            request(
                logged, "POST", "/v1/keys", headers=bearer(keys["cli admin"]), body={"name": "api", "scopes": scopes}
            ),
        )
        keys[f"api {scopes[0]}"] = created["secret"]
        keys[f"api {scopes[0]} id"] = created["key"]["id"]
    read_key_id = keys.pop("api read id")
    keys.pop("api ingest id")
    # Used as clients use them: Bearer, Basic (Segment's write key), writeKey in the body (analytics.js)
    first, second, third = event(), event(), event()
    note("bearer ingest", request(logged, "POST", "/v1/events", headers=bearer(keys["cli ingest"]), body=first))
    basic = base64.b64encode(f"{keys['api ingest']}:".encode()).decode()
    segment = {"userId": "u-2", "event": "signup", "messageId": second["event_id"]}
    note(
        "basic ingest", request(logged, "POST", "/v1/track", headers={"Authorization": f"Basic {basic}"}, body=segment)
    )
    browser = {"writeKey": keys["api ingest"], "userId": "u-3", "event": "signup", "messageId": third["event_id"]}
    note("writeKey ingest", request(logged, "POST", "/v1/t", body=browser))
    note("read session", request(logged, "GET", "/v1/session", headers=bearer(keys["api read"])))
    # ... and misused: a near miss, no scheme, the wrong scope, then a revoked key
    near_miss = keys["cli ingest"][:-1] + ("A" if keys["cli ingest"][-1] != "A" else "B")
    note("near miss", request(logged, "POST", "/v1/events", headers=bearer(near_miss), body=event()))
    note("no scheme", request(logged, "GET", "/v1/keys", headers={"Authorization": keys["cli admin"]}))
    note("wrong scope", request(logged, "GET", "/v1/keys", headers=bearer(keys["cli ingest"])))
    note("revoke", request(logged, "POST", f"/v1/keys/{read_key_id}/revoke", headers=bearer(keys["cli admin"])))
    note("revoked", request(logged, "GET", "/v1/session", headers=bearer(keys["api read"])))
    keys["near miss"] = near_miss
    # A webhook endpoint: its signing secret is shown once
    with serving(Receiver) as receiver:
        hook = note(
            "webhook",
            request(
                logged, "POST", "/v1/webhooks", headers=bearer(keys["cli admin"]), body={"url": receiver + "/hook"}
            ),
        )
    # What the key cache holds for each key now (its entries live 30 s)
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    try:
        raw = {name: client.get(cache_key(hash_key(key))) for name, key in keys.items()}
    finally:
        client.close()
    cached = {name: value if value is None or isinstance(value, str) else value.decode() for name, value in raw.items()}
    # The events go through the real aggregator code, so the raw-event, catalog and count tables hold them too
    event_ids = {e["event_id"] for e in (first, second, third)}
    messages = logged.api.messages_for(event_ids)
    with dashboard_for(logged.api, settings) as world:
        outcome = world.ingest([message.value() or b"" for message in messages])
    assert outcome.counted == len(event_ids)
    kafka = [(m.value() or b"").decode() + repr(m.headers()) + repr(m.key()) for m in messages]
    return Traffic(keys, hook["secret"], uuid.UUID(hook["endpoint"]["id"]), event_ids, kafka, cached, answers)


def forbidden_texts(traffic: Traffic) -> dict[str, str]:
    """Each secret as text, its secret part, and its raw bytes in hex (as a bytea column would print them)."""
    texts: dict[str, str] = {}
    for name, key in traffic.keys.items():
        texts[name] = key
        part = key.removeprefix("cs_")
        texts[f"{name}, secret part"] = part
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        texts[f"{name}, raw bytes"] = raw.hex()
    body = traffic.webhook_secret.removeprefix("whsec_")
    texts["webhook secret"] = traffic.webhook_secret
    texts["webhook secret, base64 part"] = body
    texts["webhook secret, raw bytes"] = base64.b64decode(body).hex()
    return texts


def found_in(text: str, traffic: Traffic) -> list[str]:
    return [name for name, secret in forbidden_texts(traffic).items() if secret in text]


def test_the_traffic_did_what_it_was_meant_to(traffic: Traffic) -> None:
    # (so that the searches below look at keys that were really made, used, refused and revoked)
    assert traffic.answers == {
        "create ingest": (201, None),
        "create read": (201, None),
        "bearer ingest": (200, None),
        "basic ingest": (200, None),
        "writeKey ingest": (200, None),
        "read session": (200, None),
        "near miss": (401, "unknown_key"),
        "no scheme": (401, "malformed_authorization"),
        "wrong scope": (403, "missing_scope"),
        "revoke": (200, None),
        "revoked": (403, "key_revoked"),
        "webhook": (201, None),
    }


def test_no_table_holds_a_key_or_a_webhook_secret_in_plain_text(logged: LoggedApi, traffic: Traffic) -> None:
    # Given every row of every table, as text
    tables = dump_tables(logged.api.database)
    everything = "\n".join(row for rows in tables.values() for row in rows)
    # Then the rows were read: each real key's hash and display prefix are there, as the design stores them
    for name, key in traffic.keys.items():
        if name != "near miss":
            assert hash_key(key).hex() in everything, f"the hash of the {name} key is not in the dump"
            assert key[:DISPLAY_PREFIX_LENGTH] in everything
    # And no table holds any key, secret part or raw secret bytes
    leaks = {table: found for table, rows in tables.items() if (found := found_in("\n".join(rows), traffic))}
    assert leaks == {}
    print(f"\nsearched {len(tables)} tables, {sum(map(len, tables.values()))} rows")


def test_the_webhook_secret_is_stored_sealed_with_aes_gcm_bound_to_its_endpoint(
    logged: LoggedApi, traffic: Traffic
) -> None:
    # Given the stored ciphertext of the endpoint's secret
    db = connect(logged.api.database)
    try:
        [[sealed]] = db.run("SELECT secret_ciphertext FROM webhook_endpoints WHERE id = :id", id=traffic.endpoint_id)
    finally:
        db.close()
    sealed = bytes(sealed)
    # Then it is not the secret, and it opens to the secret only with the key and for its own endpoint
    assert traffic.webhook_secret.encode() not in sealed
    box = SecretBox(LOCAL_DEVELOPMENT_KEY)
    assert box.open(sealed, traffic.endpoint_id) == traffic.webhook_secret
    with pytest.raises(ValueError, match="does not open"):
        box.open(sealed, uuid.uuid4())


def test_the_api_log_holds_no_key_and_no_webhook_secret(logged: LoggedApi, traffic: Traffic) -> None:
    # Given the API's whole output, at DEBUG
    log = logged.log_text()
    # Then it is the log of this traffic: the refusals are there, each with its code
    for code in ("unknown_key", "malformed_authorization", "missing_scope", "key_revoked"):
        assert f'"code":"{code}"' in log.replace(" ", ""), f"no log line for {code}: the log is not this API's"
    # And no key, secret part or raw secret appears in it
    assert found_in(log, traffic) == []
    print(f"\nsearched {log.count(chr(10))} log lines")


def test_neither_the_redis_key_cache_nor_kafka_holds_a_key(traffic: Traffic) -> None:
    # Given the key cache entries the API wrote and the Kafka records it produced: some of each
    assert [value for value in traffic.key_cache.values() if value is not None], "no key cache entry to look at"
    assert len(traffic.kafka_records) == len(traffic.event_ids)
    # Then none holds a key or a secret
    for name, value in traffic.key_cache.items():
        assert value is None or found_in(value, traffic) == [], name
    for record in traffic.kafka_records:
        assert found_in(record, traffic) == []
