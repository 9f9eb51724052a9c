"""Serve a template.yaml function's Chalice app through the local API Gateway, on uvicorn.

    python -m customersignal.local.serve --function ApiFunction --template template.yaml \\
        --host 127.0.0.1 --port 8000 --workers 2

template.yaml is the single source of truth: the function's CodeUri and Handler say what to import (the
CodeUri folder goes first on sys.path of each worker, then ``module.attribute`` is imported, as Lambda's
Python runtime does), its API events say which gateway to play (``Type: Api``: REST; ``Type: HttpApi``: an
HTTP API with payload format 1.0, e.g. ``--function HttpApiFunction``), its Timeout and MemorySize shape the
Lambda context, its REST API's
BinaryMediaTypes say which bodies travel as base64 (not the Chalice app's ``binary_types``, which a
SAM-built API never sees), and its plain-string
environment variables (Globals, then the function's) are set where the caller's environment does not
already set them. Two kinds are not taken: intrinsics (``!Ref``...), which only a deployment resolves, and
``CS_*`` variables, which belong to ``customersignal.settings`` whose defaults are the local stack's (the
template's ``CS_KAFKA_SECURITY_PROTOCOL: SASL_SSL`` describes MSK, not the laptop's Kafka).

Each uvicorn worker (uvloop + httptools, no access log) builds the app through ``create_app``, which reads
its options from ``CUSTOMERSIGNAL_GATEWAY_*`` environment variables set by ``main``.
"""

from __future__ import annotations

import argparse
import ctypes
import multiprocessing
import os
import signal
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from chalice.app import Chalice

from customersignal.local.gateway import INTEGRATION_TIMEOUT_S, GatewayConfig, LocalApiGateway
from customersignal.local.runtime import import_handler
from customersignal.local.static_site import StaticSite
from customersignal.local.template import FunctionSpec, TemplateError, function_spec, load_template

ENV_TEMPLATE = "CUSTOMERSIGNAL_GATEWAY_TEMPLATE"
ENV_FUNCTION = "CUSTOMERSIGNAL_GATEWAY_FUNCTION"
ENV_CONCURRENCY = "CUSTOMERSIGNAL_GATEWAY_CONCURRENCY"
ENV_SUPERVISOR_PID = "CUSTOMERSIGNAL_GATEWAY_SUPERVISOR_PID"
ENV_SITE = "CUSTOMERSIGNAL_GATEWAY_SITE"
ENV_STATS_DIR = "CUSTOMERSIGNAL_GATEWAY_STATS_DIR"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
SETTINGS_PREFIX = "CS_"
USAGE_ERROR = 2


class ServeError(Exception):
    """Something the operator must fix before the gateway can start; the message says what."""


def read_spec(template_path: Path, logical_id: str) -> FunctionSpec:
    if not template_path.is_file():
        raise ServeError(
            f"template {template_path} not found: run from the repository root or pass --template PATH/template.yaml"
        )
    try:
        spec = function_spec(load_template(template_path), logical_id, base_dir=template_path.parent)
    except TemplateError as exc:
        raise ServeError(
            f"{exc}.\nDeclare it in {template_path} (Type: AWS::Serverless::Function with CodeUri and Handler, "
            "one Type: Api event per route) or pass --function NAME."
        ) from exc
    if not spec.code_uri.is_dir():
        raise ServeError(f"CodeUri of {logical_id} ({spec.code_uri}) is not a folder: fix CodeUri in {template_path}")
    return spec


def template_environment(spec: FunctionSpec) -> tuple[dict[str, str], list[str]]:
    """(variables to set, names left out) by the rules of the module docstring."""
    to_set: dict[str, str] = {}
    left_out = [*spec.unresolved_env]
    for name, value in spec.environment.items():
        if name.startswith(SETTINGS_PREFIX) or name in os.environ:
            left_out.append(name)
        else:
            to_set[name] = value
    return to_set, sorted(left_out)


def load_app(spec: FunctionSpec) -> Chalice:
    """Import the handler the way Lambda does: CodeUri first on sys.path, then ``module.attribute``."""
    app = import_handler(spec)
    if not isinstance(app, Chalice):
        found = type(app).__name__
        raise ServeError(
            f"{spec.handler} in {spec.code_uri} is {found}, not a Chalice app: fix {spec.logical_id}'s Handler"
        )
    return app


def gateway_for(spec: FunctionSpec, concurrency: int, stats_dir: Path | None = None) -> LocalApiGateway:
    to_set, _ = template_environment(spec)
    os.environ.update(to_set)
    config = GatewayConfig(
        function_name=spec.logical_id,
        function_timeout_s=float(spec.timeout_s),
        memory_mb=spec.memory_mb,
        concurrency=concurrency,
        binary_media_types=spec.binary_media_types,
        api_type="HTTP" if spec.api_type == "HTTP" else "REST",
        # an HTTP API waits up to 30 s for its integration, REST 29 s
        integration_timeout_s=30.0 if spec.api_type == "HTTP" else INTEGRATION_TIMEOUT_S,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
    )
    return LocalApiGateway(load_app(spec), config, stats_dir=stats_dir)


def create_app() -> LocalApiGateway | StaticSite:
    """uvicorn's app factory (``factory=True``): runs in each worker process."""
    _die_with_supervisor()
    spec = read_spec(Path(os.environ[ENV_TEMPLATE]), os.environ[ENV_FUNCTION])
    stats_dir = os.environ.get(ENV_STATS_DIR)
    gateway = gateway_for(spec, int(os.environ.get(ENV_CONCURRENCY, "16")), Path(stats_dir) if stats_dir else None)
    site = os.environ.get(ENV_SITE)
    return StaticSite(gateway, Path(site)) if site else gateway


def _die_with_supervisor() -> None:
    """Ask Linux to SIGTERM this worker when the uvicorn supervisor dies, even by SIGKILL.

    uvicorn stops its workers when it is stopped politely; killed, it would leave them serving (holding the
    port and their connections) forever. The supervisor's pid is in the environment, to close the race of
    a supervisor that died before this call.
    """
    supervisor = os.environ.get(ENV_SUPERVISOR_PID)
    if supervisor is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(supervisor):  # it is gone already: the signal will never come
        os.kill(os.getpid(), signal.SIGTERM)


def _import_check(spec: FunctionSpec) -> str | None:
    """In a throwaway process: does the handler import? (So a broken app exits 2 instead of workers dying.)"""
    try:
        gateway_for(spec, 1).close()
    except Exception:  # noqa: BLE001 - reported to the operator, whatever it is
        return traceback.format_exc(limit=-3)
    return None


def check_importable(spec: FunctionSpec) -> None:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        problem = pool.submit(_import_check, spec).result()
    if problem is not None:
        raise ServeError(f"{spec.handler} from {spec.code_uri} does not import:\n{problem}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m customersignal.local.serve",
        description="Serve a template.yaml function's Chalice app as API Gateway REST + Lambda would, on uvicorn.",
    )
    parser.add_argument("--function", default="ApiFunction", help="logical id in the template (default ApiFunction)")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"), help="SAM template (template.yaml)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="invocations at once per worker, in threads (1 = as Lambda)"
    )
    parser.add_argument(
        "--site",
        type=Path,
        help="also serve this built dashboard (dashboard/dist) on the same origin, as CloudFront does",
    )
    parser.add_argument(
        "--stats-dir",
        type=Path,
        help="keep each worker's request counts here, for `customersignal status` (make up: .state/run)",
    )
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    template = args.template.resolve()
    try:
        spec = read_spec(template, args.function)
        check_importable(spec)
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if args.site is not None and not (args.site / "index.html").is_file():
        print(f"error: {args.site}/index.html not found: build the dashboard first (make dashboard)", file=sys.stderr)
        return USAGE_ERROR
    to_set, left_out = template_environment(spec)
    print(
        f"serving {args.function} ({spec.handler} from {spec.code_uri}) on http://{args.host}:{args.port} "
        f"with {args.workers} worker(s) x {args.concurrency} thread(s); template env set: {sorted(to_set) or 'none'}, "
        f"not taken: {left_out or 'none'}",
        file=sys.stderr,
        flush=True,
    )
    os.environ[ENV_TEMPLATE] = str(template)
    os.environ[ENV_FUNCTION] = args.function
    os.environ[ENV_CONCURRENCY] = str(args.concurrency)
    if args.site is not None:
        os.environ[ENV_SITE] = str(args.site.resolve())
    if args.stats_dir is not None:
        os.environ[ENV_STATS_DIR] = str(args.stats_dir.resolve())
    if args.workers > 1:  # with one worker, uvicorn serves in this very process
        os.environ[ENV_SUPERVISOR_PID] = str(os.getpid())

    import uvicorn

    uvicorn.run(
        "customersignal.local.serve:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        server_header=False,
        log_level=args.log_level,
        timeout_graceful_shutdown=int(GatewayConfig.integration_timeout_s) + 1,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
