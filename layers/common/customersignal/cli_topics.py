"""``customersignal topics``: create CustomerSignal's Kafka topics on a deployed cluster, or check them.

Auto-creation is off on MSK (and should be on any cluster), so ``events_raw`` and ``events_dlq`` are
created once, before the first deploy, from a machine that reaches the brokers (inside the VPC). The
connection comes from the same settings the functions use: ``CS_KAFKA_BOOTSTRAP``,
``CS_KAFKA_SECURITY_PROTOCOL`` and ``CS_KAFKA_SASL_MECHANISM`` (``OAUTHBEARER`` is MSK IAM with this
machine's AWS credentials; ``SCRAM-SHA-512`` reads ``CS_KAFKA_SECRET_ARN``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from customersignal.adapters.aws import AwsClients
from customersignal.adapters.kafka_admin import ensure_topics
from customersignal.adapters.kafka_auth import client_config
from customersignal.topology import required_topics

if TYPE_CHECKING:
    from customersignal.cli import Deps

EXIT_OK, EXIT_REFUSED = 0, 1


def topics(args: argparse.Namespace, deps: Deps) -> int:
    settings = deps.settings
    wanted = required_topics(settings)
    connection = client_config(settings, region=settings.aws_region, secrets=AwsClients(settings).secretsmanager)
    admin = AdminClient(connection | {"log_level": 3})
    try:
        if not args.check:
            ensure_topics(admin, wanted, timeout_s=args.timeout, replication_factor=args.replication_factor)
        found = admin.list_topics(timeout=args.timeout).topics
    except (KafkaException, TimeoutError) as error:
        print(f"error: Kafka at {settings.kafka_bootstrap} refused ({error}); check the CS_KAFKA_* settings "
              "and that this machine reaches the brokers", file=deps.err)  # fmt: skip
        return EXIT_REFUSED
    problems = []
    for name, partitions in wanted.items():
        topic = found.get(name)
        have = 0 if topic is None or topic.error is not None else len(topic.partitions)
        print(f"{name}: {have} partitions (wants {partitions})", file=deps.out)
        if have < partitions:
            problems.append(name)
    if problems:
        hint = "run without --check to create them" if args.check else "see the broker's log"
        print(f"error: missing or too few partitions: {', '.join(problems)}; {hint}", file=deps.err)
        return EXIT_REFUSED
    return EXIT_OK


def register(
    nouns: argparse._SubParsersAction[argparse.ArgumentParser], command: Callable[..., argparse.ArgumentParser]
) -> None:
    parser = command(nouns, "topics", "create (or --check) events_raw and events_dlq on the configured Kafka", topics)
    parser.add_argument("--replication-factor", type=int, default=3, help="replicas per partition (MSK: 3)")
    parser.add_argument("--check", action="store_true", help="only check the topics; create nothing")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the brokers")
