"""The alert evaluator's composition root: settings read and clients built once per container."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.dns_resolver import SystemResolver
from customersignal.adapters.kafka_auth import client_config
from customersignal.adapters.pg_alert_store import PostgresAlertStore
from customersignal.adapters.pipeline_lag import KafkaPipelineLag
from customersignal.adapters.postgres import connect, resolve_credentials
from customersignal.adapters.secret_box import SecretBox, webhook_key
from customersignal.adapters.sns_alerts import SnsAlertChannel, alerts_topic_arn
from customersignal.adapters.tracing_setup import build_tracer
from customersignal.domain.webhook_urls import UrlPolicy
from customersignal.ports import Tracer
from customersignal.settings import AlertSettings


@dataclass(frozen=True)
class AlertPorts:
    store: PostgresAlertStore
    lag: KafkaPipelineLag
    channel: SnsAlertChannel
    secrets: SecretBox
    urls: UrlPolicy  # checked again before each delivery (DNS rebinding)


@functools.cache
def get_ports() -> AlertPorts:
    settings = AlertSettings()
    aws = AwsClients(settings)
    topic = alerts_topic_arn(settings.alerts_topic_arn, settings.stage, aws.sns())
    postgres = resolve_credentials(settings, aws.secretsmanager())
    kafka = client_config(settings, region=settings.aws_region, secrets=aws.secretsmanager)
    return AlertPorts(
        store=PostgresAlertStore(lambda: connect(postgres), settings.dashboard_url),
        lag=KafkaPipelineLag(
            kafka, settings.kafka_events_topic, settings.aggregator_consumer_group, lambda: connect(postgres)
        ),
        channel=SnsAlertChannel(aws.sns(), topic),
        secrets=SecretBox(webhook_key(settings, aws)),
        urls=UrlPolicy(SystemResolver(), allow_loopback=settings.webhook_local_mode),
    )


@functools.cache
def get_tracer() -> Tracer:
    return build_tracer(AlertSettings(), "customersignal-alerts")
