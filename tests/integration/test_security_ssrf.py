"""Webhook SSRF: a tenant cannot aim our deliveries at anything that is not on the public internet.

* Registration over HTTP: every private, loopback, link-local, metadata, IPv6-local, IPv4-mapped and
  non-canonical spelling of an address, user-info tricks and non-http schemes get a 400 that names the field
  ``url``, and nothing is stored or subscribed. Names are resolved by the API's own resolver (the system's).
* A host *name* that resolves to a private address: the registration code path (``register_endpoint``, as
  the route calls it, over the real stores and SNS) with the DNS answer scripted, since this machine's DNS
  has no such name.
* DNS rebinding: a name that passed at registration and points at a private address when an alert is
  delivered gets no delivery: the evaluator's publishing path (real Postgres, SNS on moto delivering over
  HTTP to a real receiver) with the answer scripted; then the evaluator as the template runs it, the API's
  redelivery and its re-sent confirmation, each under the deployment's policy with the real resolver.

Redirects are not here: no code of ours requests a tenant's URL (SNS delivers), and our own fetches of
URLs taken from messages refuse redirects (tests/unit/test_sns_receiver.py, over a real socket).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.pg_alert_admin import PostgresEndpointStore
from customersignal.adapters.pg_alert_store import PostgresAlertStore
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.pipeline_lag import KafkaPipelineLag
from customersignal.adapters.postgres import connect
from customersignal.adapters.secret_box import LOCAL_DEVELOPMENT_KEY, SecretBox
from customersignal.adapters.sns_alerts import SnsAlertChannel
from customersignal.domain.alert_admin import register_endpoint, resend_confirmation
from customersignal.domain.alert_evaluation import RunReport, evaluate_rules, publish_pending
from customersignal.domain.errors import MalformedRequest
from customersignal.domain.webhook_urls import UrlPolicy
from customersignal.settings import PlatformSettings
from tests.fixtures.aggregator import TenantRef
from tests.fixtures.aws import HttpReceiver
from tests.fixtures.dashboard import dashboard_for
from tests.fixtures.security import LoggedApi, logged_api
from tests.fixtures.services import ROOT
from tests.integration.test_alerts_e2e import NOW, AlertWorld, events_in_minute, notifications, rule
from tests.support.waits import scaled

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

pytestmark = pytest.mark.integration

PRIVATE, INVALID, NOT_HTTPS = "webhook_url_private", "invalid_webhook_url", "webhook_url_not_https"
UNRESOLVABLE = "webhook_host_unresolvable"
LOOPBACK = {"loopback"}  # cases local mode allows (it exists for http://127.0.0.1 receivers on a laptop)

# (url, the refusal code under the deployed policy, tags)
REFUSED: list[tuple[str, str, set[str]]] = [
    ("https://10.0.0.1/hook", PRIVATE, set()),
    ("https://10.255.255.254/", PRIVATE, set()),
    ("https://172.16.0.1/", PRIVATE, set()),
    ("https://172.31.255.254/", PRIVATE, set()),
    ("https://192.168.0.1/", PRIVATE, set()),
    ("https://192.168.255.254:8443/x", PRIVATE, set()),
    ("https://127.0.0.1/", PRIVATE, LOOPBACK),
    ("https://127.53.0.1:8443/", PRIVATE, LOOPBACK),
    ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", PRIVATE, set()),
    ("https://169.254.170.2/v2/credentials", PRIVATE, set()),  # the ECS task metadata endpoint
    ("https://100.100.100.200/latest/meta-data/", PRIVATE, set()),  # carrier-grade NAT (another cloud's metadata)
    ("https://0.0.0.0/", PRIVATE, set()),
    ("https://[::]/", PRIVATE, set()),
    ("https://[::1]/", PRIVATE, LOOPBACK),
    ("https://[fc00::1]/", PRIVATE, set()),
    ("https://[fd00:ec2::254]/", PRIVATE, set()),  # the EC2 metadata service over IPv6
    ("https://[fe80::1]/", PRIVATE, set()),
    ("https://[febf:ffff::1]/", PRIVATE, set()),
    ("https://[::ffff:127.0.0.1]/", PRIVATE, set()),  # IPv4-mapped: never a local receiver, even locally
    ("https://[::ffff:7f00:1]/", PRIVATE, set()),
    ("https://[::ffff:169.254.169.254]/", PRIVATE, set()),
    ("https://[::ffff:10.0.0.1]/", PRIVATE, set()),
    ("http://[::ffff:127.0.0.1]:6380/", PRIVATE, set()),  # our own Redis port
    ("https://[64:ff9b::a9fe:a9fe]/", PRIVATE, set()),  # NAT64 of the metadata service
    ("https://[2002:a9fe:a9fe::]/", PRIVATE, set()),  # 6to4 of the metadata service
    ("http://2130706433/", INVALID, set()),  # 127.0.0.1 as one decimal number
    ("http://017700000001/", INVALID, set()),  # ... as one octal number
    ("http://0x7f000001/", INVALID, set()),  # ... as one hex number
    ("http://0177.0.0.1/", INVALID, set()),  # dotted octal
    ("http://0x7f.0.0.1/", INVALID, set()),  # dotted hex
    ("http://127.1/", INVALID, set()),  # short form
    ("http://0/", INVALID, set()),
    ("http://example.com@127.0.0.1/", INVALID, set()),  # user info: the host is 127.0.0.1
    ("https://user:password@10.0.0.1/", INVALID, set()),
    ("https://example.com\\@127.0.0.1/", INVALID, set()),  # a backslash that some parsers read as a slash
    ("https://127.0.0.1#@example.com/", PRIVATE, LOOPBACK),  # the host is 127.0.0.1, the rest a fragment
    ("https://localhost/", PRIVATE, LOOPBACK),
    ("https://localhost./", PRIVATE, LOOPBACK),
    ("https://metadata.localhost/", PRIVATE, LOOPBACK | {"or unresolvable"}),  # as the machine's resolver has it
    ("https://vm/", INVALID, set()),  # a single label (this VM's own name, 127.0.0.1 in its /etc/hosts)
    ("https://hooks.invalid/", UNRESOLVABLE, set()),  # resolved by the API's resolver: nothing
    ("ftp://10.0.0.1/", NOT_HTTPS, set()),
    ("gopher://127.0.0.1:6379/_INFO", NOT_HTTPS, set()),
    ("file:///etc/passwd", NOT_HTTPS, set()),
]


@dataclass
class ScriptedDns:
    """The DNS answers for this test, and every name it was asked about (the resolver port, scripted)."""

    answers: dict[str, list[str]]
    asked: list[str] = field(default_factory=list)

    def resolve(self, host: str) -> list[str]:
        self.asked.append(host)
        return self.answers[host]


@dataclass
class SsrfWorld:
    local: LoggedApi  # CS_WEBHOOK_LOCAL_MODE on: loopback receivers may register (a laptop's stack)
    deployed: LoggedApi  # the same database under the deployed policy (local mode off)
    alerts: AlertWorld
    sns: SNSClient


@pytest.fixture(scope="module")
def world(
    settings: PlatformSettings, pg_template: str, moto_clients: AwsClients, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsrfWorld]:
    local_mode = {"CS_WEBHOOK_LOCAL_MODE": "true"}
    logs = tmp_path_factory.mktemp("local"), tmp_path_factory.mktemp("deployed")
    with (
        logged_api(settings, pg_template, moto_clients, logs[0], extra_env=local_mode) as local,
        logged_api(
            settings, pg_template, moto_clients, logs[1],
            extra_env={"CS_ALERTS_TOPIC_ARN": local.topic_arn}, database=local.api.database,
        ) as deployed,
        dashboard_for(local.api, settings) as dashboard,
    ):  # fmt: skip
        lag = KafkaPipelineLag(
            {"bootstrap.servers": settings.kafka_bootstrap},
            local.api.topic,
            "sec-ssrf",
            lambda: connect(local.api.database),
        )
        sns = moto_clients.sns()
        alerts = AlertWorld(dashboard, local.topic_arn, SnsAlertChannel(sns, local.topic_arn), lag, local.moto_url)
        yield SsrfWorld(local, deployed, alerts, sns)


def call(api: LoggedApi, method: str, path: str, key: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(api.api.url + path, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=scaled(60)) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def subscribed_endpoints(world: SsrfWorld) -> set[str]:
    pages = world.sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=world.local.topic_arn)
    return {s["Endpoint"] for page in pages for s in page["Subscriptions"]}


@pytest.mark.parametrize("policy", ["deployed", "local"])
def test_webhook_urls_aimed_anywhere_but_the_public_internet_are_refused_naming_the_field(
    world: SsrfWorld, policy: str
) -> None:
    # Given an admin key, and the API under the deployed policy (or a laptop's local mode)
    api = world.deployed if policy == "deployed" else world.local
    _, key = world.alerts.dashboard.tenant()
    cases = [(url, code, tags) for url, code, tags in REFUSED if not (policy == "local" and tags & LOOPBACK)]
    wrong = []
    for url, code, tags in cases:
        codes = {code, UNRESOLVABLE} if "or unresolvable" in tags else {code}
        # When the URL is registered
        status, body = call(api, "POST", "/v1/webhooks", key, {"url": url})
        # Then it is a 400 naming the field, with the reason's code and a message that says why
        error = body.get("error", {})
        if (status, error.get("field")) != (400, "url") or error.get("code") not in codes or not error.get("message"):
            wrong.append(f"{url}: {status} {body}")
    assert wrong == [], "\n".join(wrong)
    # And nothing was stored or subscribed
    assert call(api, "GET", "/v1/webhooks", key)[1]["endpoints"] == []
    assert {url for url, _, _ in cases} & subscribed_endpoints(world) == set()
    print(f"\n{policy}: {len(cases)} URLs refused")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(["10.1.2.3"], id="private"),
        pytest.param(["169.254.169.254"], id="metadata"),
        pytest.param(["127.0.0.1"], id="loopback"),
        pytest.param(["fd00:ec2::254"], id="IPv6 unique local"),
        pytest.param(["::ffff:10.0.0.1"], id="IPv4-mapped"),
        pytest.param(["93.184.215.14", "10.1.2.3"], id="one private among public"),
    ],
)
def test_a_host_name_that_resolves_to_a_private_address_is_refused_at_registration(
    world: SsrfWorld, answer: list[str]
) -> None:
    # Given a public-looking name whose DNS answer holds a private address (scripted: this machine has none)
    ref, _ = world.alerts.dashboard.tenant()
    dns = ScriptedDns({"hooks.example.com": answer})
    endpoints = PostgresEndpointStore(TenantDatabase(lambda: connect(world.local.api.database)))
    # When it is registered the way the route registers it, under the deployed policy
    with pytest.raises(MalformedRequest) as refused:
        register_endpoint(
            ref.tenant_id,
            json.dumps({"url": "https://hooks.example.com/alerts"}).encode(),
            endpoints=endpoints,
            resolver=dns,
            subscriptions=world.alerts.channel,
            sealer=SecretBox(LOCAL_DEVELOPMENT_KEY),
            local_mode=False,
        )
    # Then the name was resolved, and refused naming the address; nothing stored, nothing subscribed
    assert dns.asked == ["hooks.example.com"]
    assert (refused.value.code, refused.value.field) == (PRIVATE, "url")
    assert "hooks.example.com resolves to" in refused.value.message
    assert endpoints.list(ref.tenant_id) == []
    assert "https://hooks.example.com/alerts" not in subscribed_endpoints(world)


class ByName:
    """Registers webhooks *by name* for one test and disables them after it (so that no later evaluator run
    publishes to a receiver that is gone: moto's SNS answers such a publish with a 500)."""

    def __init__(self, world: SsrfWorld, receiver: HttpReceiver) -> None:
        self._world, self._receiver = world, receiver
        self._made: list[tuple[str, str]] = []

    def register(self, *, firing: bool = True) -> tuple[TenantRef, str, str, str]:
        """A tenant whose webhook is the receiver by name (localhost: this machine's DNS says 127.0.0.1), registered
        under local mode, and (``firing``) a rule about to fire on it: (tenant, admin key, endpoint id, secret)."""
        ref, key = self._world.alerts.dashboard.tenant()
        url = self._receiver.url.replace("127.0.0.1", "localhost")
        status, created = call(self._world.local, "POST", "/v1/webhooks", key, {"url": url})
        assert (status, created.get("endpoint", {}).get("status")) == (201, "active"), created
        self._made.append((key, created["endpoint"]["id"]))
        if firing:
            rule(self._world.alerts, key, created["endpoint"]["id"])
            self._world.alerts.dashboard.ingest(events_in_minute(ref, NOW.replace(second=0), 9), now=NOW)
        return ref, key, created["endpoint"]["id"], created["secret"]

    def disable_all(self) -> None:
        for key, endpoint_id in self._made:
            call(self._world.local, "DELETE", f"/v1/webhooks/{endpoint_id}", key)


@pytest.fixture
def by_name(world: SsrfWorld, http_receiver: HttpReceiver) -> Iterator[ByName]:
    made = ByName(world, http_receiver)
    yield made
    made.disable_all()


def deliveries(world: SsrfWorld, key: str, endpoint_id: str) -> list[dict[str, Any]]:
    status, log = call(world.local, "GET", f"/v1/webhooks/{endpoint_id}/deliveries", key)
    assert status == 200, log
    return sorted(log["deliveries"], key=lambda d: int(d["id"]))


def test_a_name_rebound_to_a_private_address_after_registration_gets_no_delivery_until_it_is_public_again(
    world: SsrfWorld, http_receiver: HttpReceiver, by_name: ByName
) -> None:
    # Given a webhook whose name passed the check at registration, and a rule that fires
    _, key, endpoint_id, secret = by_name.register()
    store = PostgresAlertStore(lambda: connect(world.local.api.database), "http://dashboard.test")
    secrets = SecretBox(LOCAL_DEVELOPMENT_KEY)
    try:
        report = evaluate_rules(store, world.alerts.lag, NOW, uuid.uuid4().hex)
        # When the notification is published while the name resolves to a private address (rebinding)
        rebound = UrlPolicy(ScriptedDns({"localhost": ["10.0.0.7"]}), allow_loopback=True)
        publish_pending(store, world.alerts.channel, secrets, NOW, report, urls=rebound)
        # Then the name was looked up again at delivery, nothing reached the receiver, and the failure says why
        assert isinstance(rebound.resolver, ScriptedDns)
        assert rebound.resolver.asked == ["localhost"]
        assert notifications(http_receiver, secret) == []
        [failed] = deliveries(world, key, endpoint_id)
        assert failed["status"] == "failed"
        assert failed["error"].startswith(PRIVATE), failed
        assert "10.0.0.7" in failed["error"]
        # When the name points back at the receiver, the next run delivers the waiting notification, once
        back = UrlPolicy(ScriptedDns({"localhost": ["127.0.0.1"]}), allow_loopback=True)
        publish_pending(store, world.alerts.channel, secrets, NOW, RunReport(), urls=back)
    finally:
        store.close()
    assert [n["state"] for n in notifications(http_receiver, secret)] == ["FIRING"]
    assert [d["status"] for d in deliveries(world, key, endpoint_id)] == ["failed", "delivered"]


class PendingChannel(SnsAlertChannel):
    """SNS as it is for a receiver that never answered its confirmation (moto confirms every subscription)."""

    def confirmed(self, subscription_arn: str) -> bool:
        return False


def test_a_confirmation_is_not_sent_again_to_a_name_that_now_resolves_to_a_private_address(
    world: SsrfWorld, by_name: ByName
) -> None:
    # Given a webhook registered by name whose receiver has not confirmed yet
    ref, _, endpoint_id, _ = by_name.register(firing=False)
    endpoints = PostgresEndpointStore(TenantDatabase(lambda: connect(world.local.api.database)))
    pending = PendingChannel(world.sns, world.local.topic_arn)
    before = subscribed_endpoints(world)
    # When the confirmation is asked for again while the name resolves to a private address
    rebound = UrlPolicy(ScriptedDns({"localhost": ["192.168.4.4"]}), allow_loopback=True)
    with pytest.raises(MalformedRequest) as refused:
        resend_confirmation(ref.tenant_id, uuid.UUID(endpoint_id), endpoints, pending, rebound)
    # Then it is refused naming the url, and SNS was not asked to send anything
    assert (refused.value.code, refused.value.field) == (PRIVATE, "url")
    assert subscribed_endpoints(world) == before


def run_scheduled_evaluator(world: SsrfWorld, *, local_mode: bool) -> None:
    """The alert evaluator as the template declares it (its own composition root, the system's resolver)."""
    env = os.environ | {
        "CS_PG_DATABASE": world.local.api.database.pg_database,
        "CS_AWS_ENDPOINT_URL": world.local.moto_url,
        "CS_ALERTS_TOPIC_ARN": world.local.topic_arn,
        "CS_KAFKA_EVENTS_TOPIC": world.local.api.topic,
        "CS_WEBHOOK_LOCAL_MODE": "true" if local_mode else "false",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    command = [sys.executable, "-m", "customersignal.local.schedule", "--template", str(ROOT / "template.yaml")]
    run = subprocess.run([*command, "--once"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=scaled(120))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "AlertsEvaluatorFunction.EveryMinute: {'rules':" in run.stdout, run.stdout + run.stderr[-3000:]


def test_the_evaluator_and_the_redelivery_route_check_the_url_again_with_the_real_resolver(
    world: SsrfWorld, http_receiver: HttpReceiver, by_name: ByName
) -> None:
    # Given a webhook registered under local mode (its name resolves to loopback) and a notification to send
    _, key, endpoint_id, secret = by_name.register()
    store = PostgresAlertStore(lambda: connect(world.local.api.database), "http://dashboard.test")
    try:
        assert evaluate_rules(store, world.alerts.lag, NOW, uuid.uuid4().hex).transitions >= 1
    finally:
        store.close()
    # When the scheduled evaluator runs under the deployed policy, where loopback is refused
    run_scheduled_evaluator(world, local_mode=False)
    # Then nothing is delivered, and the delivery log says why
    assert notifications(http_receiver, secret) == []
    refused = deliveries(world, key, endpoint_id)
    assert refused, "the evaluator recorded no delivery"
    assert all(d["status"] == "failed" and d["error"].startswith(PRIVATE) for d in refused), refused
    # And the redelivery route under that policy records another refusal instead of sending
    status, again = call(world.deployed, "POST", f"/v1/deliveries/{refused[0]['id']}/redeliver", key)
    assert (status, again["status"]) == (201, "failed"), again
    assert again["error"].startswith(PRIVATE)
    assert notifications(http_receiver, secret) == []
    # When the same evaluator runs with local mode (as `make up` runs it), the waiting notification goes out
    run_scheduled_evaluator(world, local_mode=True)
    assert "FIRING" in [n["state"] for n in notifications(http_receiver, secret)]
