"""The API's composition root: settings read and clients built once per container (cold start)."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from aws_lambda_powertools.metrics import MetricUnit
from redis.backoff import NoBackoff
from redis.retry import Retry

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.kafka_auth import client_config
from customersignal.adapters.kafka_producer import KafkaEventPublisher
from customersignal.adapters.key_cache import CachedKeyLookup, SystemClock
from customersignal.adapters.key_store import PostgresKeyStore
from customersignal.adapters.postgres import connect, resolve_credentials
from customersignal.adapters.rate_lease import LeasedRateLimiter
from customersignal.adapters.rate_limit import RedisTokenBucket
from customersignal.adapters.tracing_setup import build_tracer
from customersignal.domain.envelope import Envelope
from customersignal.observability import metrics
from customersignal.ports import EventPublisher, KeyLookup, RateLimiter, Tracer
from customersignal.settings import AwsSettings, KafkaSettings, PostgresSettings, RedisSettings, TracingSettings


class ApiSettings(KafkaSettings, PostgresSettings, RedisSettings, AwsSettings, TracingSettings):
    """Exactly what the API function reads (template.yaml passes these)."""


class TimedPublisher:
    """Records how long Kafka took to acknowledge each request's events (the ProduceLatency metric)."""

    def __init__(self, inner: EventPublisher) -> None:
        self._inner = inner

    def publish(self, envelopes: Sequence[Envelope], *, traceparent: str, spread: int = 1) -> None:
        started = time.perf_counter()
        self._inner.publish(envelopes, traceparent=traceparent, spread=spread)
        elapsed_ms = (time.perf_counter() - started) * 1000
        metrics.add_metric(name="ProduceLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)


@dataclass(frozen=True)
class ApiDeps:
    keys: KeyLookup
    limiter: RateLimiter
    publisher: EventPublisher


@functools.cache
def get_deps() -> ApiDeps:
    settings = ApiSettings()
    aws = AwsClients(settings)
    postgres = resolve_credentials(settings, aws.secretsmanager())
    kafka = client_config(settings, region=settings.aws_region, secrets=aws.secretsmanager)
    # no retries with backoff: the key cache and the limiter fall back on their own when Redis is away
    hot = redis.Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 0),
    )
    key_store = PostgresKeyStore(lambda: connect(postgres))
    return ApiDeps(
        keys=CachedKeyLookup(key_store, hot, clock=SystemClock(), usage=key_store),
        limiter=LeasedRateLimiter(RedisTokenBucket(hot)),
        publisher=TimedPublisher(KafkaEventPublisher(settings, kafka)),
    )


@functools.cache
def get_tracer() -> Tracer:
    """Apart from ``get_deps``: every route has a span, and most routes need none of the ingest clients."""
    return build_tracer(TracingSettings(), "customersignal-api")
