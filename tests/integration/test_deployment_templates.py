"""The deployment files pass the real tools, offline: cfn-lint, `sam validate --lint`, `sam build`, and
`docker compose config`; docker-compose.yml mirrors the native local stack's ports and settings.

SAM CLI and cfn-lint come from the pinned tool venv that `make tools` installs
(`${CS_CACHE_DIR:-.cache}/sam-venv`). Without it these tests skip, except under CI, where they fail.
Nothing here can reach AWS: dummy credentials and an endpoint on a closed local port.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from customersignal.settings import PlatformSettings
from customersignal.topology import required_topics
from tests.fixtures.sam import CACHE_DIR, ROOT, SAM_BIN, TEMPLATE, explain, in_ci, run, sam_env

pytestmark = pytest.mark.integration

COMPOSE = ROOT / "docker-compose.yml"
LIB_SH = ROOT / "infra" / "local" / "lib.sh"
LOOPBACK = "127.0.0.1"
AWS_SERVICES = ("localstack", "moto")


@pytest.fixture(scope="module")
def tool_env() -> dict[str, str]:
    """An environment in which the SAM tools work offline and python3.12 (the Lambda runtime) is on PATH."""
    return sam_env()


# ------------------------------------------------------------------------------------ SAM and cfn-lint


API_TYPE_DEFAULT = "    Default: REST\n    AllowedValues: [REST, HTTP]\n"


def template_for(api_type: str, tmp_path: Path) -> Path:
    """The template itself (ApiType=REST, its default), or a copy whose ApiType defaults to HTTP, so that the
    linters judge the HTTP API variant with every other parameter at its default too."""
    if api_type == "REST":
        return TEMPLATE
    source = TEMPLATE.read_text()
    assert API_TYPE_DEFAULT in source
    path = tmp_path / "template.yaml"
    path.write_text(source.replace(API_TYPE_DEFAULT, API_TYPE_DEFAULT.replace("REST\n", "HTTP\n", 1), 1))
    return path


@pytest.mark.parametrize("api_type", ["REST", "HTTP"])
def test_cfn_lint_passes(tool_env: dict[str, str], tmp_path: Path, api_type: str) -> None:
    result = run([SAM_BIN / "cfn-lint", template_for(api_type, tmp_path)], tool_env)
    assert result.returncode == 0, explain(result)


@pytest.mark.parametrize("api_type", ["REST", "HTTP"])
def test_sam_validate_lint_passes(tool_env: dict[str, str], tmp_path: Path, api_type: str) -> None:
    template = template_for(api_type, tmp_path)
    result = run([SAM_BIN / "sam", "validate", "--lint", "--template-file", template], tool_env, cwd=template.parent)
    assert result.returncode == 0, explain(result)
    assert "is a valid SAM Template" in result.stdout + result.stderr


LINT_PROBE = """Resources:
  LintProbe:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      InlineCode: "def handler(event, context): return event"
"""


def template_with_probe(tmp_path: Path, runtime: str) -> Path:
    """A copy of the template with one inline function (so Globals.Runtime applies) on the given runtime."""
    source = TEMPLATE.read_text()
    assert "Runtime: python3.12" in source
    assert "\nResources:\n" in source
    text = source.replace("Runtime: python3.12", f"Runtime: {runtime}", 1)
    path = tmp_path / runtime / "template.yaml"
    path.parent.mkdir()
    path.write_text(text.replace("\nResources:\n", "\n" + LINT_PROBE, 1))
    return path


def lint_commands(template: Path) -> dict[str, list[str | Path]]:
    return {
        "cfn-lint": [SAM_BIN / "cfn-lint", template],
        "sam validate --lint": [SAM_BIN / "sam", "validate", "--lint", "--template-file", template],
    }


def test_the_linters_really_run(tool_env: dict[str, str], tmp_path: Path) -> None:
    # Given the same template with a function added: on python3.12 (control) and on python3.7 (deprecated)
    control = template_with_probe(tmp_path, "python3.12")
    broken = template_with_probe(tmp_path, "python3.7")
    # When both linters check them
    results = {
        (name, path.parent.name): run(cmd, tool_env, cwd=path.parent)
        for path in (control, broken)
        for name, cmd in lint_commands(path).items()
    }
    # Then only the deprecated runtime is rejected (E2531), by both
    for (name, runtime), result in results.items():
        if runtime == "python3.12":
            assert result.returncode == 0, f"{name} on the control copy: {explain(result)}"
        else:
            assert result.returncode != 0, f"{name} accepted python3.7: {explain(result)}"
    assert "E2531" in results[("cfn-lint", "python3.7")].stdout


def test_sam_build_makes_both_layers(tool_env: dict[str, str], tmp_path: Path) -> None:
    # Given a fresh build directory (SAM writes its dependency folder under the working directory)
    build_dir = tmp_path / "build"
    # When SAM builds with the settings samconfig.toml gives it (cached, parallel)
    result = run(
        [
            SAM_BIN / "sam",
            "build",
            "--template-file",
            TEMPLATE,
            "--build-dir",
            build_dir,
            "--cache-dir",
            CACHE_DIR / "sam-build-cache",
        ],
        tool_env,
        cwd=tmp_path,
    )
    # Then both layers are laid out as Lambda expects them (code under python/)
    assert result.returncode == 0, explain(result)
    common = build_dir / "CommonLayer" / "python"
    assert (common / "customersignal" / "settings.py").is_file()
    assert (common / "customersignal" / "py.typed").is_file()
    leftovers = [p for p in common.rglob("*") if p.name == "__pycache__" or p.name.endswith((".pyc", ".egg-info"))]
    assert not leftovers, f"build artefacts leaked into CommonLayer: {leftovers[:5]}"
    assert {p.name for p in common.iterdir()} == {"customersignal"}
    deps = build_dir / "DependenciesLayer" / "python"
    for package in ("pydantic", "pydantic_settings", "aws_lambda_powertools", "pg8000", "redis", "chalice"):
        assert (deps / package / "__init__.py").is_file(), f"{package} missing from DependenciesLayer"
    # confluent-kafka's native extension must be the cp312 manylinux x86_64 build (glibc 2.28 wheels)
    assert list((deps / "confluent_kafka").glob("cimpl.cpython-312-x86_64-linux-gnu.so")), sorted(
        p.name for p in (deps / "confluent_kafka").iterdir()
    )
    assert (build_dir / "template.yaml").is_file()
    # the migration function ships the Alembic scripts as files (functions/migrate/migrations is a symlink),
    # byte for byte the repository's, which template.yaml's MigrationsHash describes
    migrate = build_dir / "MigrationFunction"
    assert (migrate / "migrate_handler.py").is_file()
    assert (migrate / "migrations").is_dir()
    assert not (migrate / "migrations").is_symlink()
    source = ROOT / "migrations"
    expected = {p.relative_to(source): p.read_bytes() for p in source.rglob("*.py") if "__pycache__" not in p.parts}
    shipped = {p.relative_to(migrate / "migrations"): p.read_bytes() for p in (migrate / "migrations").rglob("*.py")}
    assert shipped == expected
    assert (migrate / "migrations" / "alembic.ini").read_bytes() == (source / "alembic.ini").read_bytes()


# ------------------------------------------------------------------------------------ docker-compose.yml


def compose_command() -> list[str] | None:
    """`docker compose` where the plugin is installed, else the standalone build `make tools` makes."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    standalone = CACHE_DIR / "docker-compose" / "docker-compose"
    return [str(standalone)] if standalone.is_file() else None


@pytest.mark.parametrize("profile", AWS_SERVICES)
def test_docker_compose_config_is_valid(profile: str) -> None:
    command = compose_command()
    if command is None:
        if in_ci():
            pytest.fail("no docker compose: `make tools` builds one from the Go module proxy (needs go)")
        pytest.skip("no `docker compose` here; `make tools` builds one (it parses offline, no engine needed)")
    env = dict(os.environ, LOCALSTACK_AUTH_TOKEN="dummy-token")  # placeholder: config only parses
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "--profile", profile, "--profile", "apps", "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, explain(result)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: object = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def published_ports(service: dict[str, Any]) -> list[tuple[str, int]]:
    """(host_ip, host_port) for each published port, in short ("ip:host:container") or long syntax."""
    ports: list[tuple[str, int]] = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports.append((str(entry.get("host_ip", "")), int(entry["published"])))
            continue
        parts = str(entry).split(":")
        assert len(parts) == 3, f"port {entry!r} must name its host address, e.g. 127.0.0.1:HOST:CONTAINER"
        ports.append((parts[0], int(parts[1])))
    return ports


@functools.cache
def native_defaults() -> dict[str, str]:
    """The values infra/local/lib.sh computes with nothing set (sourced in a clean environment)."""
    names = "KAFKA_PORT PG_PORT PG_USER PG_PASSWORD PG_DATABASE REDIS_PORT AWS_PORT API_PORT LOCALSTACK_VERSION"
    with tempfile.TemporaryDirectory() as state_dir:  # lib.sh creates its state folders when sourced
        script = f'source "{LIB_SH}" && for v in {names}; do printf "%s=%s\\n" "$v" "${{!v}}"; done'
        result = subprocess.run(
            ["bash", "-c", script],
            env={"PATH": os.defpath, "CS_STATE_DIR": state_dir, "CS_ENV_FILE": ""},  # no developer's .env
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 0, explain(result)
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def expected_host_ports() -> dict[str, int]:
    """Per compose service, the host port the native stack uses (settings defaults, then lib.sh)."""
    defaults = PlatformSettings.model_construct()  # field defaults only: no environment, no .env
    kafka_port = urlsplit(f"//{defaults.kafka_bootstrap}").port
    redis_port = urlsplit(defaults.redis_url.get_secret_value()).port
    aws_port = urlsplit(f"//{defaults.localstack_host}").port
    assert kafka_port
    assert redis_port
    assert aws_port
    api_port = urlsplit(defaults.dashboard_url).port
    assert api_port
    from_settings = {
        "redpanda": kafka_port,
        "postgres": defaults.pg_port,
        "redis": redis_port,
        "localstack": aws_port,
        "moto": aws_port,
        "api": api_port,
    }
    native = native_defaults()
    from_lib_sh = {
        "redpanda": int(native["KAFKA_PORT"]),
        "postgres": int(native["PG_PORT"]),
        "redis": int(native["REDIS_PORT"]),
        "localstack": int(native["AWS_PORT"]),
        "moto": int(native["AWS_PORT"]),
        "api": int(native["API_PORT"]),
    }
    assert from_settings == from_lib_sh, "settings.py and infra/local/lib.sh disagree on the local ports"
    return from_settings


def test_compose_publishes_exactly_the_native_ports_on_loopback(compose: dict[str, Any]) -> None:
    services: dict[str, dict[str, Any]] = compose["services"]
    published = {name: published_ports(svc) for name, svc in services.items() if svc.get("ports")}
    assert {name: [port for _, port in ports] for name, ports in published.items()} == {
        name: [port] for name, port in expected_host_ports().items()
    }
    exposed = [(name, ip, port) for name, ports in published.items() for ip, port in ports if ip != LOOPBACK]
    assert not exposed, f"ports published beyond {LOOPBACK}: {exposed}"


APP_SERVICES = {"migrate": "alembic", "api": "customersignal.local.serve", "esm": "customersignal.local.esm"}
APP_SERVICES |= {"scheduler": "customersignal.local.schedule"}


def test_compose_runs_the_application_processes_as_make_up_does(compose: dict[str, Any]) -> None:
    services: dict[str, dict[str, Any]] = compose["services"]
    dockerfile = ROOT / services["migrate"]["build"]["dockerfile"]
    assert dockerfile.is_file()
    for name, program in APP_SERVICES.items():
        service = services[name]
        assert service["profiles"] == ["apps"], f"{name}: `make up` runs the apps natively; compose only on request"
        assert service["image"] == services["migrate"]["image"], f"{name}: one image for every process"
        command = service["command"]
        assert program in command, f"{name} runs {command}"
        if program.startswith("customersignal."):
            assert importlib.util.find_spec(program) is not None, f"{name}: {program} does not exist"
            assert "--template=template.yaml" in command, f"{name}: template.yaml is the wiring"
        if name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        env = service["environment"]
        # the other services by name, on the ports they listen on inside the network
        internal_kafka = next(a for a in services["redpanda"]["command"] if a.startswith("--advertise-kafka-addr="))
        assert f"internal://{env['CS_KAFKA_BOOTSTRAP']}" in internal_kafka
        assert (env["CS_PG_HOST"], env["CS_PG_PORT"]) == ("postgres", "5432")
        assert urlsplit(env["CS_REDIS_URL"]).hostname == "redis"
        assert env["CS_AWS_ENDPOINT_URL"] == "http://aws:4566"
    for emulator in ("localstack", "moto"):  # whichever profile runs answers as aws:4566
        assert services[emulator]["networks"]["default"]["aliases"] == ["aws"]
        assert str(services[emulator]["ports"][0]).endswith(":4566")
    assert "--site=dashboard/dist" in services["api"]["command"]
    assert "COPY --from=dashboard /dashboard/dist dashboard/dist" in dockerfile.read_text()


def test_compose_mirrors_native_settings(compose: dict[str, Any]) -> None:
    services: dict[str, dict[str, Any]] = compose["services"]
    defaults = PlatformSettings.model_construct()
    native = native_defaults()
    postgres_env = services["postgres"]["environment"]
    assert postgres_env["POSTGRES_USER"] == defaults.pg_user == native["PG_USER"]
    assert postgres_env["POSTGRES_PASSWORD"] == defaults.pg_password.get_secret_value() == native["PG_PASSWORD"]
    assert postgres_env["POSTGRES_DB"] == defaults.pg_database == native["PG_DATABASE"]
    # the official postgres:15 image, plus the hll extension (migration 0009) in a Dockerfile of its own
    build = services["postgres"]["build"]
    dockerfile = (ROOT / build["context"] / build["dockerfile"]).read_text()  # an absolute context stays
    assert re.search(r"^FROM postgres:15\.\d+", dockerfile, re.M), dockerfile
    assert "postgresql-15-hll" in dockerfile
    assert services["redis"]["image"].startswith("redis:7.")
    # topics: created explicitly, with the partitions the code declares; broker auto-creation off
    topics_spec = services["kafka-topics"]["environment"]["TOPICS"].split()
    assert dict(spec.split(":") for spec in topics_spec) == {
        topic: str(partitions) for topic, partitions in required_topics(defaults).items()
    }
    assert "--set=redpanda.auto_create_topics_enabled=false" in services["redpanda"]["command"]
    assert "auto_create_topics_enabled false" in services["kafka-topics"]["command"][0]
    # the same LocalStack release as the native runtime
    assert services["localstack"]["image"] == f"localstack/localstack:{native['LOCALSTACK_VERSION']}"


def test_each_aws_endpoint_is_behind_its_own_profile(compose: dict[str, Any]) -> None:
    services: dict[str, dict[str, Any]] = compose["services"]
    assert {name: svc.get("profiles") for name, svc in services.items() if svc.get("profiles")} == {
        **{name: [name] for name in AWS_SERVICES},
        **{name: ["apps"] for name in APP_SERVICES},
    }


def test_compose_up_wait_can_succeed(compose: dict[str, Any]) -> None:
    # `up --wait` needs every long-running service healthy, and treats an exited one-shot job as a failure
    # unless a running service depends on it with service_completed_successfully.
    services: dict[str, dict[str, Any]] = compose["services"]
    adopted = {
        dependency
        for svc in services.values()
        if isinstance(svc.get("depends_on"), dict)  # the list form only means service_started
        for dependency, spec in svc["depends_on"].items()
        if spec.get("condition") == "service_completed_successfully"
    }
    for name, svc in services.items():
        if name in adopted:
            assert svc.get("restart") == "no", f"{name} is a one-shot job: it must not restart"
        else:
            assert "healthcheck" in svc, f"{name} has no healthcheck: `docker compose up --wait` can't tell"
