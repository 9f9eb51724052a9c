"""The ESM emulator hosts a function in-process: its environment, its handler import, Lambda's error rules."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from customersignal.local.esm.events import RecordData, kafka_event
from customersignal.local.esm.intrinsics import Resolver
from customersignal.local.esm.invoke import Invoker, environment, load_handler
from customersignal.local.runtime import LAMBDA_PAYLOAD_LIMIT
from customersignal.local.template import FunctionSpec, TemplateError, function_spec, load_template

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
EVENT = kafka_event(
    [RecordData("t", 0, 5, 1_700_000_000_000, b"v")], source="self-managed", bootstrap_servers="127.0.0.1:9092"
)


def spec(**changes: Any) -> FunctionSpec:
    base: dict[str, Any] = {
        "logical_id": "Fn",
        "code_uri": Path("/nowhere"),
        "handler": "h.handler",
        "environment": {},
        "events": {},
        "timeout_s": 30,
        "memory_mb": 256,
    }
    return FunctionSpec(**{**base, **changes})


def test_the_context_is_lambdas() -> None:
    seen: list[Any] = []
    invocation = Invoker(lambda _event, context: seen.append(context), spec()).invoke(EVENT)
    (context,) = seen
    assert invocation.error is None
    assert invocation.request_id == context.aws_request_id == str(uuid.UUID(context.aws_request_id))
    assert (context.function_name, context.memory_limit_in_mb) == ("Fn", "256")
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:Fn"
    assert 0 < context.get_remaining_time_in_millis() <= 30_000
    assert context.log_group_name == "/aws/lambda/Fn"


def test_an_exception_is_a_function_error() -> None:
    def handler(_event: dict[str, Any], _context: Any) -> None:
        raise KeyError("tenant_id")

    invocation = Invoker(handler, spec()).invoke(EVENT)
    assert (invocation.error, invocation.response) == ("KeyError: 'tenant_id'", None)


def test_running_past_the_timeout_is_a_function_error() -> None:
    invocation = Invoker(lambda _e, _c: time.sleep(1.05), spec(timeout_s=1)).invoke(EVENT)
    assert invocation.error == "Task timed out after 1.00 seconds"


def test_a_response_that_is_not_json_is_a_marshal_error() -> None:
    invocation = Invoker(lambda _e, _c: {"at": object()}, spec()).invoke(EVENT)
    assert invocation.error is not None
    assert invocation.error.startswith("Runtime.MarshalError")


def test_the_response_is_what_the_caller_would_receive_as_json() -> None:
    invocation = Invoker(lambda _e, _c: {"batchItemFailures": ({"itemIdentifier": 1},)}, spec()).invoke(EVENT)
    assert invocation.response == {"batchItemFailures": [{"itemIdentifier": 1}]}


def test_a_payload_over_6_mb_is_refused_without_calling_the_handler() -> None:
    calls: list[int] = []
    big = kafka_event(
        [RecordData("t", 0, 0, 0, b"x" * LAMBDA_PAYLOAD_LIMIT)], source="self-managed", bootstrap_servers="b:1"
    )
    invocation = Invoker(lambda _e, _c: calls.append(1), spec()).invoke(big)
    assert calls == []
    assert invocation.error is not None
    assert invocation.error.startswith("RequestEntityTooLargeException")


def test_environment_resolves_intrinsics_then_follows_serves_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLER_SET", "mine")
    template = {
        "Parameters": {"LogLevel": {"Type": "String", "Default": "INFO"}, "Stage": {"Type": "String"}},
        "Conditions": {"IsLocal": {"Fn::Equals": [{"Ref": "Stage"}, "local"]}},
    }
    function = spec(
        environment={"PLAIN": "p", "CS_STAGE": "dev", "CALLER_SET": "template"},
        unresolved_env={
            "LOG_LEVEL": {"Ref": "LogLevel"},
            "GROUP": {"Fn::Sub": "g-${Stage}"},
            "GONE": {"Fn::If": ["IsLocal", {"Ref": "AWS::NoValue"}, "x"]},
            "QUEUE": {"Fn::GetAtt": ["Queue", "Arn"]},
        },
    )
    to_set, left_out = environment(function, Resolver(template))
    assert to_set == {"PLAIN": "p", "LOG_LEVEL": "INFO", "GROUP": "g-local"}
    assert left_out == ["CALLER_SET", "CS_STAGE", "QUEUE"]


def test_the_real_aggregators_environment_gets_its_log_level() -> None:
    template = load_template(ROOT / "template.yaml")
    if "AggregatorSelfManagedFunction" not in template["Resources"]:
        pytest.skip("template.yaml has no AggregatorSelfManagedFunction yet")
    aggregator = function_spec(template, "AggregatorSelfManagedFunction", base_dir=ROOT)
    to_set, left_out = environment(aggregator, Resolver(template))
    assert to_set["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert not any(name.startswith("CS_") for name in to_set)
    assert "CS_KAFKA_BOOTSTRAP" in left_out


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(os, "environ", dict(os.environ))


@pytest.mark.usefixtures("isolated")
def test_load_handler_sets_the_environment_then_imports_from_codeuri(tmp_path: Path) -> None:
    module = f"esm_handler_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(
        "import os\nSEEN = os.environ['GREETING']\ndef handler(event, context):\n    return SEEN\n", encoding="utf-8"
    )
    function = spec(code_uri=tmp_path, handler=f"{module}.handler", environment={"GREETING": "hi"})
    handler = load_handler(function, Resolver({}))
    assert handler({}, None) == "hi"


@pytest.mark.usefixtures("isolated")
def test_load_handler_errors_say_what_to_fix(tmp_path: Path) -> None:
    module = f"esm_handler_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text("handler = 42\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=f"{module}.handler in .* is int, not a function"):
        load_handler(spec(code_uri=tmp_path, handler=f"{module}.handler"), Resolver({}))
    with pytest.raises(TemplateError, match="does not import: No module named"):
        load_handler(spec(code_uri=tmp_path, handler="missing_module_xyz.handler"), Resolver({}))
    with pytest.raises(TemplateError, match=r"CodeUri of Fn \(.*/absent\) is not a folder"):
        load_handler(spec(code_uri=tmp_path / "absent"), Resolver({}))
