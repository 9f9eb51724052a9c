"""template.yaml is the wiring: every function, handler, variable, schedule and Kafka source it declares exists
in the code and in the local runners, and the other way round (no function folder the template forgets, no
setting a function reads that the template cannot set, no local job the template does not declare)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from customersignal.local.esm.intrinsics import Resolver
from customersignal.local.esm.sources import kafka_sources
from customersignal.local.schedule import scheduled_jobs
from customersignal.local.template import function_spec, load_template
from customersignal.settings import AggregatorSettings, AlertSettings, MaintenanceSettings, PostgresSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "AWS::Serverless::Function"
KAFKA_EVENTS = {"MSK", "SelfManagedKafka"}
SETTINGS_BY_FUNCTION: dict[str, type[BaseSettings]] = {
    "AggregatorFunction": AggregatorSettings,
    "AggregatorSelfManagedFunction": AggregatorSettings,
    "AlertsEvaluatorFunction": AlertSettings,
    "MaintenanceFunction": MaintenanceSettings,
    "MigrationFunction": PostgresSettings,
}


def api_settings() -> type[BaseSettings]:
    """The widest settings class the API's composition roots build (the dashboard's adds alert targets)."""
    sys.path.insert(0, str(ROOT / "functions" / "api"))
    try:
        from chalicelib.dashboard_deps import AlertApiSettings
    finally:
        sys.path.remove(str(ROOT / "functions" / "api"))
    return AlertApiSettings


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == FUNCTION}


def env_names(settings: type[BaseSettings]) -> set[str]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        else:
            names.add(str(alias or f"{prefix}{name}").upper())
    return names


def test_every_handler_the_template_names_imports_from_its_code_uri(template: dict[str, Any]) -> None:
    for logical_id in functions(template):
        spec = function_spec(template, logical_id, base_dir=ROOT)
        assert (spec.code_uri / f"{spec.handler_module}.py").is_file(), f"{logical_id}: no {spec.handler}"
        # in a process of its own, with CodeUri first on sys.path, as Lambda's runtime imports it
        probe = (
            f"import sys; sys.path.insert(0, {str(spec.code_uri)!r}); import {spec.handler_module} as m; "
            f"assert callable(getattr(m, {spec.handler_attribute!r}))"
        )
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=ROOT)
        assert done.returncode == 0, f"{logical_id}: {spec.handler} does not import:\n{done.stderr[-1500:]}"


def test_every_function_folder_is_a_function_of_the_template(template: dict[str, Any]) -> None:
    declared = {function_spec(template, name, base_dir=ROOT).code_uri.resolve() for name in functions(template)}
    folders = {path.resolve() for path in (ROOT / "functions").iterdir() if path.is_dir() and path.name[0] != "_"}
    assert folders - declared == set(), "function folders the template does not deploy"
    assert declared - folders == set(), "the template deploys folders that do not exist"


def test_every_cs_variable_a_function_is_given_is_read_by_its_settings(template: dict[str, Any]) -> None:
    readers = SETTINGS_BY_FUNCTION | {"ApiFunction": api_settings(), "HttpApiFunction": api_settings()}
    assert set(readers) == set(functions(template)), "a function without a known settings class"
    for logical_id, resource in functions(template).items():
        own = (resource["Properties"].get("Environment") or {}).get("Variables") or {}
        unread = {name for name in own if name.startswith("CS_")} - env_names(readers[logical_id])
        assert not unread, f"{logical_id} is given {sorted(unread)}, which {readers[logical_id].__name__} never reads"


def test_every_schedule_runs_locally_and_nothing_else(template: dict[str, Any]) -> None:
    declared = {
        (name, event_name)
        for name, resource in functions(template).items()
        for event_name, event in (resource["Properties"].get("Events") or {}).items()
        if event["Type"] == "Schedule"
    }
    local = {(job.function.logical_id, job.event_name) for job in scheduled_jobs(ROOT / "template.yaml")}
    assert local == declared


@pytest.mark.parametrize("source_type", ["msk", "self-managed"])
def test_every_kafka_source_is_polled_locally_and_nothing_else(template: dict[str, Any], source_type: str) -> None:
    resolver = Resolver(template, {"KafkaSourceType": source_type})
    declared = {
        (name, event_name)
        for name, resource in functions(template).items()
        if resource.get("Condition") is None or resolver.condition(resource["Condition"])
        for event_name, event in (resource["Properties"].get("Events") or {}).items()
        if event["Type"] in KAFKA_EVENTS
    }
    local = {(s.spec.logical_id, s.mapping.event_name) for s in kafka_sources(template, resolver, ROOT)}
    assert local == declared
    assert len(local) == 1, "one aggregator exists whichever Kafka the stack uses"
