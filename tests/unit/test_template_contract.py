"""template.yaml and samconfig.toml agree with the code: env vars, runtimes, layer sources, parameters.

The template is read with a SafeLoader that understands CloudFormation's short tags (!Ref, !Sub, !If...),
so this runs in the project venv without the SAM tools.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices, AliasPath

from customersignal.local.template import load_template
from customersignal.settings import PlatformSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = "python3.12"
ARCHITECTURE = "x86_64"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _resources(template: dict[str, Any], *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in types:
            yield logical_id, resource


def settings_env_names() -> set[str]:
    """The environment variable names PlatformSettings reads (prefix + field name, or its aliases)."""
    prefix = str(PlatformSettings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, field in PlatformSettings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(f"{prefix}{field_name}".upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(choice.upper() for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, AliasPath):
            names.add(str(alias.path[0]).upper())
    return names


def global_env(template: dict[str, Any]) -> dict[str, Any]:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert isinstance(variables, dict)
    return variables


def test_every_cs_variable_in_globals_is_read_by_settings(template: dict[str, Any]) -> None:
    # Given the CS_* variables every function gets
    cs_vars = {name for name in global_env(template) if name.startswith("CS_")}
    # When compared with what the settings read
    unknown = cs_vars - settings_env_names()
    # Then none is dead configuration
    assert not unknown, f"template passes variables no setting reads: {sorted(unknown)}"


def test_functions_get_powertools_service_and_level(template: dict[str, Any]) -> None:
    env = global_env(template)
    assert env["POWERTOOLS_SERVICE_NAME"] == "customersignal"
    assert env["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}


def test_every_runtime_is_python312_on_x86_64(template: dict[str, Any]) -> None:
    globals_fn = template["Globals"]["Function"]
    assert globals_fn["Runtime"] == RUNTIME
    assert globals_fn["Architectures"] == [ARCHITECTURE]
    for logical_id, fn in _resources(template, *FUNCTION_TYPES):
        props = fn.get("Properties", {})
        assert props.get("Runtime", RUNTIME) == RUNTIME, logical_id
        assert props.get("Architectures", [ARCHITECTURE]) == [ARCHITECTURE], logical_id
    for logical_id, layer in _resources(template, LAYER_TYPE):
        assert layer["Properties"]["CompatibleRuntimes"] == [RUNTIME], logical_id
        assert layer["Properties"]["CompatibleArchitectures"] == [ARCHITECTURE], logical_id
        assert layer["Metadata"]["BuildMethod"] in (RUNTIME, "makefile"), logical_id
        assert layer["Metadata"]["BuildArchitecture"] == ARCHITECTURE, logical_id


def test_layer_sources_exist_with_their_build_manifest(template: dict[str, Any]) -> None:
    layers = dict(_resources(template, LAYER_TYPE))
    assert set(layers) == {"DependenciesLayer", "CommonLayer"}
    for logical_id, layer in layers.items():
        source = ROOT / layer["Properties"]["ContentUri"]
        assert source.is_dir(), f"{logical_id}: ContentUri {source} does not exist"
        if layer["Metadata"]["BuildMethod"] == "makefile":
            makefile = (source / "Makefile").read_text()
            assert f"build-{logical_id}:" in makefile, f"{source}/Makefile has no build-{logical_id} target"
        else:
            assert (source / "requirements.txt").is_file(), f"{logical_id}: no requirements.txt in {source}"
    assert (ROOT / layers["CommonLayer"]["Properties"]["ContentUri"] / "customersignal" / "settings.py").is_file()


def test_deps_layer_requirements_are_the_root_requirements() -> None:
    # SAM's python build needs requirements.txt inside ContentUri; the root file stays the one to edit.
    root = (ROOT / "requirements.txt").read_bytes()
    layer = (ROOT / "layers" / "deps" / "requirements.txt").read_bytes()
    assert layer == root, "layers/deps/requirements.txt differs: cp requirements.txt layers/deps/requirements.txt"


def _overrides(raw: str | list[str]) -> dict[str, str]:
    pairs = raw if isinstance(raw, list) else raw.split()
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.mark.parametrize("env", ["default", "dev", "prod"])
def test_samconfig_overrides_fit_the_template_parameters(template: dict[str, Any], env: str) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert config["version"] == 0.1
    deploy = config[env]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    overrides = _overrides(deploy["parameter_overrides"])
    parameters: dict[str, dict[str, Any]] = template["Parameters"]
    assert set(overrides) <= set(parameters), f"[{env}] unknown parameters: {set(overrides) - set(parameters)}"
    required = {name for name, spec in parameters.items() if "Default" not in spec}
    assert required <= set(overrides), f"[{env}] missing required parameters: {required - set(overrides)}"
    for name, value in overrides.items():
        allowed = parameters[name].get("AllowedValues")
        assert allowed is None or value in allowed, f"[{env}] {name}={value} not in {allowed}"
    assert overrides["Stage"] == (env if env != "default" else "dev")
    assert config[env]["build"]["parameters"] == {"cached": True, "parallel": True}


# ------------------------------------------------------------------------- parameter rules and patterns

MSK_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/customersignal/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0-2"
BROKERS = "b-1.cs.abc123.c2.kafka.us-east-1.amazonaws.com:9098,b-2.cs.abc123.c2.kafka.us-east-1.amazonaws.com:9098"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_customersignal-AbCdEf"
VALID = {
    "Stage": "prod",
    "MskClusterArn": MSK_ARN,
    "KafkaBootstrapServers": BROKERS,
    "KafkaSecretArn": SECRET_ARN,
    "PostgresSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCdEf",
    "RedisEndpoint": "master.cs-redis.abc123.use1.cache.amazonaws.com:6379",
    "PostgresSslRootCert": "/opt/python/customersignal/certs/rds-global-bundle.pem",
}


def _evaluate(expr: Any, params: dict[str, str]) -> Any:
    """Evaluate the rule functions the template uses (Ref, Fn::Equals/Not/And/Or/Contains) for given parameters."""
    if not isinstance(expr, dict):
        return expr
    if "Ref" in expr:
        return params[expr["Ref"]]
    (function, args), *_ = expr.items()
    values = [_evaluate(arg, params) for arg in args]
    operations: dict[str, Any] = {
        "Fn::Equals": lambda: values[0] == values[1],
        "Fn::Not": lambda: not values[0],
        "Fn::And": lambda: all(values),
        "Fn::Or": lambda: any(values),
        "Fn::Contains": lambda: values[1] in values[0],
    }
    assert function in operations, f"the rule evaluator does not know {function}"
    return operations[function]()


def broken_rules(template: dict[str, Any], **overrides: str) -> set[str]:
    params = {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()}
    params.update(overrides)
    broken = set()
    for name, rule in template["Rules"].items():
        if "RuleCondition" in rule and not _evaluate(rule["RuleCondition"], params):
            continue
        if not all(_evaluate(assertion["Assert"], params) for assertion in rule["Assertions"]):
            broken.add(name)
    return broken


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"MskClusterArn": MSK_ARN, "KafkaBootstrapServers": BROKERS}, set()),
        ({"KafkaBootstrapServers": BROKERS}, {"MskSource"}),  # MSK without its cluster
        ({"MskClusterArn": MSK_ARN}, {"MskSource"}),  # producers need the bootstrap string
        ({"MskClusterArn": MSK_ARN, "KafkaBootstrapServers": BROKERS, "KafkaSecretArn": SECRET_ARN}, {"MskSource"}),
        ({"KafkaSourceType": "self-managed", "KafkaBootstrapServers": BROKERS, "KafkaSecretArn": SECRET_ARN}, set()),
        ({"KafkaSourceType": "self-managed", "KafkaBootstrapServers": BROKERS}, {"SelfManagedSource"}),
        ({"KafkaSourceType": "self-managed", "KafkaSecretArn": SECRET_ARN}, {"SelfManagedSource"}),
        (
            {
                "KafkaSourceType": "self-managed",
                "KafkaBootstrapServers": BROKERS,
                "KafkaSecretArn": SECRET_ARN,
                "MskClusterArn": MSK_ARN,
            },
            {"SelfManagedSource"},
        ),
        ({"Stage": "local", "MskClusterArn": MSK_ARN, "KafkaBootstrapServers": BROKERS}, {"StageIsNotLocal"}),
        # raw events: kept (0), or dropped past the week in which late events still arrive
        (
            {"MskClusterArn": MSK_ARN, "KafkaBootstrapServers": BROKERS, "EventsRetentionDays": "7"},
            {"RetentionPastLateness"},
        ),
        ({"MskClusterArn": MSK_ARN, "KafkaBootstrapServers": BROKERS, "EventsRetentionDays": "8"}, set()),
        ({"MskClusterArn": MSK_ARN, "KafkaBootstrapServers": BROKERS, "EventsRetentionDays": "90"}, set()),
    ],
)
def test_rules_reject_inconsistent_kafka_choices(
    template: dict[str, Any], overrides: dict[str, str], expected: set[str]
) -> None:
    assert broken_rules(template, **overrides) == expected


@pytest.mark.parametrize("name", sorted(VALID))
def test_parameter_patterns_accept_real_values(template: dict[str, Any], name: str) -> None:
    pattern = template["Parameters"][name]["AllowedPattern"]
    assert re.fullmatch(pattern, VALID[name]), f"{name} pattern {pattern} rejects {VALID[name]}"


@pytest.mark.parametrize("env", ["default", "dev", "prod"])
def test_samconfig_placeholders_cannot_deploy(template: dict[str, Any], env: str) -> None:
    # Every REPLACE_ME that a pattern can check is rejected by it, so a half-filled samconfig fails early.
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    overrides = _overrides(config[env]["deploy"]["parameters"]["parameter_overrides"])
    for name, value in overrides.items():
        pattern = template["Parameters"][name].get("AllowedPattern")
        if "REPLACE_ME" in value and pattern:
            assert not re.fullmatch(pattern, value), f"[{env}] placeholder {name}={value} passes {pattern}"


AGGREGATORS = ("AggregatorFunction", "AggregatorSelfManagedFunction")


def test_both_aggregator_variants_differ_only_in_their_event_source(template: dict[str, Any]) -> None:
    # Given the MSK and the self-managed variant; Then code, settings and ESM controls are the same
    msk, self_managed = (template["Resources"][name] for name in AGGREGATORS)
    assert (msk["Condition"], self_managed["Condition"]) == ("UseMsk", "UseSelfManagedKafka")
    shared = ("CodeUri", "Handler", "Timeout", "MemorySize", "Environment")
    assert {k: msk["Properties"][k] for k in shared} == {k: self_managed["Properties"][k] for k in shared}
    msk_event, sm_event = (f["Properties"]["Events"]["EventsRaw"] for f in (msk, self_managed))
    assert (msk_event["Type"], sm_event["Type"]) == ("MSK", "SelfManagedKafka")
    source_only = {"Stream", "KafkaBootstrapServers", "SourceAccessConfigurations"}

    def strip(props: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in props.items() if k not in source_only}

    assert strip(msk_event["Properties"]) == strip(sm_event["Properties"])
    assert msk["Properties"]["Timeout"] <= 14 * 60  # the most a Kafka event-source mapping allows


@pytest.mark.parametrize("name", AGGREGATORS)
def test_the_offset_fence_group_is_the_mapping_consumer_group(template: dict[str, Any], name: str) -> None:
    # The handler fences offsets under CS_AGGREGATOR_CONSUMER_GROUP: it must name the ESM's consumer group,
    # and locally (Stage=local) the settings default must be what the emulator resolves.
    from customersignal.local.esm.intrinsics import Resolver
    from customersignal.settings import AggregatorSettings

    function = template["Resources"][name]["Properties"]
    group = function["Events"]["EventsRaw"]["Properties"]["ConsumerGroupId"]
    assert function["Environment"]["Variables"]["CS_AGGREGATOR_CONSUMER_GROUP"] == group
    field = AggregatorSettings.model_fields["aggregator_consumer_group"]
    assert Resolver(template).resolve(group) == field.default
    assert Resolver(template, {"Stage": "prod"}).resolve(group) == "customersignal-prod-aggregator"
