"""The aggregator's composition root: settings read and clients built once per container (cold start)."""

from __future__ import annotations

import functools

import redis

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.dns_resolver import SystemResolver
from customersignal.adapters.hot_store import RedisHotStore
from customersignal.adapters.kafka_auth import client_config
from customersignal.adapters.kafka_dlq import KafkaDeadLetterPublisher
from customersignal.adapters.pg_aggregation import PostgresAggregationStore
from customersignal.adapters.pg_alert_store import PostgresAlertStore
from customersignal.adapters.postgres import connect, resolve_credentials
from customersignal.adapters.secret_box import SecretBox, webhook_key
from customersignal.adapters.sns_alerts import SnsAlertChannel, alerts_topic_arn
from customersignal.adapters.tracing_setup import build_tracer
from customersignal.domain.batch_apply import AggregatorPorts
from customersignal.domain.webhook_urls import UrlPolicy
from customersignal.ports import Tracer
from customersignal.settings import AggregatorSettings


@functools.cache
def get_ports() -> AggregatorPorts:
    settings = AggregatorSettings()
    aws = AwsClients(settings)
    postgres = resolve_credentials(settings, aws.secretsmanager())
    kafka = client_config(settings, region=settings.aws_region, secrets=aws.secretsmanager)
    hot = redis.Redis.from_url(
        settings.redis_url.get_secret_value(), socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
    )
    return AggregatorPorts(
        store=PostgresAggregationStore(lambda: connect(postgres)),
        dead_letters=KafkaDeadLetterPublisher(settings, kafka, client_id="customersignal-aggregator"),
        hot_store=RedisHotStore(hot),
        consumer_group=settings.aggregator_consumer_group,
    )


@functools.cache
def get_tracer() -> Tracer:
    return build_tracer(AggregatorSettings(), "customersignal-aggregator")


@functools.cache
def get_fast_path_store() -> PostgresAlertStore:
    """The fast path's own connection, built on the first batch that counted something."""
    settings = AggregatorSettings()
    postgres = resolve_credentials(settings, AwsClients(settings).secretsmanager())
    return PostgresAlertStore(lambda: connect(postgres), settings.dashboard_url)


@functools.cache
def get_fast_path_channel() -> tuple[SnsAlertChannel, SecretBox, UrlPolicy]:
    """SNS, the webhook key and the URL policy (checked again before each delivery), built only when the fast
    path has something to publish."""
    settings = AggregatorSettings()
    aws = AwsClients(settings)
    topic = alerts_topic_arn(settings.alerts_topic_arn, settings.stage, aws.sns())
    urls = UrlPolicy(SystemResolver(), allow_loopback=settings.webhook_local_mode)
    return SnsAlertChannel(aws.sns(), topic), SecretBox(webhook_key(settings, aws)), urls
