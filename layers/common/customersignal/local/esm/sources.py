"""The Kafka event sources of a template: one ``KafkaSource`` per ``MSK``/``SelfManagedKafka`` event.

Functions whose ``Condition`` is false do not exist, so they have no source. Each event's properties are
resolved (``intrinsics.Resolver``) and checked against the ranges AWS accepts, so a template the ESM API
would refuse fails here too, naming the property. Locally the brokers are ``CS_KAFKA_BOOTSTRAP``
(PLAINTEXT): ``KafkaBootstrapServers``, ``SourceAccessConfigurations`` and auth are not read.

Docs silent, our choice: with no ``ConsumerGroupId`` AWS generates a unique one; we use a fixed
``lambda-esm-<function>-<event>`` so that a restarted emulator resumes, as a long-lived mapping would.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from customersignal.local.esm.events import SourceKind
from customersignal.local.esm.intrinsics import Resolver
from customersignal.local.template import SERVERLESS_FUNCTION, FunctionSpec, TemplateError, function_spec

EVENT_KINDS: dict[str, SourceKind] = {"MSK": "msk", "SelfManagedKafka": "self-managed"}
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
PLACEHOLDER_CLUSTER_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/local/00000000-0000-0000-0000-000000000000-1"
MAX_KAFKA_TIMEOUT_S = 14 * 60  # "Function timeout for Kafka ... ESMs must be <= 14 minutes" (aws.md §1.2)
DEFAULT_WINDOW_S = 0.5  # "For Amazon MSK, Self-managed Apache Kafka ... the default batching window is 500 ms."


@dataclass(frozen=True)
class OnFailure:
    kind: Literal["kafka", "sqs", "sns"]
    target: str
    """The topic name for ``kafka``, the queue or topic ARN for ``sqs``/``sns``."""

    @property
    def uri(self) -> str:
        return f"kafka://{self.target}" if self.kind == "kafka" else self.target


@dataclass(frozen=True)
class EsmConfig:
    """One event-source mapping's settings, as AWS would hold them after creation."""

    event_name: str
    kind: SourceKind
    topics: tuple[str, ...]
    consumer_group: str
    starting_position: str = "TRIM_HORIZON"
    starting_timestamp_s: float | None = None
    batch_size: int = 100  # "Amazon Managed Streaming for Apache Kafka - Default 100. Max 10,000."
    window_s: float = DEFAULT_WINDOW_S
    max_retry_attempts: int = -1  # "The default is -1 (infinite)."
    max_record_age_s: int = -1  # "The default is -1 (infinite)."
    bisect: bool = False
    report_item_failures: bool = False
    on_failure: OnFailure | None = None
    event_source_arn: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class KafkaSource:
    spec: FunctionSpec
    mapping: EsmConfig

    @property
    def name(self) -> str:
        return f"{self.spec.logical_id}.{self.mapping.event_name}"


def _int(where: str, value: Any, low: int, high: int, *, minus_one: bool = False) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | str)
        or not str(value).lstrip("-").isdecimal()
        or not str(value).isascii()
    ):
        raise TemplateError(f"{where} must be an integer (found {value!r})")
    number = int(value)
    if not (low <= number <= high or (minus_one and number == -1)):
        allowed = f"{'-1 or ' if minus_one else ''}{low}-{high}"
        raise TemplateError(f"{where} is {number}; AWS accepts {allowed}")
    return number


def _bool(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TemplateError(f"{where} must be true or false (found {value!r})")


def _on_failure(where: str, config: Any, topics: tuple[str, ...]) -> OnFailure | None:
    on_failure = (config or {}).get("OnFailure") if isinstance(config, dict) else None
    destination = (on_failure or {}).get("Destination")
    if not destination:
        return None
    declared = str((on_failure or {}).get("Type", "")).upper()
    if str(destination).startswith("kafka://"):
        topic = str(destination).removeprefix("kafka://")
        # "Lambda prevents infinite loops by blocking configurations where the source and destination
        # topics are the same." (kafka-on-failure-destination)
        if topic in topics:
            raise TemplateError(f"{where}: the on-failure topic {topic} is also a source topic")
        return OnFailure("kafka", topic)
    service = str(destination).split(":")[2] if str(destination).startswith("arn:") else declared.lower()
    if service == "sqs":
        return OnFailure("sqs", str(destination))
    if service == "sns":
        return OnFailure("sns", str(destination))
    raise TemplateError(f"{where}: on-failure destination {destination!r} is not emulated (kafka://, SQS or SNS)")


def mapping_from(where: str, name: str, event: dict[str, Any], resolver: Resolver) -> EsmConfig:
    """Read one ``MSK``/``SelfManagedKafka`` event's properties, resolving only those used locally."""
    kind = EVENT_KINDS[event["Type"]]
    props: dict[str, Any] = event.get("Properties") or {}

    def get(key: str, default: Any = None) -> Any:
        return resolver.resolve(props[key]) if key in props else default

    topics = tuple(str(t) for t in get("Topics") or ())
    if not topics:
        raise TemplateError(f"{where}: Topics is required (one Kafka topic)")
    position = str(get("StartingPosition", "TRIM_HORIZON" if kind == "self-managed" else ""))
    if position not in STARTING_POSITIONS:
        raise TemplateError(f"{where}: StartingPosition {position!r} is not one of {', '.join(STARTING_POSITIONS)}")
    timestamp = get("StartingPositionTimestamp")
    if position == "AT_TIMESTAMP" and timestamp is None:
        raise TemplateError(f"{where}: StartingPosition AT_TIMESTAMP needs StartingPositionTimestamp")
    responses = get("FunctionResponseTypes") or []
    window = get("MaximumBatchingWindowInSeconds")
    return EsmConfig(
        event_name=name,
        kind=kind,
        topics=topics,
        consumer_group=str(get("ConsumerGroupId") or f"lambda-esm-{where.replace('.', '-')}"),
        starting_position=position,
        starting_timestamp_s=None if timestamp is None else float(timestamp),
        batch_size=_int(f"{where} BatchSize", get("BatchSize", 100), 1, 10_000),
        window_s=DEFAULT_WINDOW_S
        if window is None
        else _int(f"{where} MaximumBatchingWindowInSeconds", window, 0, 300),
        max_retry_attempts=_int(
            f"{where} MaximumRetryAttempts", get("MaximumRetryAttempts", -1), 0, 10_000, minus_one=True
        ),
        max_record_age_s=_int(
            f"{where} MaximumRecordAgeInSeconds", get("MaximumRecordAgeInSeconds", -1), 60, 604_800, minus_one=True
        ),
        bisect=_bool(f"{where} BisectBatchOnFunctionError", get("BisectBatchOnFunctionError", False)),
        report_item_failures="ReportBatchItemFailures" in responses,
        on_failure=_on_failure(where, get("DestinationConfig"), topics),
        event_source_arn=(str(get("Stream") or "") or PLACEHOLDER_CLUSTER_ARN) if kind == "msk" else None,
        enabled=_bool(f"{where} Enabled", get("Enabled", True)),
    )


def kafka_sources(
    template: dict[str, Any], resolver: Resolver, base_dir: Path, only: str | None = None
) -> list[KafkaSource]:
    """Every Kafka event source of the functions that exist under these parameters (or of ``only``)."""
    resources: dict[str, Any] = template.get("Resources") or {}
    functions = sorted(k for k, v in resources.items() if isinstance(v, dict) and v.get("Type") == SERVERLESS_FUNCTION)
    if only is not None and only not in functions:
        raise TemplateError(f"no function {only!r} in the template (its functions: {functions or 'none'})")
    found: list[KafkaSource] = []
    for logical_id in [only] if only else functions:
        resource = resources[logical_id]
        events = (resource.get("Properties") or {}).get("Events") or {}
        kafka_events = {n: e for n, e in events.items() if isinstance(e, dict) and e.get("Type") in EVENT_KINDS}
        if not kafka_events:
            continue
        condition = resource.get("Condition")
        if condition is not None and not resolver.condition(condition):
            if only:
                raise TemplateError(
                    f"{only} exists only when Condition {condition} is true; it is false "
                    f"with these parameters (try --param, e.g. KafkaSourceType=msk)"
                )
            continue
        spec = function_spec(template, logical_id, base_dir=base_dir)
        if spec.timeout_s > MAX_KAFKA_TIMEOUT_S:
            raise TemplateError(f"{logical_id} Timeout {spec.timeout_s}s: Kafka mappings allow at most 14 minutes")
        for name, event in kafka_events.items():
            found.append(KafkaSource(spec, mapping_from(f"{logical_id}.{name}", name, event, resolver)))
    if not found:
        where = only or "any function that exists with these parameters"
        raise TemplateError(f"no Kafka event source (Type: MSK or SelfManagedKafka) in {where}")
    return found


def with_overrides(source: KafkaSource, topic: str | None, group: str | None) -> KafkaSource:
    """``--topic`` / ``--consumer-group``: point a source elsewhere (tests use their own topics and groups)."""
    mapping = source.mapping
    if topic is not None:
        mapping = replace(mapping, topics=(topic,))
    if group is not None:
        mapping = replace(mapping, consumer_group=group)
    return replace(source, mapping=mapping)
