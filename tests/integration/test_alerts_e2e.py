"""Alerts end to end over real Postgres, Kafka and an SNS server (moto) that delivers over HTTP to a local
receiver: rules and endpoints through the API, windows counted by the real aggregator code, the evaluator
run with its real adapters, and the receiver checking each Standard-Webhooks signature."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.pg_alert_store import PostgresAlertStore
from customersignal.adapters.pipeline_lag import KafkaPipelineLag
from customersignal.adapters.postgres import connect
from customersignal.adapters.secret_box import LOCAL_DEVELOPMENT_KEY, SecretBox
from customersignal.adapters.sns_alerts import SnsAlertChannel
from customersignal.domain.alert_evaluation import RunReport, evaluate_rules, publish_pending
from customersignal.domain.alert_fast_path import check_fast_path
from customersignal.domain.auth import Scope
from customersignal.domain.webhook_signing import open_envelope, verify
from customersignal.settings import PlatformSettings
from tests.fixtures.aggregator import TenantRef, envelope
from tests.fixtures.aws import HttpReceiver
from tests.fixtures.dashboard import Dashboard, dashboard_for, dashboard_redis_url
from tests.fixtures.services import ROOT
from tests.support.waits import scaled

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(second=20, microsecond=0)
MINUTE = timedelta(minutes=1)


@dataclass
class AlertWorld:
    dashboard: Dashboard
    topic_arn: str
    channel: SnsAlertChannel
    lag: KafkaPipelineLag
    moto_url: str

    def run(self, now: datetime) -> RunReport:
        """One evaluator invocation, as one Lambda container runs it (its own connection)."""
        store = PostgresAlertStore(lambda: connect(self.dashboard.api.database), "http://dashboard.test")
        try:
            report = evaluate_rules(store, self.lag, now, uuid.uuid4().hex)
            return publish_pending(store, self.channel, SecretBox(LOCAL_DEVELOPMENT_KEY), now, report)
        finally:
            store.close()


@pytest.fixture(scope="module")
def alert_world(
    api_server_factory: Callable[[dict[str, str]], Any], moto_clients: AwsClients, settings: PlatformSettings
) -> Iterator[AlertWorld]:
    sns = moto_clients.sns()
    topic_arn = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}", Attributes={"SignatureVersion": "2"})[
        "TopicArn"
    ]
    moto_url = str(sns.meta.endpoint_url)
    env = {
        "CS_AWS_ENDPOINT_URL": moto_url,
        "CS_ALERTS_TOPIC_ARN": topic_arn,
        "CS_WEBHOOK_LOCAL_MODE": "true",
        "CS_REDIS_URL": dashboard_redis_url(settings),
    }
    with dashboard_for(api_server_factory(env), settings) as world:
        lag = KafkaPipelineLag(
            {"bootstrap.servers": settings.kafka_bootstrap},
            world.api.topic,
            "alerts-test",
            lambda: connect(world.api.database),
        )
        yield AlertWorld(world, topic_arn, SnsAlertChannel(sns, topic_arn), lag, moto_url)


def notifications(receiver: HttpReceiver, secret: str) -> list[dict[str, Any]]:
    """Every alert the receiver got, each verified with the endpoint's secret."""
    out = []
    with receiver.lock:
        bodies = [r.json() for r in receiver.requests]
    for body in bodies:
        if body.get("Type") != "Notification":
            continue
        sealed = open_envelope(str(body["Message"]))
        verify(secret, sealed.webhook_id, sealed.timestamp, sealed.payload, sealed.signature, now=sealed.timestamp)
        out.append(json.loads(sealed.payload))
    return out


def tenant_with_endpoint(world: AlertWorld, receiver: HttpReceiver) -> tuple[TenantRef, str, str, str]:
    ref, key = world.dashboard.tenant()
    status, created = world.dashboard.call("POST", "/v1/webhooks", key, body={"url": receiver.url + "/hook"})
    assert status == 201, created
    assert created["endpoint"]["status"] == "active"  # moto confirms at once (LocalStack: test_alerts_localstack)
    return ref, key, created["endpoint"]["id"], created["secret"]


def rule(world: AlertWorld, key: str, endpoint_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "name": f"checkout spike {uuid.uuid4().hex[:6]}",
        "event_type": "checkout",
        "metric": "count",
        "window_seconds": 60,
        "condition": {"kind": "threshold", "operator": "above", "value": 5},
        "channels": [endpoint_id],
        **fields,
    }
    status, created = world.dashboard.call("POST", "/v1/alerts", key, body=body)
    assert status == 201, created
    return created


def events_in_minute(ref: TenantRef, minute_end: datetime, count: int, event_type: str = "checkout") -> list[Any]:
    start = minute_end - MINUTE
    return [envelope(ref, event_type, at=start + timedelta(seconds=i % 60), received=minute_end + timedelta(seconds=1))
            for i in range(count)]  # fmt: skip


def test_a_breach_fires_once_and_recovery_resolves_once(alert_world: AlertWorld, http_receiver: HttpReceiver) -> None:
    world = alert_world
    ref, key, endpoint_id, secret = tenant_with_endpoint(world, http_receiver)
    created = rule(world, key, endpoint_id)
    minute = NOW.replace(second=0)
    world.dashboard.ingest(events_in_minute(ref, minute, 9), now=NOW)
    # three evaluator runs over the same minute, two of them at once: one FIRING notification
    world.run(NOW)
    errors: list[BaseException] = []

    def overlapping() -> None:
        try:
            world.run(NOW + timedelta(seconds=5))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    runs = [threading.Thread(target=overlapping) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert errors == []
    fired = [n for n in notifications(http_receiver, secret) if n["rule"]["id"] == created["id"]]
    assert [(n["previous_state"], n["state"], n["observed_value"]) for n in fired] == [("OK", "FIRING", 9.0)]
    assert fired[0]["expected"]["threshold"] == 5
    assert fired[0]["bucket"] == {"start": iso(minute - MINUTE), "end": iso(minute)}
    # the next minute is quiet and complete (a later event of another type moved the watermark): RESOLVED once
    world.dashboard.ingest([envelope(ref, "other", at=minute + MINUTE, received=minute + 2 * MINUTE)], now=NOW)
    world.run(NOW + MINUTE)
    world.run(NOW + MINUTE)
    states = [n["state"] for n in notifications(http_receiver, secret) if n["rule"]["id"] == created["id"]]
    assert states == ["FIRING", "RESOLVED"]
    status, history = world.dashboard.get(f"/v1/alerts/{created['id']}/history", key)
    assert status == 200, history
    assert [(h["from_state"], h["to_state"], h["notification_status"], h["notification_outcome"])
            for h in history["history"]] == [
        ("FIRING", "RESOLVED", "sent", "sent"),
        ("OK", "FIRING", "sent", "sent"),
    ]  # fmt: skip
    assert history["history"][1]["deliveries"][0]["status"] == "delivered"
    _, deliveries = world.dashboard.get(f"/v1/webhooks/{endpoint_id}/deliveries", key)
    assert len(deliveries["deliveries"]) == 2


def test_a_silence_and_a_pending_period_hold_notifications(
    alert_world: AlertWorld, http_receiver: HttpReceiver
) -> None:
    world = alert_world
    ref, key, endpoint_id, secret = tenant_with_endpoint(world, http_receiver)
    silenced = rule(world, key, endpoint_id, silenced_until=iso(NOW + timedelta(hours=1)))
    patient = rule(world, key, endpoint_id, pending_evaluations=3)
    minute = NOW.replace(second=0)
    world.dashboard.ingest(events_in_minute(ref, minute, 12), now=NOW)
    world.run(NOW)
    assert notifications(http_receiver, secret) == []
    _, silenced_now = world.dashboard.get(f"/v1/alerts/{silenced['id']}", key)
    _, patient_now = world.dashboard.get(f"/v1/alerts/{patient['id']}", key)
    assert silenced_now["status"]["state"] == "FIRING"  # states move; only the notification is held
    assert patient_now["status"]["state"] == "PENDING"
    _, history = world.dashboard.get(f"/v1/alerts/{silenced['id']}/history", key)
    assert history["history"][0]["notification_status"] == "suppressed"


def test_a_lagging_pipeline_means_nodata_not_a_false_alarm(
    alert_world: AlertWorld, http_receiver: HttpReceiver
) -> None:
    world = alert_world
    ref, key, endpoint_id, secret = tenant_with_endpoint(world, http_receiver)
    absent = rule(world, key, endpoint_id, condition={"kind": "absence"})
    # the tenant's data is complete only up to 10 minutes ago, and Kafka holds a record nobody applied
    world.dashboard.ingest([envelope(ref, "checkout", at=NOW - 10 * MINUTE, received=NOW - 10 * MINUTE)], now=NOW)
    slug = next(s for s, t in world.dashboard.api.tenants.items() if t == ref.tenant_id)
    ingest = world.dashboard.api.key(slug, Scope.INGEST)
    event = {"event_id": str(uuid.uuid4()), "event_type": "checkout", "user_id": "u1"}
    assert world.dashboard.call("POST", "/v1/events", ingest, body=event)[0] == 200
    assert not world.lag.caught_up()
    world.run(NOW)
    _, now_state = world.dashboard.get(f"/v1/alerts/{absent['id']}", key)
    assert now_state["status"]["state"] == "NODATA"
    assert notifications(http_receiver, secret) == []


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"url": "https://10.1.2.3/hook"}, "url", None),
        ({"url": "ftp://example.com/hook"}, "url", None),
        ({"url": "https://169.254.169.254/latest/meta-data"}, "url", None),
        ({"url": "https://no-such-host.invalid/hook"}, "url", "webhook_host_unresolvable"),
        ({"url": "https://example.com/hook", "extra": 1}, "extra", None),
    ],
)
def test_bad_webhook_urls_are_refused(
    alert_world: AlertWorld, body: dict[str, Any], field: str, code: str | None
) -> None:
    _, key = alert_world.dashboard.tenant()
    status, answer = alert_world.dashboard.call("POST", "/v1/webhooks", key, body=body)
    assert status == 400, answer
    assert answer["error"]["field"] == field
    if code:
        assert answer["error"]["code"] == code


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"window_seconds": 90}, "window_seconds"),
        ({"condition": {"kind": "threshold", "operator": "around", "value": 1}}, "condition.operator"),
        ({"metric": "revenue"}, "metric"),
        ({"channels": [str(uuid.uuid4())]}, "channels"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(alert_world: AlertWorld, change: dict[str, Any], field: str) -> None:
    _, key = alert_world.dashboard.tenant()
    body = {"name": "r", "event_type": "checkout", "metric": "count", "window_seconds": 60,
            "condition": {"kind": "absence"}, **change}  # fmt: skip
    status, answer = alert_world.dashboard.call("POST", "/v1/alerts", key, body=body)
    assert status == 400, answer
    assert answer["error"]["field"] == field


def test_rules_are_admin_edits_and_tenant_scoped(alert_world: AlertWorld, http_receiver: HttpReceiver) -> None:
    world = alert_world
    _, key, endpoint_id, _ = tenant_with_endpoint(world, http_receiver)
    created = rule(world, key, endpoint_id)
    _, other_key = world.dashboard.tenant()
    assert world.dashboard.get(f"/v1/alerts/{created['id']}", other_key)[0] == 404
    assert world.dashboard.call("DELETE", f"/v1/alerts/{created['id']}", other_key)[0] == 404
    status, patched = world.dashboard.call("PATCH", f"/v1/alerts/{created['id']}", key, body={"enabled": False})
    assert (status, patched["enabled"]) == (200, False)
    tenant_id = world.dashboard.get("/v1/session", key)[1]["tenant"]["id"]
    slug = next(s for s, t in world.dashboard.api.tenants.items() if str(t) == tenant_id)
    reader = world.dashboard.api.key(slug, Scope.READ)
    assert world.dashboard.call("PATCH", f"/v1/alerts/{created['id']}", reader, body={"enabled": True})[0] == 403
    assert world.dashboard.get(f"/v1/alerts/{created['id']}", reader)[0] == 200


def test_the_scheduled_handler_runs_from_the_template(alert_world: AlertWorld) -> None:
    env = os.environ | {
        "CS_PG_DATABASE": alert_world.dashboard.api.database.pg_database,
        "CS_AWS_ENDPOINT_URL": alert_world.moto_url,
        "CS_ALERTS_TOPIC_ARN": alert_world.topic_arn,
        "CS_KAFKA_EVENTS_TOPIC": alert_world.dashboard.api.topic,
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    command = [
        sys.executable,
        "-m",
        "customersignal.local.schedule",
        "--template",
        str(ROOT / "template.yaml"),
        "--once",
    ]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=scaled(120))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "AlertsEvaluatorFunction.EveryMinute: {'rules':" in run.stdout, run.stdout + run.stderr[-3000:]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_the_fast_path_fires_within_the_batch_and_the_schedule_does_not_repeat_it(
    alert_world: AlertWorld, http_receiver: HttpReceiver
) -> None:
    world = alert_world
    ref, key, endpoint_id, secret = tenant_with_endpoint(world, http_receiver)
    fast = rule(world, key, endpoint_id)  # count above 5 over 1 min, no pending period: a fast rule
    slow = rule(world, key, endpoint_id, pending_evaluations=2)  # needs two evaluations: never fast
    minute = NOW.replace(second=0)
    store = PostgresAlertStore(lambda: connect(world.dashboard.api.database), "http://dashboard.test")
    secrets = SecretBox(LOCAL_DEVELOPMENT_KEY)

    def batch(count: int) -> None:
        events = [envelope(ref, "checkout", at=minute + timedelta(seconds=i), received=NOW) for i in range(count)]
        outcome = world.dashboard.ingest(events, now=NOW)
        report = check_fast_path(store, outcome.counted_types, NOW, uuid.uuid4().hex)
        if report.transitions:
            publish_pending(store, world.channel, secrets, NOW, report)

    try:
        batch(3)  # 3 in the window so far: below the threshold
        assert notifications(http_receiver, secret) == []
        batch(4)  # 7: above it, before the minute is over
        fired = notifications(http_receiver, secret)
        assert [(n["rule"]["id"], n["state"], n["observed_value"]) for n in fired] == [(fast["id"], "FIRING", 7.0)]
        assert fired[0]["bucket"]["end"] == iso(minute + MINUTE)  # the window the schedule judges next
        # the scheduled run over that same window, once it is complete: the fast rule is not notified again
        world.dashboard.ingest([envelope(ref, "other", at=minute + MINUTE, received=minute + 2 * MINUTE)], now=NOW)
        world.run(minute + MINUTE + timedelta(seconds=5))
        ids = [n["rule"]["id"] for n in notifications(http_receiver, secret)]
        assert ids.count(fast["id"]) == 1
        _, slow_now = world.dashboard.get(f"/v1/alerts/{slow['id']}", key)
        assert slow_now["status"]["state"] == "PENDING"
    finally:
        store.close()


def test_a_delivery_can_be_sent_again_with_the_same_webhook_id(
    alert_world: AlertWorld, http_receiver: HttpReceiver
) -> None:
    world = alert_world
    ref, key, endpoint_id, secret = tenant_with_endpoint(world, http_receiver)
    created = rule(world, key, endpoint_id)
    minute = NOW.replace(second=0)
    world.dashboard.ingest(events_in_minute(ref, minute, 8), now=NOW)
    world.run(NOW)
    _, log = world.dashboard.get(f"/v1/webhooks/{endpoint_id}/deliveries", key)
    [first] = log["deliveries"]
    status, again = world.dashboard.call("POST", f"/v1/deliveries/{first['id']}/redeliver", key)
    assert (status, again["status"], again["alert_history_id"]) == (201, "delivered", first["alert_history_id"])
    with http_receiver.lock:
        messages = [r.json() for r in http_receiver.requests if r.json().get("Type") == "Notification"]
    ids = [open_envelope(str(m["Message"])).webhook_id for m in messages]
    assert len(ids) == 2
    assert len(set(ids)) == 1  # the same id: a receiver that processed the first drops the second
    assert [n["rule"]["id"] for n in notifications(http_receiver, secret)] == [created["id"]] * 2
    _, other_key = world.dashboard.tenant()
    assert world.dashboard.call("POST", f"/v1/deliveries/{first['id']}/redeliver", other_key)[0] == 404


def test_a_flapping_metric_is_held_by_the_pending_period(alert_world: AlertWorld, http_receiver: HttpReceiver) -> None:
    world = alert_world
    ref, key, endpoint_id, secret = tenant_with_endpoint(world, http_receiver)
    created = rule(world, key, endpoint_id, pending_evaluations=2)
    base = NOW.replace(second=0) - 10 * MINUTE
    # breaching, quiet, breaching, quiet, then breaching twice in a row
    for window in (1, 3, 5, 6):
        world.dashboard.ingest(events_in_minute(ref, base + window * MINUTE, 8), now=NOW)
    world.dashboard.ingest([envelope(ref, "other", at=NOW - MINUTE, received=NOW)], now=NOW)  # complete up to NOW
    states = []
    for window in range(1, 7):
        world.run(base + window * MINUTE + timedelta(seconds=5))
        states.append(world.dashboard.get(f"/v1/alerts/{created['id']}", key)[1]["status"]["state"])
    assert states == ["PENDING", "OK", "PENDING", "OK", "PENDING", "FIRING"]
    assert [n["state"] for n in notifications(http_receiver, secret)] == ["FIRING"]


def test_since_is_when_the_change_was_recorded_and_no_channel_is_not_sent(alert_world: AlertWorld) -> None:
    # Given a fast rule with no channels, fired by a batch in the middle of its window
    world = alert_world
    ref, key = world.dashboard.tenant()
    quiet = rule(world, key, "", channels=[])
    minute = NOW.replace(second=0)
    store = PostgresAlertStore(lambda: connect(world.dashboard.api.database), "http://dashboard.test")
    try:
        events = [envelope(ref, "checkout", at=minute + timedelta(seconds=i), received=NOW) for i in range(7)]
        outcome = world.dashboard.ingest(events, now=NOW)
        report = check_fast_path(store, outcome.counted_types, NOW, uuid.uuid4().hex)
        publish_pending(store, world.channel, SecretBox(LOCAL_DEVELOPMENT_KEY), NOW, report)
    finally:
        store.close()
    status, detail = world.dashboard.get(f"/v1/alerts/{quiet['id']}", key)
    assert status == 200, detail
    _, history = world.dashboard.get(f"/v1/alerts/{quiet['id']}/history", key)
    [fired] = history["history"]
    # Then the rule is FIRING since the transition was recorded, not since the end of a window still open
    assert (detail["status"]["state"], fired["to_state"]) == ("FIRING", "FIRING")
    assert fired["bucket_end"] == iso(minute + MINUTE)
    assert detail["status"]["since"] == fired["created_at"] != fired["bucket_end"]
    _, listed = world.dashboard.get("/v1/alerts", key)
    assert [(r["state"], r["since"]) for r in listed["rules"]] == [("FIRING", fired["created_at"])]
    # And with nothing to deliver to, the outbox is done but nothing was sent
    assert (fired["notification_status"], fired["notification_outcome"], fired["deliveries"]) == (
        "sent",
        "no_channels",
        [],
    )
