"""template.yaml is the wiring: its Api events must be exactly the Chalice app's routes, loaded the way
Lambda loads the handler (CodeUri on the path, then app.app)."""

from __future__ import annotations

import pytest

from customersignal.local.gateway import chalice_routes
from customersignal.local.serve import load_app, read_spec
from customersignal.local.template import api_routes, load_template
from tests.fixtures.services import ROOT

pytestmark = pytest.mark.unit

TEMPLATE = ROOT / "template.yaml"


def test_template_routes_equal_the_chalice_app_routes() -> None:
    spec = read_spec(TEMPLATE, "ApiFunction")
    app = load_app(spec)
    assert api_routes(load_template(TEMPLATE), "ApiFunction") == chalice_routes(app)


def test_the_api_handler_is_the_chalice_app() -> None:
    spec = read_spec(TEMPLATE, "ApiFunction")
    assert (spec.handler_module, spec.handler_attribute) == ("app", "app")


def test_the_openapi_document_describes_exactly_the_apps_routes() -> None:
    app = load_app(read_spec(TEMPLATE, "ApiFunction"))  # also puts functions/api on the path
    from chalicelib.docs_routes import openapi_document

    served = {(path, method.lower()) for path, views in app.routes.items() for method in views}
    documented = {(path, method) for path, ops in openapi_document()["paths"].items() for method in ops}
    assert documented == served


def test_the_http_api_variant_serves_the_same_routes_with_payload_format_1_0() -> None:
    template = load_template(TEMPLATE)
    app = load_app(read_spec(TEMPLATE, "ApiFunction"))
    assert api_routes(template, "HttpApiFunction") == chalice_routes(app)
    events = template["Resources"]["HttpApiFunction"]["Properties"]["Events"].values()
    assert {(e["Type"], e["Properties"]["PayloadFormatVersion"]) for e in events} == {("HttpApi", "1.0")}


def test_the_two_api_variants_differ_only_in_their_events_and_log_group() -> None:
    resources = load_template(TEMPLATE)["Resources"]
    rest, http = resources["ApiFunction"], resources["HttpApiFunction"]
    assert (rest["Condition"], http["Condition"]) == ("UseRestApi", "UseHttpApi")
    different = {"Events", "LoggingConfig", "Description"}
    assert {k: v for k, v in rest["Properties"].items() if k not in different} == {
        k: v for k, v in http["Properties"].items() if k not in different
    }
    assert rest["DependsOn"] == http["DependsOn"]
