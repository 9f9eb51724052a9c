"""The aggregator's composition root: settings read and clients built once per container (cold start)."""

from __future__ import annotations

import functools

import redis

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.hot_store import RedisHotStore
from customersignal.adapters.kafka_auth import client_config
from customersignal.adapters.kafka_dlq import KafkaDeadLetterPublisher
from customersignal.adapters.pg_aggregation import PostgresAggregationStore
from customersignal.adapters.postgres import connect, resolve_credentials
from customersignal.domain.batch_apply import AggregatorPorts
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
