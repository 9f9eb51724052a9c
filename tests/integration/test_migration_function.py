"""The migration function as template.yaml declares it: real Postgres, a local HTTP server standing in for
CloudFormation's response URL, and requests shaped as CloudFormation sends them.

The pure decisions (``migrate_plan``) get a table test at the end; they need no services.
"""

from __future__ import annotations

import importlib
import json
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from customersignal.adapters.postgres import connect
from customersignal.local.runtime import LambdaContext, import_handler, new_log_stream_name
from customersignal.local.template import FunctionSpec, function_spec, load_template
from customersignal.settings import PostgresSettings
from tests.fixtures.http_server import QuietHandler, serving
from tests.fixtures.postgres import ALEMBIC_INI
from tests.support.waits import scaled, wait_until

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
TEMPLATE_HASH: str = TEMPLATE["Resources"]["DatabaseMigration"]["Properties"]["MigrationsHash"]
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/customersignal-test/0b8f1b7e-1111-2222-3333"


def spec() -> FunctionSpec:
    return function_spec(TEMPLATE, "MigrationFunction", base_dir=ROOT)


def module(name: str) -> ModuleType:
    """A module of functions/migrate, imported as Lambda does (CodeUri first on sys.path)."""
    import_handler(spec())
    return importlib.import_module(name)


def head_revision() -> str:
    head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    assert head is not None
    return head


# ------------------------------------------------------------------------------------- CloudFormation's side


@dataclass
class ResponseUrl:
    """A local stand-in for the pre-signed S3 URL: records each PUT, answers with the scripted statuses."""

    url: str
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def bodies(self, count: int) -> list[dict[str, Any]]:
        """Every answer received, once there are at least ``count``."""
        wait_until(lambda: len(self.received) >= count, f"{count} answers at the response URL", base_s=10)
        return [body for _, body in self.received]


@pytest.fixture
def cfn() -> Iterator[ResponseUrl]:
    state = ResponseUrl(url="")

    class Handler(QuietHandler):
        def do_PUT(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.received.append((dict(self.headers), body))
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serving(Handler) as base:
        state.url = f"{base}/cloudformation-response?X-Amz-Signature=abc"
        yield state


def cfn_request(kind: str, url: str, migrations_hash: str | None = TEMPLATE_HASH) -> dict[str, Any]:
    """A request as CloudFormation sends it (properties arrive as strings)."""
    properties: dict[str, Any] = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:m",
        "ServiceTimeout": "960",
    }
    if migrations_hash is not None:
        properties["MigrationsHash"] = migrations_hash
    event: dict[str, Any] = {
        "RequestType": kind,
        "ServiceToken": properties["ServiceToken"],
        "ResponseURL": url,
        "StackId": STACK_ID,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": "DatabaseMigration",
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "ResourceProperties": properties,
    }
    if kind != "Create":
        event["PhysicalResourceId"] = "DatabaseMigration-schema"
    if kind == "Update":
        event["OldResourceProperties"] = {**properties, "MigrationsHash": "0000000000000000"}
    return event


# ------------------------------------------------------------------------------------- the function


Invoke = Callable[..., dict[str, Any]]


def database_env(monkeypatch: pytest.MonkeyPatch, settings: PostgresSettings, **overrides: str) -> None:
    values = {
        "CS_PG_HOST": settings.pg_host,
        "CS_PG_PORT": str(settings.pg_port),
        "CS_PG_USER": settings.pg_user,
        "CS_PG_PASSWORD": settings.pg_password.get_secret_value(),
        "CS_PG_DATABASE": settings.pg_database,
        "CS_PG_CONNECT_TIMEOUT_S": f"{scaled(3):.1f}",
        **overrides,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CS_PG_SECRET_ARN", raising=False)


@pytest.fixture
def invoke(pg_empty_settings: PostgresSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """The template's MigrationFunction handler, its settings pointed at this test's empty database."""
    database_env(monkeypatch, pg_empty_settings)
    function = import_handler(spec())
    deps = module("migrate_deps")
    deps.get_migrator.cache_clear()

    def call(event: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
        context = LambdaContext(
            "MigrationFunction",
            timeout_s=spec().timeout_s if timeout_s is None else timeout_s,
            memory_mb=spec().memory_mb,
            log_stream_name=new_log_stream_name(),
        )
        answer: dict[str, Any] = function(event, context)
        return answer

    yield call
    deps.get_migrator.cache_clear()


def query(settings: PostgresSettings, sql: str) -> list[list[Any]]:
    connection = connect(settings)
    try:
        rows: list[list[Any]] = connection.run(sql)
        return rows
    finally:
        connection.close()


def schema_revision(settings: PostgresSettings) -> str | None:
    if query(settings, "SELECT to_regclass('alembic_version')") == [[None]]:
        return None
    rows = query(settings, "SELECT version_num FROM alembic_version")
    return str(rows[0][0]) if rows else None


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# ------------------------------------------------------------------------------------- integration tests


@pytest.mark.integration
def test_create_migrates_an_empty_database_to_head_and_answers_success(
    invoke: Invoke, cfn: ResponseUrl, pg_empty_settings: PostgresSettings
) -> None:
    # Given an empty database and CloudFormation's Create request
    event = cfn_request("Create", cfn.url)
    # When the function handles it
    invoke(event)
    # Then the schema is at head, and CloudFormation got exactly one SUCCESS, with an empty Content-Type
    assert schema_revision(pg_empty_settings) == head_revision()
    assert query(pg_empty_settings, "SELECT to_regclass('tenants') IS NOT NULL") == [[True]]
    ((headers, body),) = cfn.received
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["Data"] == {"Revision": head_revision(), "PreviousRevision": ""}
    assert (body["StackId"], body["RequestId"], body["LogicalResourceId"]) == (
        STACK_ID,
        event["RequestId"],
        "DatabaseMigration",
    )
    assert body["PhysicalResourceId"] == "DatabaseMigration-schema"
    assert headers.get("Content-Type") == ""


@pytest.mark.integration
def test_an_update_with_this_codes_migrations_is_a_no_op_at_head(
    invoke: Invoke, cfn: ResponseUrl, pg_empty_settings: PostgresSettings
) -> None:
    invoke(cfn_request("Create", cfn.url))
    invoke(cfn_request("Update", cfn.url))
    create, update = cfn.bodies(2)
    assert update["Status"] == "SUCCESS", update["Reason"]
    assert update["Data"] == {"Revision": head_revision(), "PreviousRevision": head_revision()}
    assert update["PhysicalResourceId"] == create["PhysicalResourceId"]


@pytest.mark.integration
@pytest.mark.parametrize("broken", ["closed port", "no such database"])
def test_an_unreachable_database_answers_failed_with_the_reason(
    invoke: Invoke, cfn: ResponseUrl, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    # Given settings that name a database the function cannot reach
    if broken == "closed port":
        monkeypatch.setenv("CS_PG_PORT", str(closed_port()))
    else:
        monkeypatch.setenv("CS_PG_DATABASE", f"cs_missing_{uuid.uuid4().hex[:8]}")
    # When CloudFormation asks to create the schema
    invoke(cfn_request("Create", cfn.url))
    # Then it hears FAILED, and why: the connection error itself, answered by the handler when it got it (not
    # the watchdog's "no result within", which would mean the function hung until its time was up)
    ((_, body),) = cfn.received
    assert body["Status"] == "FAILED"
    expected = "Connection refused" if broken == "closed port" else "does not exist"
    assert expected in body["Reason"]
    assert "no result within" not in body["Reason"]
    assert body["PhysicalResourceId"] == "DatabaseMigration-schema"


@pytest.mark.integration
def test_delete_answers_success_without_touching_the_database(
    invoke: Invoke, cfn: ResponseUrl, monkeypatch: pytest.MonkeyPatch, pg_empty_settings: PostgresSettings
) -> None:
    # Given a database the function could not even reach (the stack's last moments)
    monkeypatch.setenv("CS_PG_PORT", str(closed_port()))
    # When CloudFormation deletes the resource
    invoke(cfn_request("Delete", cfn.url))
    # Then it succeeds, and nothing was migrated
    ((_, body),) = cfn.received
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == "DatabaseMigration-schema"
    assert schema_revision(pg_empty_settings) is None


@pytest.mark.integration
def test_an_update_from_a_rollback_leaves_the_database(
    invoke: Invoke, cfn: ResponseUrl, pg_empty_settings: PostgresSettings
) -> None:
    # Given an Update whose MigrationsHash is not this code's (previous properties during a rollback)
    invoke(cfn_request("Update", cfn.url, migrations_hash="0123456789abcdef"))
    # Then it answers SUCCESS and runs nothing
    ((_, body),) = cfn.received
    assert body["Status"] == "SUCCESS"
    assert "0123456789abcdef" in body["Reason"]
    assert schema_revision(pg_empty_settings) is None


@pytest.mark.integration
@pytest.mark.parametrize(("kind", "status"), [("Update", "SUCCESS"), ("Create", "FAILED")])
def test_a_database_ahead_of_the_code_is_left_alone(
    invoke: Invoke, cfn: ResponseUrl, pg_empty_settings: PostgresSettings, kind: str, status: str
) -> None:
    # Given a database at a revision this code's migrations do not know (a newer deploy ran)
    connection = connect(pg_empty_settings)
    try:
        connection.run("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        connection.run("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    finally:
        connection.close()
    # When CloudFormation sends an Update (a rollback) or a Create (a new stack on that database)
    invoke(cfn_request(kind, cfn.url))
    # Then nothing runs: the rollback succeeds, the new stack is refused
    ((_, body),) = cfn.received
    assert body["Status"] == status
    assert "9999_from_the_future" in body["Reason"]
    assert schema_revision(pg_empty_settings) == "9999_from_the_future"


@pytest.mark.integration
def test_the_watchdog_answers_failed_before_the_function_times_out(
    invoke: Invoke, cfn: ResponseUrl, pg_empty_settings: PostgresSettings
) -> None:
    # Given a function whose time is up as soon as it starts (remaining time = the reply margin)
    margin = module("migrate_handler").REPLY_MARGIN_S
    # When it handles a Create
    invoke(cfn_request("Create", cfn.url), timeout_s=margin)
    # Then CloudFormation heard FAILED once, from the watchdog, and nothing after it: the handler's own answer
    # was refused (at most one answer per request) before it returned, so only the watchdog's PUT was left
    (body,) = cfn.bodies(1)
    assert body["Status"] == "FAILED"
    assert "no result within 0 s" in body["Reason"]
    assert len(cfn.received) == 1


@pytest.mark.integration
def test_the_answer_is_retried_and_a_lost_answer_raises(cfn: ResponseUrl) -> None:
    reply = module("migrate_reply")
    # Given CloudFormation's URL failing once
    cfn.statuses = [503]
    # When an answer is sent, Then the second attempt delivers it, and a second answer is not sent
    sender = reply.CloudFormationReply(cfn.url, timeout_s=scaled(10), attempts=2)
    assert sender.send({"Status": "SUCCESS"}) is True
    assert sender.send({"Status": "FAILED"}) is False
    assert [body["Status"] for body in cfn.bodies(2)] == ["SUCCESS", "SUCCESS"]
    # Given a URL nothing answers; Then the function fails loudly (its Errors alarm), not silently
    lost = reply.CloudFormationReply(f"http://127.0.0.1:{closed_port()}/", timeout_s=1, attempts=1)
    with pytest.raises(reply.ReplyFailed):
        lost.send({"Status": "SUCCESS"})


# ------------------------------------------------------------------------------------- the pure decisions

PACKAGED = "aaaaaaaaaaaaaaaa"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kind", "requested", "step"),
    [
        ("Create", PACKAGED, "migrate"),
        ("Create", "bbbbbbbbbbbbbbbb", "migrate"),  # nothing to roll back on a Create: migrate what ships
        ("Update", PACKAGED, "migrate"),
        ("Update", "bbbbbbbbbbbbbbbb", "skip"),  # previous properties, this code: a rollback
        ("Delete", PACKAGED, "skip"),
        ("Delete", None, "skip"),  # a Delete answers whatever the properties
        ("Create", None, "refuse"),
        ("Update", None, "refuse"),
    ],
)
def test_plan(kind: str, requested: str | None, step: str) -> None:
    plan = module("migrate_plan")
    request = plan.CustomResourceRequest.model_validate(cfn_request(kind, "https://x", migrations_hash=requested))
    assert plan.plan(request, PACKAGED).step == step


@pytest.mark.unit
def test_responses_fit_cloudformations_limit_and_keep_the_physical_id() -> None:
    plan = module("migrate_plan")
    update = plan.CustomResourceRequest.model_validate(cfn_request("Update", "https://x"))
    answer = plan.respond(update, plan.Failed("x" * 10_000))
    assert answer["PhysicalResourceId"] == "DatabaseMigration-schema"
    assert len(answer["Reason"]) == plan.REASON_LIMIT
    assert len(json.dumps(answer)) < 4096


@pytest.mark.unit
def test_only_http_response_urls_are_accepted() -> None:
    plan = module("migrate_plan")
    with pytest.raises(ValueError, match="ResponseURL"):
        plan.CustomResourceRequest.model_validate(cfn_request("Create", "file:///etc/passwd"))
