"""The ESM emulator reads template.yaml: intrinsics with local parameters, Conditions, and each Kafka event.

Small templates pin each rule; the real template.yaml is read too, and its expectations are derived from
its own text (so a changed BatchSize there does not break this file, only a resolution mistake does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from customersignal.local.esm.intrinsics import NO_VALUE, Resolver, UnresolvableError, parse_overrides
from customersignal.local.esm.sources import PLACEHOLDER_CLUSTER_ARN, kafka_sources, with_overrides
from customersignal.local.template import TemplateError, load_template

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
ARN = "arn:aws:kafka:eu-west-1:111122223333:cluster/prod-cluster/abcd-1234-5"

PARAMETERS = {
    "Stage": {"Type": "String", "Default": "dev"},
    "KafkaSourceType": {"Type": "String", "Default": "msk"},
    "Cluster": {"Type": "String", "Default": ""},
    "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
    "Brokers": {"Type": "CommaDelimitedList", "Default": "a:1,b:2"},
}
CONDITIONS = {
    "UseMsk": {"Fn::Equals": [{"Ref": "KafkaSourceType"}, "msk"]},
    "SelfManaged": {"Fn::Not": [{"Condition": "UseMsk"}]},
    "LocalSelfManaged": {"Fn::And": [{"Condition": "SelfManaged"}, {"Fn::Equals": [{"Ref": "Stage"}, "local"]}]},
    "Either": {"Fn::Or": [{"Condition": "UseMsk"}, {"Condition": "LocalSelfManaged"}]},
}


def resolver(**overrides: str) -> Resolver:
    return Resolver({"Parameters": PARAMETERS, "Conditions": CONDITIONS}, overrides)


# --- intrinsics --------------------------------------------------------------------------------------


def test_local_defaults_win_over_template_defaults_and_params_win_over_both() -> None:
    assert resolver().ref("Stage") == "local"
    assert resolver().ref("KafkaSourceType") == "self-managed"
    assert resolver(Stage="qa").ref("Stage") == "qa"


def test_conditions_combine_equals_not_and_or() -> None:
    local = resolver()
    assert (local.condition("UseMsk"), local.condition("SelfManaged")) == (False, True)
    assert local.condition("LocalSelfManaged") is True
    assert local.condition("Either") is True
    msk = resolver(KafkaSourceType="msk")
    assert (msk.condition("UseMsk"), msk.condition("LocalSelfManaged"), msk.condition("Either")) == (True, False, True)
    assert resolver(Stage="prod").condition("Either") is False


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Fn::Sub": "group-${Stage}-${AWS::Region}"}, "group-local-us-east-1"),
        (
            {"Fn::Sub": ["${Name}/${Stage}/${!Literal}", {"Name": {"Ref": "KafkaSourceType"}}]},
            "self-managed/local/${Literal}",
        ),
        ({"Fn::If": ["UseMsk", "iam", "scram"]}, "scram"),
        ({"Fn::Split": [",", {"Fn::Sub": "a:1,${Stage}"}]}, ["a:1", "local"]),
        ({"Fn::Select": [1, {"Ref": "Brokers"}]}, "b:2"),
        ({"Fn::Select": ["0", {"Fn::Split": ["/", "x/y/z"]}]}, "x"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}, "a-local"),
        ({"k": {"Ref": "AWS::NoValue"}, "keep": 1}, {"keep": 1}),
        ([1, {"Fn::If": ["UseMsk", 2, {"Ref": "AWS::NoValue"}]}], [1]),
    ],
)
def test_intrinsics_resolve_with_parameter_values(expression: Any, expected: Any) -> None:
    assert resolver().resolve(expression) == expected


def test_a_bare_no_value_resolves_to_the_no_value_marker() -> None:
    assert resolver().resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"Ref": "Subnets"}, "pass --param Subnets=VALUE"),
        ({"Ref": "SomeBucket"}, "names a resource"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "needs a deployed resource"),
        ({"Fn::Sub": "${Queue.Arn}"}, "needs a deployed resource"),
        ({"Fn::ImportValue": "x"}, "Fn::ImportValue cannot be resolved locally"),
    ],
)
def test_what_only_a_deployment_knows_is_unresolvable_and_says_why(expression: Any, message: str) -> None:
    with pytest.raises(UnresolvableError, match=message):
        resolver().resolve(expression)


def test_list_parameters_given_as_params_become_lists() -> None:
    assert resolver(Subnets="subnet-1,subnet-2").ref("Subnets") == ["subnet-1", "subnet-2"]


def test_unknown_params_and_malformed_pairs_are_usage_errors() -> None:
    with pytest.raises(TemplateError, match="declares no such parameter"):
        resolver(Stagee="x")
    with pytest.raises(TemplateError, match="not of the form Name=Value"):
        parse_overrides(["Stage"])
    assert parse_overrides(["A=b=c", "E="]) == {"A": "b=c", "E": ""}


def test_an_undeclared_or_circular_condition_is_an_error() -> None:
    circular = Resolver({"Conditions": {"A": {"Condition": "A"}}})
    with pytest.raises(TemplateError, match="refers to itself"):
        circular.condition("A")
    with pytest.raises(TemplateError, match="not declared"):
        resolver().condition("Nope")


# --- the real template.yaml --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def kafka_functions(template: dict[str, Any], event_type: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(logical id, resource, event properties) of each function with an event of ``event_type``."""
    found = []
    for logical_id, resource in template["Resources"].items():
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if isinstance(event, dict) and event.get("Type") == event_type:
                found.append((logical_id, resource, event["Properties"]))
    return found


def test_the_real_template_locally_runs_only_the_self_managed_aggregator(template: dict[str, Any]) -> None:
    declared = kafka_functions(template, "SelfManagedKafka")
    if not declared:
        pytest.skip("template.yaml declares no SelfManagedKafka event yet")
    # Given the local defaults (Stage=local, KafkaSourceType=self-managed)
    sources = kafka_sources(template, Resolver(template), ROOT)
    # Then the SelfManagedKafka functions run, and the MSK ones (Condition UseMsk) do not
    assert {s.spec.logical_id for s in sources} == {logical_id for logical_id, _, _ in declared}
    _, _, props = declared[0]
    mapping = next(s.mapping for s in sources if s.spec.logical_id == declared[0][0])
    assert mapping.kind == "self-managed"
    assert mapping.event_source_arn is None
    assert mapping.topics == tuple(props["Topics"])
    assert mapping.batch_size == props.get("BatchSize", 100)
    assert mapping.bisect is bool(props.get("BisectBatchOnFunctionError", False))
    group = props["ConsumerGroupId"]
    expected_group = group["Fn::Sub"].replace("${Stage}", "local") if isinstance(group, dict) else group
    assert mapping.consumer_group == expected_group


def test_the_real_template_with_msk_runs_the_msk_variant_with_its_cluster_arn(template: dict[str, Any]) -> None:
    declared = kafka_functions(template, "MSK")
    if not declared:
        pytest.skip("template.yaml declares no MSK event yet")
    # Given KafkaSourceType=msk, once with the default (empty) MskClusterArn and once with one
    placeholder = kafka_sources(template, Resolver(template, {"KafkaSourceType": "msk"}), ROOT)
    given = kafka_sources(template, Resolver(template, {"KafkaSourceType": "msk", "MskClusterArn": ARN}), ROOT)
    # Then only the MSK functions run, as aws:kafka with the resolved Stream ARN (or a placeholder)
    assert {s.spec.logical_id for s in given} == {logical_id for logical_id, _, _ in declared}
    assert {s.mapping.kind for s in given} == {"msk"}
    assert {s.mapping.event_source_arn for s in placeholder} == {PLACEHOLDER_CLUSTER_ARN}
    assert {s.mapping.event_source_arn for s in given} == {ARN}


def test_the_real_templates_policy_arns_resolve_through_split_and_select(template: dict[str, Any]) -> None:
    # The aggregator's IAM policy builds topic ARNs from the cluster ARN with !Select/!Split inside !Sub
    for _, resource, _ in kafka_functions(template, "MSK"):
        statements = resource["Properties"]["Policies"][0]["Statement"]
        resources = [r for s in statements for r in (s["Resource"] if isinstance(s["Resource"], list) else [])]
        subs = [r for r in resources if isinstance(r, dict) and "Fn::Sub" in r]
        resolved = {Resolver(template, {"MskClusterArn": ARN}).resolve(r) for r in subs}
        assert "arn:aws:kafka:us-east-1:123456789012:topic/prod-cluster/abcd-1234-5/events_raw" in resolved


# --- event properties ----------------------------------------------------------------------------------


def write_template(tmp_path: Path, properties: dict[str, Any], **function: Any) -> dict[str, Any]:
    template = {
        "Parameters": PARAMETERS,
        "Conditions": CONDITIONS,
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": ".",
                    "Handler": "h.handler",
                    "Events": {"Src": {"Type": "SelfManagedKafka", "Properties": {"Topics": ["in"], **properties}}},
                    **function,
                },
            },
            "Other": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": ".", "Handler": "h.x"}},
        },
    }
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(template), encoding="utf-8")
    return load_template(tmp_path / "template.yaml")


def test_defaults_are_awss_for_kafka(tmp_path: Path) -> None:
    # "Self-managed Apache Kafka - Default 100. Max 10,000." / "the default batching window is 500 ms"
    (source,) = kafka_sources(write_template(tmp_path, {}), resolver(), tmp_path)
    m = source.mapping
    assert (m.batch_size, m.window_s, m.max_retry_attempts, m.max_record_age_s) == (100, 0.5, -1, -1)
    assert (m.bisect, m.report_item_failures, m.on_failure, m.enabled) == (False, False, None, True)
    assert (m.starting_position, m.consumer_group) == ("TRIM_HORIZON", "lambda-esm-Fn-Src")
    assert with_overrides(source, "t2", "g2").mapping.topics == ("t2",)
    assert with_overrides(source, "t2", "g2").mapping.consumer_group == "g2"


def test_settings_are_read_and_resolved(tmp_path: Path) -> None:
    properties = {
        "ConsumerGroupId": {"Fn::Sub": "g-${Stage}"},
        "StartingPosition": "AT_TIMESTAMP",
        "StartingPositionTimestamp": 1700000000,
        "BatchSize": 10_000,
        "MaximumBatchingWindowInSeconds": 0,
        "MaximumRetryAttempts": {"Fn::If": ["UseMsk", 1, 3]},
        "MaximumRecordAgeInSeconds": 60,
        "BisectBatchOnFunctionError": "true",
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}},
    }
    (source,) = kafka_sources(write_template(tmp_path, properties), resolver(), tmp_path)
    m = source.mapping
    assert (m.consumer_group, m.starting_position, m.starting_timestamp_s) == ("g-local", "AT_TIMESTAMP", 1.7e9)
    assert (m.batch_size, m.window_s, m.max_retry_attempts, m.max_record_age_s) == (10_000, 0, 3, 60)
    assert (m.bisect, m.report_item_failures) == (True, True)
    assert m.on_failure is not None
    assert (m.on_failure.kind, m.on_failure.uri) == ("sqs", "arn:aws:sqs:us-east-1:123456789012:dlq")


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"BatchSize": 10_001}, r"BatchSize is 10001; AWS accepts 1-10000"),
        ({"BatchSize": 0}, "AWS accepts 1-10000"),
        ({"MaximumBatchingWindowInSeconds": 301}, "AWS accepts 0-300"),
        ({"MaximumRetryAttempts": -2}, "AWS accepts -1 or 0-10000"),
        ({"MaximumRecordAgeInSeconds": 59}, "AWS accepts -1 or 60-604800"),
        ({"BatchSize": "many"}, "must be an integer"),
        ({"BisectBatchOnFunctionError": "yes"}, "must be true or false"),
        ({"StartingPosition": "EARLIEST"}, "is not one of TRIM_HORIZON, LATEST, AT_TIMESTAMP"),
        ({"StartingPosition": "AT_TIMESTAMP"}, "needs StartingPositionTimestamp"),
        ({"Topics": []}, "Topics is required"),
        ({"DestinationConfig": {"OnFailure": {"Destination": "kafka://in"}}}, "also a source topic"),
        ({"DestinationConfig": {"OnFailure": {"Type": "S3", "Destination": "arn:aws:s3:::b"}}}, "is not emulated"),
    ],
)
def test_settings_aws_would_refuse_are_refused_naming_the_property(
    tmp_path: Path, properties: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        kafka_sources(write_template(tmp_path, properties), resolver(), tmp_path)


def test_function_selection_and_its_errors(tmp_path: Path) -> None:
    template = write_template(tmp_path, {})
    with pytest.raises(TemplateError, match=r"no function 'Nope' in the template \(its functions: \['Fn', 'Other'\]\)"):
        kafka_sources(template, resolver(), tmp_path, "Nope")
    with pytest.raises(TemplateError, match=r"no Kafka event source .* in Other"):
        kafka_sources(template, resolver(), tmp_path, "Other")
    with pytest.raises(TemplateError, match="Timeout 900s: Kafka mappings allow at most 14 minutes"):
        kafka_sources(write_template(tmp_path, {}, Timeout=900), resolver(), tmp_path)


def test_a_function_whose_condition_is_false_does_not_exist(tmp_path: Path) -> None:
    template = write_template(tmp_path, {})
    template["Resources"]["Fn"]["Condition"] = "UseMsk"
    with pytest.raises(TemplateError, match="no Kafka event source"):
        kafka_sources(template, resolver(), tmp_path)
    with pytest.raises(TemplateError, match="Condition UseMsk is true; it is false"):
        kafka_sources(template, resolver(), tmp_path, "Fn")
    assert len(kafka_sources(template, resolver(KafkaSourceType="msk"), tmp_path)) == 1
