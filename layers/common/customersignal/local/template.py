"""Read template.yaml (a SAM template) the way the local runners need it: plain data, intrinsics kept.

CloudFormation's short tags (``!Ref``, ``!Sub``, ``!GetAtt``, ``!If``...) become their long JSON form
(``{"Ref": ...}``, ``{"Fn::Sub": ...}``), so the result is what ``sam validate`` and cfn-lint see. Nothing
is resolved: a value that is not a plain string is an intrinsic, and the callers decide what to do with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
# SAM's defaults when neither the function nor Globals set them
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128


class TemplateError(ValueError):
    """The template cannot give what was asked (no such function, no CodeUri, ...)."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader (plain data only) that also accepts CloudFormation's intrinsic tags."""


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path | str) -> dict[str, Any]:
    loaded: object = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader
    if not isinstance(loaded, dict):
        raise TemplateError(f"{path} is not a CloudFormation template (top level is not a mapping)")
    return loaded


API_EVENT_TYPES = {"Api": "REST", "HttpApi": "HTTP"}  # SAM event type -> the API Gateway that sends it


@dataclass(frozen=True)
class ApiEvent:
    """One ``Type: Api`` (REST) or ``Type: HttpApi`` event of a function."""

    name: str
    path: str
    method: str
    rest_api_id: Any = None
    kind: str = "Api"


@dataclass(frozen=True)
class FunctionSpec:
    """A SAM function with Globals applied: what a local runner needs to host it."""

    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    """Plain-string variables only (Globals, then the function's own); intrinsics are in ``unresolved_env``."""
    events: dict[str, dict[str, Any]]
    timeout_s: int = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    unresolved_env: dict[str, Any] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    """binaryMediaTypes of the REST API(s) behind the function's Api events (``~1`` read as ``/``)."""
    api_type: str = "REST"
    """HTTP when all the function's API events are ``HttpApi`` ones (payload format 1.0), else REST."""

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


def _function_resource(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    resources = template.get("Resources") or {}
    resource = resources.get(logical_id)
    if resource is None:
        functions = sorted(
            k for k, v in resources.items() if isinstance(v, dict) and v.get("Type") == SERVERLESS_FUNCTION
        )
        raise TemplateError(f"no resource {logical_id!r} in the template (its functions: {functions or 'none'})")
    if resource.get("Type") != SERVERLESS_FUNCTION:
        raise TemplateError(f"{logical_id} is a {resource.get('Type')}, not an {SERVERLESS_FUNCTION}")
    properties = resource.get("Properties") or {}
    assert isinstance(properties, dict)
    return properties


def _globals(template: dict[str, Any]) -> dict[str, Any]:
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    assert isinstance(globals_fn, dict)
    return globals_fn


def _variables(properties: dict[str, Any]) -> dict[str, Any]:
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    if not isinstance(variables, dict):  # e.g. an !If choosing whole maps: nothing plain to take
        return {}
    return variables


def function_spec(template: dict[str, Any], logical_id: str, base_dir: Path | str | None = None) -> FunctionSpec:
    """The function's code location, handler, environment and events, Globals merged as SAM merges them.

    ``code_uri`` is the template's value as a Path; with ``base_dir`` (the template's directory, which SAM
    resolves a relative CodeUri against) it is made absolute.
    """
    properties = _function_resource(template, logical_id)
    globals_fn = _globals(template)

    def scalar(name: str) -> Any:
        return properties.get(name, globals_fn.get(name))

    code_uri = scalar("CodeUri")
    if not isinstance(code_uri, str):
        raise TemplateError(f"{logical_id} has no local CodeUri (found {code_uri!r}); a local run needs a folder")
    handler = scalar("Handler")
    if not isinstance(handler, str) or "." not in handler:
        raise TemplateError(f"{logical_id} has no Handler of the form module.attribute (found {handler!r})")

    merged = {**_variables(globals_fn), **_variables(properties)}  # SAM: the function's keys win
    environment = {k: v for k, v in merged.items() if isinstance(v, str)}
    unresolved = {k: v for k, v in merged.items() if not isinstance(v, str)}

    timeout = scalar("Timeout")
    memory = scalar("MemorySize")
    events = properties.get("Events") or {}
    return FunctionSpec(
        logical_id=logical_id,
        code_uri=Path(code_uri) if base_dir is None else (Path(base_dir) / code_uri).resolve(),
        handler=handler,
        environment=environment,
        events=dict(events),
        timeout_s=timeout if isinstance(timeout, int) else DEFAULT_TIMEOUT_S,
        memory_mb=memory if isinstance(memory, int) else DEFAULT_MEMORY_MB,
        unresolved_env=unresolved,
        binary_media_types=binary_media_types(template, logical_id),
        api_type=_api_type(api_events(template, logical_id)),
    )


def _api_type(events: list[ApiEvent]) -> str:
    """HTTP when every API event is an HttpApi one; REST otherwise (also with none: Chalice's own default)."""
    return "HTTP" if events and all(e.kind == "HttpApi" for e in events) else "REST"


def api_events(template: dict[str, Any], logical_id: str) -> list[ApiEvent]:
    """The function's REST (``Type: Api``) and HTTP API (``Type: HttpApi``) events."""
    properties = _function_resource(template, logical_id)
    found: list[ApiEvent] = []
    for name, event in (properties.get("Events") or {}).items():
        if not isinstance(event, dict) or event.get("Type") not in API_EVENT_TYPES:
            continue
        props = event.get("Properties") or {}
        path, method = props.get("Path"), props.get("Method")
        if not isinstance(path, str) or not isinstance(method, str):
            raise TemplateError(f"{logical_id} event {name} needs a plain Path and Method")
        api_id = props.get("RestApiId", props.get("ApiId"))
        found.append(ApiEvent(name, path, method.upper(), rest_api_id=api_id, kind=event["Type"]))
    return found


def binary_media_types(template: dict[str, Any], logical_id: str) -> tuple[str, ...]:
    """What the deployed REST API treats as binary: ``BinaryMediaTypes`` of the ``AWS::Serverless::Api`` the
    function's Api events name (``RestApiId: !Ref ...``) or of the implicit API, plus ``Globals.Api``'s.

    SAM writes ``/`` as ``~1`` there. A Chalice app's own ``api.binary_types`` do not reach a SAM-built API.
    """
    resources = template.get("Resources") or {}
    globals_api = (template.get("Globals") or {}).get("Api") or {}
    found: list[str] = []
    for event in api_events(template, logical_id):
        if event.kind != "Api":  # an HTTP API has no binaryMediaTypes
            continue
        properties: dict[str, Any] = {}
        if isinstance(event.rest_api_id, dict) and isinstance(event.rest_api_id.get("Ref"), str):
            properties = (resources.get(event.rest_api_id["Ref"]) or {}).get("Properties") or {}
        for values in (properties.get("BinaryMediaTypes"), globals_api.get("BinaryMediaTypes")):
            for value in values if isinstance(values, list) else []:
                if isinstance(value, str) and value.replace("~1", "/") not in found:
                    found.append(value.replace("~1", "/"))
    return tuple(found)


def api_routes(template: dict[str, Any], logical_id: str) -> set[tuple[str, str]]:
    """``{(path, METHOD)}`` of the function's API events: compare with a Chalice app's ``routes``."""
    return {(event.path, event.method) for event in api_events(template, logical_id)}
