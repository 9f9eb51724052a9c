"""template.yaml's operations wiring: log groups, alarms, access logs and the migration custom resource.

Each check ties the template to the code it describes (the aggregator's EMF metric, the packaged
migrations, the handler path), so neither side can drift alone.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from customersignal.domain.batch_apply import BatchOutcome
from customersignal.local.runtime import import_handler
from customersignal.local.template import function_spec, load_template
from customersignal.observability import NAMESPACE, SERVICE, metrics

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "AWS::Serverless::Function"
ALARM = "AWS::CloudWatch::Alarm"
OPS_TOPIC = {"Ref": "OpsTopic"}
ALARM_PREFIX = "customersignal-${Stage}-"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = template["Resources"]
    return found


def of_type(resources: dict[str, dict[str, Any]], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    return ((name, r) for name, r in resources.items() if r["Type"] == kind)


def function_names(resources: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name, _ in of_type(resources, FUNCTION)]


def alarms_on(resources: dict[str, dict[str, Any]], namespace: str, metric: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, alarm)
        for name, alarm in of_type(resources, ALARM)
        if (alarm["Properties"]["Namespace"], alarm["Properties"]["MetricName"]) == (namespace, metric)
    ]


def dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm["Properties"]["Dimensions"]}


def migrate_module(template: dict[str, Any], name: str) -> ModuleType:
    """A module of functions/migrate, imported as Lambda would (its CodeUri first on sys.path)."""
    import_handler(function_spec(template, "MigrationFunction", base_dir=ROOT))
    return importlib.import_module(name)


# ------------------------------------------------------------------------------------------- log groups


def test_every_function_logs_to_its_own_group_with_retention(resources: dict[str, dict[str, Any]]) -> None:
    groups = []
    for name in function_names(resources):
        function = resources[name]
        # Given the group the function's LoggingConfig names
        reference = function["Properties"].get("LoggingConfig", {}).get("LogGroup")
        assert isinstance(reference, dict), f"{name} has no LoggingConfig.LogGroup"
        assert "Ref" in reference, f"{name}: LoggingConfig.LogGroup must !Ref a group of this template"
        group = resources[reference["Ref"]]
        # Then it is a log group of this stack, under /aws/lambda/, that expires, and exists when the function does
        assert group["Type"] == "AWS::Logs::LogGroup", name
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert group["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{name}"}, name
        assert group.get("Condition") == function.get("Condition"), name
        groups.append(reference["Ref"])
    assert len(set(groups)) == len(groups), "two functions share a log group"


def test_log_retention_is_one_cloudwatch_accepts(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["LogRetentionDays"]
    assert parameter["Default"] in parameter["AllowedValues"]
    assert {"1", "7", "14", "30", "90", "365", "3653"} <= set(parameter["AllowedValues"])


# ------------------------------------------------------------------------------------------- alarms


def test_every_function_has_an_errors_alarm(resources: dict[str, dict[str, Any]]) -> None:
    alarms = alarms_on(resources, "AWS/Lambda", "Errors")
    watched = {dimensions(alarm)["FunctionName"]["Ref"]: alarm for _, alarm in alarms}
    assert set(watched) == set(function_names(resources))
    for name, alarm in watched.items():
        assert alarm.get("Condition") == resources[name].get("Condition"), f"{name}: alarm and function differ"
        assert alarm["Properties"]["Statistic"] == "Sum"


def test_every_alarm_notifies_ops_topic_and_may_publish_to_it(resources: dict[str, dict[str, Any]]) -> None:
    # Given the topic policy: only alarms named with this stack's prefix may publish
    policy = resources["OpsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (statement,) = policy
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(f":alarm:{ALARM_PREFIX}*")
    alarms = dict(of_type(resources, ALARM))
    assert len(alarms) >= 8
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        # Then every alarm carries that prefix, and tells OpsTopic when it fires and when it clears
        assert props["AlarmName"]["Fn::Sub"].startswith(ALARM_PREFIX), name
        assert props["AlarmActions"] == [OPS_TOPIC], name
        assert props["OKActions"] == [OPS_TOPIC], name
        assert props["TreatMissingData"] == "notBreaching", name


def test_offset_lag_alarm_watches_whichever_aggregator_exists(resources: dict[str, dict[str, Any]]) -> None:
    ((_, alarm),) = alarms_on(resources, "AWS/Lambda", "OffsetLag")
    assert dimensions(alarm) == {
        "FunctionName": {"Fn::If": ["UseMsk", {"Ref": "AggregatorFunction"}, {"Ref": "AggregatorSelfManagedFunction"}]}
    }
    assert alarm["Properties"]["Statistic"] == "Maximum"
    assert alarm["Properties"]["Threshold"] == {"Ref": "OffsetLagThreshold"}
    assert "Condition" not in alarm


def test_dead_letter_alarm_watches_the_metric_the_aggregator_emits(
    template: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    # Given the EMF document the aggregator writes for a batch with dead letters
    import_handler(function_spec(template, "AggregatorSelfManagedFunction", base_dir=ROOT))
    aggregator = importlib.import_module("aggregator_handler")
    metrics.clear_metrics()
    try:
        aggregator._report(BatchOutcome(3, 1, 0, 0, 2, True, None))
        emf: dict[str, Any] = dict(metrics.serialize_metric_set())
    finally:
        metrics.clear_metrics()
    (directive,) = emf["_aws"]["CloudWatchMetrics"]
    emitted = {m["Name"] for m in directive["Metrics"]}
    # Then the one alarm on the application's namespace watches that metric, the count of dead letters
    (alarm,) = [a for _, a in of_type(resources, ALARM) if a["Properties"]["Namespace"] == NAMESPACE]
    metric = alarm["Properties"]["MetricName"]
    assert directive["Namespace"] == NAMESPACE
    assert metric in emitted
    assert emf[metric] == [2.0]  # the outcome's dead_lettered (no other figure in it is 2)
    # with exactly the dimensions the document carries (an alarm matches the whole dimension set)
    assert directive["Dimensions"] == [["service"]]
    assert dimensions(alarm) == {"service": SERVICE} == {"service": emf["service"]}


def test_api_5xx_alarm_names_the_rest_api_and_its_stage(resources: dict[str, dict[str, Any]]) -> None:
    ((_, alarm),) = alarms_on(resources, "AWS/ApiGateway", "5XXError")
    api = resources["RestApi"]["Properties"]
    # an API without Name is named by its OpenAPI title, which SAM sets to the stack name
    assert "Name" not in api
    assert dimensions(alarm) == {"ApiName": {"Ref": "AWS::StackName"}, "Stage": api["StageName"]}


def test_alarm_email_is_optional(template: dict[str, Any], resources: dict[str, dict[str, Any]]) -> None:
    parameter = template["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    assert template["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    subscription = resources["OpsEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"TopicArn": OPS_TOPIC, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}


# ------------------------------------------------------------------------------------------- API access logs


def test_the_api_stage_writes_json_access_logs_and_keeps_its_throttling(resources: dict[str, dict[str, Any]]) -> None:
    api = resources["RestApi"]["Properties"]
    setting = api["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert resources["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    line = json.loads(setting["Format"])  # valid JSON as written: every value is a quoted $context variable
    required = {
        "requestId",
        "extendedRequestId",
        "ip",
        "status",
        "responseLatency",
        "integrationLatency",
        "path",
        "method",
    }
    assert required <= set(line)
    assert all(value.startswith("$context.") for value in line.values())
    assert api["MethodSettings"] == [
        {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 2000, "ThrottlingBurstLimit": 4000}
    ]


def test_the_stage_waits_for_the_account_logging_role_when_the_stack_sets_it(
    resources: dict[str, dict[str, Any]],
) -> None:
    assert resources["RestApi"]["DependsOn"] == "ApiGatewayLoggingReady"
    ready = resources["ApiGatewayLoggingReady"]
    assert "Condition" not in ready
    assert ready["Metadata"]["AccountSetting"]["Fn::If"][:2] == [
        "ManagesApiGatewayAccount",
        {"Ref": "ApiGatewayAccount"},
    ]
    account = resources["ApiGatewayAccount"]
    assert account["Condition"] == resources["ApiGatewayCloudWatchRole"]["Condition"] == "ManagesApiGatewayAccount"
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    assert resources["ApiGatewayCloudWatchRole"]["DeletionPolicy"] == "Retain"


# ------------------------------------------------------------------------------------------- migrations


def test_the_migration_function_handler_exists(template: dict[str, Any]) -> None:
    spec = function_spec(template, "MigrationFunction", base_dir=ROOT)
    assert spec.code_uri == ROOT / "functions" / "migrate"
    assert (spec.code_uri / f"{spec.handler_module}.py").is_file()
    assert callable(import_handler(spec))


def test_the_function_carries_the_repository_migrations() -> None:
    # the symlink `sam build` follows: the deployed scripts are the ones `make migrate` runs
    assert (ROOT / "functions" / "migrate" / "migrations").resolve() == ROOT / "migrations"


def test_the_custom_resource_runs_the_migration_function_with_the_migrations_hash(
    template: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    # Given the hash of the migrations in the repository
    expected = migrate_module(template, "migrate_alembic").packaged_hash(ROOT / "migrations")
    # Then the custom resource carries it, so changed migrations change its properties and it runs again
    resource = resources["DatabaseMigration"]
    assert resource["Type"] == "AWS::CloudFormation::CustomResource"
    props = resource["Properties"]
    assert props["ServiceToken"] == {"Fn::GetAtt": ["MigrationFunction", "Arn"]}
    assert props["MigrationsHash"] == expected, (
        f"migrations changed: set DatabaseMigration's MigrationsHash to {expected} in template.yaml"
    )
    # and CloudFormation gives up on it only after the function's own timeout
    assert props["ServiceTimeout"] > resources["MigrationFunction"]["Properties"]["Timeout"]


def test_the_hash_covers_env_and_revisions_only(template: dict[str, Any]) -> None:
    plan = migrate_module(template, "migrate_plan")
    files = {"env.py": b"env", "versions/0001_a.py": b"one"}
    base = plan.migrations_hash(files)
    # a revision's content, a new revision or env.py change it; the ini, the template and caches do not
    assert plan.migrations_hash({**files, "versions/0001_a.py": b"ONE"}) != base
    assert plan.migrations_hash({**files, "versions/0002_b.py": b"two"}) != base
    assert plan.migrations_hash({**files, "env.py": b"ENV"}) != base
    ignored = {"alembic.ini": b"x", "script.py.mako": b"x", "versions/__pycache__/x.py": b"x"}
    assert plan.migrations_hash({**files, **ignored}) == base


def test_the_migration_function_is_not_retried_by_lambda(resources: dict[str, dict[str, Any]]) -> None:
    props = resources["MigrationFunction"]["Properties"]
    assert props["EventInvokeConfig"] == {"MaximumRetryAttempts": 0}
    (statement,) = props["Policies"][0]["Statement"]
    assert statement == {
        "Sid": "ReadPostgresCredentials",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": {"Ref": "PostgresSecretArn"},
    }


def test_application_functions_wait_for_the_migration(resources: dict[str, dict[str, Any]]) -> None:
    for name in function_names(resources):
        if name != "MigrationFunction":
            assert resources[name].get("DependsOn") == "DatabaseMigration", name
