"""The dashboard routes' composition root: built on the first dashboard request of a container, so an
ingestion-only container never opens these connections."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import redis

from chalicelib.deps import ApiSettings, get_deps
from customersignal.adapters.aws import AwsClients
from customersignal.adapters.dead_letter_admin import LetterReplayer
from customersignal.adapters.dns_resolver import SystemResolver
from customersignal.adapters.hot_reader import RedisHotReader
from customersignal.adapters.kafka_auth import client_config
from customersignal.adapters.key_cache import CachedKeyLookup
from customersignal.adapters.pg_alert_admin import PostgresDeliveryStore, PostgresEndpointStore, PostgresRuleStore
from customersignal.adapters.pg_catalog import PostgresCatalogStore
from customersignal.adapters.pg_explorer import PostgresEventReader
from customersignal.adapters.pg_funnel import PostgresFunnelReader
from customersignal.adapters.pg_key_admin import PostgresKeyAdmin
from customersignal.adapters.pg_letters_view import PostgresDeadLetterStore
from customersignal.adapters.pg_live_feed import PostgresLiveReader
from customersignal.adapters.pg_metrics_read import PostgresMetricsReader
from customersignal.adapters.pg_people import PostgresPeopleReader
from customersignal.adapters.pg_rollup_marks import PostgresRollupMarks
from customersignal.adapters.pg_session import PostgresSessionReader
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.pg_trend import PostgresRawTrends, PostgresRollupTrends
from customersignal.adapters.postgres import connect, resolve_credentials
from customersignal.adapters.secret_box import SecretBox, webhook_key
from customersignal.adapters.sns_alerts import SnsAlertChannel, alerts_topic_arn
from customersignal.settings import AlertTargetSettings, WebhookSettings


class AlertApiSettings(ApiSettings, WebhookSettings, AlertTargetSettings):
    """The API's settings plus what registering webhook endpoints needs."""


@dataclass(frozen=True)
class DashboardDeps:
    metrics: PostgresMetricsReader
    hot: RedisHotReader
    rollup_trends: PostgresRollupTrends
    raw_trends: PostgresRawTrends
    events: PostgresEventReader
    people: PostgresPeopleReader
    live: PostgresLiveReader
    funnels: PostgresFunnelReader
    catalog: PostgresCatalogStore
    rollups: PostgresRollupMarks
    letters: PostgresDeadLetterStore
    keys: PostgresKeyAdmin
    session: PostgresSessionReader
    rules: PostgresRuleStore
    endpoints: PostgresEndpointStore
    deliveries: PostgresDeliveryStore
    resolver: SystemResolver
    subscriptions: Callable[[], SnsAlertChannel]
    sealer: Callable[[], SecretBox]
    webhook_local_mode: bool


@functools.cache
def get_dashboard_deps() -> DashboardDeps:
    settings = AlertApiSettings()
    aws = AwsClients(settings)
    postgres = resolve_credentials(settings, aws.secretsmanager())
    db = TenantDatabase(lambda: connect(postgres))
    hot = redis.Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=0.5, socket_connect_timeout=0.5)
    key_lookup = get_deps().keys

    @functools.cache
    def replayer() -> LetterReplayer:
        return LetterReplayer(settings, client_config(settings, region=settings.aws_region, secrets=aws.secretsmanager))

    @functools.cache
    def subscriptions() -> SnsAlertChannel:
        return SnsAlertChannel(aws.sns(), alerts_topic_arn(settings.alerts_topic_arn, settings.stage, aws.sns()))

    @functools.cache
    def sealer() -> SecretBox:
        return SecretBox(webhook_key(settings, aws))

    def forget_key(key_hash: bytes) -> None:
        if isinstance(key_lookup, CachedKeyLookup):
            key_lookup.invalidate(key_hash)

    return DashboardDeps(
        metrics=PostgresMetricsReader(db),
        hot=RedisHotReader(hot),
        rollup_trends=PostgresRollupTrends(db),
        raw_trends=PostgresRawTrends(db),
        events=PostgresEventReader(db),
        people=PostgresPeopleReader(db),
        live=PostgresLiveReader(db),
        funnels=PostgresFunnelReader(db),
        catalog=PostgresCatalogStore(db),
        rollups=PostgresRollupMarks(db),
        letters=PostgresDeadLetterStore(db, replayer),
        keys=PostgresKeyAdmin(db, on_revoke=forget_key),
        session=PostgresSessionReader(db),
        rules=PostgresRuleStore(db),
        endpoints=PostgresEndpointStore(db),
        deliveries=PostgresDeliveryStore(db, settings.dashboard_url),
        resolver=SystemResolver(),
        subscriptions=subscriptions,
        sealer=sealer,
        webhook_local_mode=settings.webhook_local_mode,
    )
