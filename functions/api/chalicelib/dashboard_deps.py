"""The dashboard routes' composition root: built on the first dashboard request of a container, so an
ingestion-only container never opens these connections."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import redis

from chalicelib.deps import ApiSettings, get_deps
from customersignal.adapters.aws import AwsClients
from customersignal.adapters.dead_letter_admin import LetterReplayer
from customersignal.adapters.hot_reader import RedisHotReader
from customersignal.adapters.kafka_auth import client_config
from customersignal.adapters.key_cache import CachedKeyLookup
from customersignal.adapters.pg_catalog import PostgresCatalogStore
from customersignal.adapters.pg_explorer import PostgresEventReader
from customersignal.adapters.pg_key_admin import PostgresKeyAdmin
from customersignal.adapters.pg_letters_view import PostgresDeadLetterStore
from customersignal.adapters.pg_metrics_read import PostgresMetricsReader
from customersignal.adapters.pg_session import PostgresSessionReader
from customersignal.adapters.pg_tenant import TenantDatabase
from customersignal.adapters.postgres import connect, resolve_credentials


@dataclass(frozen=True)
class DashboardDeps:
    metrics: PostgresMetricsReader
    hot: RedisHotReader
    events: PostgresEventReader
    catalog: PostgresCatalogStore
    letters: PostgresDeadLetterStore
    keys: PostgresKeyAdmin
    session: PostgresSessionReader


@functools.cache
def get_dashboard_deps() -> DashboardDeps:
    settings = ApiSettings()
    aws = AwsClients(settings)
    postgres = resolve_credentials(settings, aws.secretsmanager())
    db = TenantDatabase(lambda: connect(postgres))
    hot = redis.Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=0.5, socket_connect_timeout=0.5)
    key_lookup = get_deps().keys

    @functools.cache
    def replayer() -> LetterReplayer:
        return LetterReplayer(settings, client_config(settings, region=settings.aws_region, secrets=aws.secretsmanager))

    def forget_key(key_hash: bytes) -> None:
        if isinstance(key_lookup, CachedKeyLookup):
            key_lookup.invalidate(key_hash)

    return DashboardDeps(
        metrics=PostgresMetricsReader(db),
        hot=RedisHotReader(hot),
        events=PostgresEventReader(db),
        catalog=PostgresCatalogStore(db),
        letters=PostgresDeadLetterStore(db, replayer),
        keys=PostgresKeyAdmin(db, on_revoke=forget_key),
        session=PostgresSessionReader(db),
    )
