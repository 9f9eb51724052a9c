"""`sam build` once, then `sam deploy --no-execute-changeset` for both Kafka variants (MSK and self-managed)
against a LocalStack of the test's own: SAM's managed bucket, the artifact upload, the SAM transform and the
change set, which `sam validate` cannot show. Then the change set is executed, to pin down where LocalStack
stops without Docker: at the first Lambda function (docs/deploy.md, "What has been exercised").

LocalStack does not evaluate the template's Rules or AllowedPatterns; the parameter values are checked
against the template's own constraints here instead.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from customersignal.local.template import load_template
from tests.fixtures.change_sets import (
    MSK_BROKERS,
    MSK_CLUSTER_UUID,
    REDIS_ENDPOINT,
    SELF_MANAGED_BROKERS,
    VARIANTS,
    ChangeSet,
    managed_bucket,
    msk_cluster_arn,
    read_change_set,
    sam_deploy,
    wait_for_stack,
)
from tests.fixtures.localstack_deploy import DeployClients, Network, create_network, private_localstack
from tests.fixtures.sam import REGION, SAM, SAM_BUILD_CACHE, SAMCONFIG, TEMPLATE, explain, run, sam_env

pytestmark = [pytest.mark.integration, pytest.mark.localstack, pytest.mark.timeout(1800)]

FUNCTION = "AWS::Lambda::Function"
LAYER = "AWS::Lambda::LayerVersion"
COMMON_FUNCTIONS = {"ApiFunction", "AlertsEvaluatorFunction", "MaintenanceFunction", "MigrationFunction"}
AGGREGATOR = {"msk": "AggregatorFunction", "self-managed": "AggregatorSelfManagedFunction"}


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployClients]:
    sam_env()  # skip (or fail under CI) before starting anything when the SAM tools are missing
    with private_localstack(tmp_path_factory.mktemp("localstack")) as endpoint:
        yield DeployClients(endpoint)


@pytest.fixture(scope="module")
def network(clients: DeployClients) -> Network:
    return create_network(clients)


@pytest.fixture(scope="module")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `sam build` (samconfig.toml's dev settings: cached, parallel) for both deploys."""
    work = tmp_path_factory.mktemp("sam")
    result = run(
        [SAM, "build", "--config-file", SAMCONFIG, "--config-env", "dev", "--template-file", TEMPLATE,
         "--build-dir", work / "build", "--cache-dir", SAM_BUILD_CACHE],
        sam_env(),
        cwd=work,
        timeout_s=900,
    )  # fmt: skip
    assert result.returncode == 0, explain(result)
    return work / "build" / "template.yaml"


@pytest.fixture(scope="module", params=VARIANTS)
def change_set(
    request: pytest.FixtureRequest, clients: DeployClients, network: Network, built_template: Path
) -> ChangeSet:
    variant: str = request.param
    env = sam_env(clients.endpoint)
    arn = sam_deploy(variant, built_template, network, env, cwd=built_template.parent.parent)
    return read_change_set(clients.cloudformation(), variant, arn)


def test_the_change_set_is_ready_and_adds_every_function(change_set: ChangeSet) -> None:
    assert (change_set.status, change_set.execution_status) == ("CREATE_COMPLETE", "AVAILABLE"), change_set
    assert {r.action for r in change_set.resources.values()} == {"Add"}
    # the SAM transform ran: only CloudFormation types are left, with the aggregator of this variant only
    assert not [name for name, r in change_set.resources.items() if r.type.startswith("AWS::Serverless::")]
    aggregator = AGGREGATOR[change_set.variant]
    assert set(change_set.of_type(FUNCTION)) == COMMON_FUNCTIONS | {aggregator}
    mappings = change_set.of_type("AWS::Lambda::EventSourceMapping")
    assert list(mappings) == [f"{aggregator}EventsRaw"]
    assert {name.rstrip("0123456789abcdef") for name in change_set.of_type(LAYER)} == {
        "DependenciesLayer",
        "CommonLayer",
    }
    # the rest of the stack is planned too: the API, the schedules, the migration, the dashboard's CDN
    for name, resource_type in {
        "RestApi": "AWS::ApiGateway::RestApi",
        "DatabaseMigration": "AWS::CloudFormation::CustomResource",
        "AlertsEvaluatorFunctionEveryMinute": "AWS::Events::Rule",
        "DashboardDistribution": "AWS::CloudFront::Distribution",
        "AggregatorOffsetLagAlarm": "AWS::CloudWatch::Alarm",
    }.items():
        assert change_set.resources[name].type == resource_type


def test_every_artifact_it_names_was_uploaded_to_the_managed_bucket(
    change_set: ChangeSet, clients: DeployClients
) -> None:
    bucket = managed_bucket(clients)
    s3 = clients.s3()

    def archive(location: dict[str, Any]) -> set[str]:
        assert location["S3Bucket"] == bucket
        assert location["S3Key"].startswith("customersignal-dev/")  # samconfig.toml's s3_prefix
        body = s3.get_object(Bucket=bucket, Key=location["S3Key"])["Body"].read()
        return set(zipfile.ZipFile(io.BytesIO(body)).namelist())

    for name, function in change_set.of_type(FUNCTION).items():
        module = function.properties["Handler"].rsplit(".", 1)[0]
        assert f"{module}.py" in archive(function.properties["Code"]), f"{name}: no {module}.py in its code"
    layers = {name.rstrip("0123456789abcdef"): layer for name, layer in change_set.of_type(LAYER).items()}
    assert "python/customersignal/settings.py" in archive(layers["CommonLayer"].properties["Content"])
    deps = archive(layers["DependenciesLayer"].properties["Content"])
    assert "python/confluent_kafka/cimpl.cpython-312-x86_64-linux-gnu.so" in deps
    assert "python/chalice/__init__.py" in deps


def unresolved(value: Any, path: str = "") -> Iterator[str]:
    """Paths of every intrinsic function left in a resolved property value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" or key.startswith("Fn::"):
                yield f"{path}.{key}"
            yield from unresolved(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unresolved(item, f"{path}[{index}]")


def test_the_intrinsics_resolved_to_the_parameter_values(change_set: ChangeSet, network: Network) -> None:
    leftovers = [f"{name}{p}" for name, r in change_set.resources.items() for p in unresolved(r.properties)]
    assert not leftovers
    msk = change_set.variant == "msk"
    for name, function in change_set.of_type(FUNCTION).items():
        props = function.properties
        env = props["Environment"]["Variables"]
        assert env["CS_STAGE"] == "dev"
        assert env["CS_REDIS_URL"] == f"rediss://{REDIS_ENDPOINT}/0", name  # !If UseRedisTls + !Sub
        assert env["CS_KAFKA_BOOTSTRAP"] == (MSK_BROKERS if msk else SELF_MANAGED_BROKERS)
        assert env["CS_KAFKA_SASL_MECHANISM"] == ("OAUTHBEARER" if msk else "SCRAM-SHA-512")
        assert env.get("CS_KAFKA_SECRET_ARN") == (None if msk else network.kafka_secret_arn)  # AWS::NoValue
        assert "CS_PG_SSLROOTCERT" not in env
        assert env["CS_PG_SECRET_ARN"] == network.postgres_secret_arn
        assert props["VpcConfig"] == {
            "SubnetIds": list(network.subnet_ids),
            "SecurityGroupIds": [network.security_group_id],
        }
        assert props["Runtime"] == "python3.12"
        assert len(props["Layers"]) == 2
    maintenance = change_set.resources["MaintenanceFunction"].properties["Environment"]["Variables"]
    assert maintenance["CS_EVENTS_RETENTION_DAYS"] == "90"
    aggregator = AGGREGATOR[change_set.variant]
    mapping = change_set.resources[f"{aggregator}EventsRaw"].properties
    api_role = change_set.resources["ApiFunctionRole"].properties
    statements = {s["Sid"]: s for p in api_role["Policies"] for s in p["PolicyDocument"]["Statement"]}
    if msk:
        cluster = msk_cluster_arn(network)
        assert mapping["EventSourceArn"] == cluster
        assert mapping["AmazonManagedKafkaEventSourceConfig"] == {"ConsumerGroupId": "customersignal-dev-aggregator"}
        # !Select/!Split of the cluster ARN and the pseudo parameters, inside !Sub
        topic = f"arn:aws:kafka:{REGION}:{network.account_id}:topic/customersignal-dev/{MSK_CLUSTER_UUID}/events_raw"
        assert statements["ProduceToEventsTopic"]["Resource"] == [cluster, topic]
    else:
        assert mapping["SelfManagedEventSource"] == {
            "Endpoints": {"KafkaBootstrapServers": SELF_MANAGED_BROKERS.split(",")}
        }
        assert mapping["SelfManagedKafkaEventSourceConfig"] == {"ConsumerGroupId": "customersignal-dev-aggregator"}
        assert mapping["SourceAccessConfigurations"] == [
            {"Type": "SASL_SCRAM_512_AUTH", "URI": network.kafka_secret_arn},
            {"Type": "VPC_SUBNET", "URI": f"subnet:{network.subnet_ids[0]}"},
            {"Type": "VPC_SECURITY_GROUP", "URI": f"security_group:{network.security_group_id}"},
        ]
        assert statements["ReadKafkaCredentials"]["Resource"] == network.kafka_secret_arn


def test_the_values_deployed_meet_the_templates_own_constraints(change_set: ChangeSet) -> None:
    # LocalStack skips AllowedPattern/AllowedValues (real CloudFormation refuses the change set instead)
    declared = load_template(TEMPLATE)["Parameters"]
    assert set(change_set.parameters) == set(declared)
    for name, spec in declared.items():
        value = change_set.parameters[name]
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), f"{name}={value!r}"
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], f"{name}={value!r}"


def test_executing_it_stops_at_the_first_lambda_function(change_set: ChangeSet, clients: DeployClients) -> None:
    # Given the change set; When CloudFormation (LocalStack) executes it
    cloudformation = clients.cloudformation()
    cloudformation.execute_change_set(ChangeSetName=change_set.arn)
    status = wait_for_stack(cloudformation, change_set.stack_name)
    events = list(reversed(cloudformation.describe_stack_events(StackName=change_set.stack_name)["StackEvents"]))
    story = "\n".join(
        f"{e['LogicalResourceId']} {e['ResourceStatus']} {e.get('ResourceStatusReason', '')}" for e in events
    )
    # Then it creates what the migration function needs, layers from the uploaded archives included...
    created = {e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "CREATE_COMPLETE"}
    layers = {e["LogicalResourceId"] for e in events if e["ResourceType"] == LAYER}
    assert len(layers) == 2, story
    assert {*layers, "MigrationFunctionRole", "MigrationFunctionLogGroup"} <= created, story
    # ...and fails on the first function, which every other one waits for (DependsOn DatabaseMigration):
    # LocalStack runs functions only in Docker, with a runtime binary it downloads (kept from leaving here)
    failed = [
        e
        for e in events
        if e["ResourceStatus"] == "CREATE_FAILED" and e["ResourceType"] != "AWS::CloudFormation::Stack"
    ]
    assert failed, story
    assert (failed[0]["LogicalResourceId"], failed[0]["ResourceType"]) == ("MigrationFunction", FUNCTION), story
    assert re.search(r"lambda-runtime|docker", failed[0].get("ResourceStatusReason", ""), re.IGNORECASE), story
    assert not [e for e in events if e["ResourceType"] == FUNCTION and e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert status == "ROLLBACK_COMPLETE", story
