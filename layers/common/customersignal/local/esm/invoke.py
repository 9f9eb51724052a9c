"""Host a template function in this process and invoke it as Lambda's Python runtime would.

The function's environment follows ``customersignal.local.serve``: template variables (Globals, then the
function's) are set unless they are ``CS_*`` (settings, whose defaults are the local stack's) or already
set by the caller; intrinsics are resolved with the local parameters first (``!Ref LogLevel`` becomes
``INFO``), and left out when only a deployment could resolve them. Then the handler is imported (CodeUri
first on sys.path) and called with ``(event, context)``.

What Lambda counts as a function error counts here too: an exception, a response that is not JSON
(``Runtime.MarshalError``), a payload over 6 MB either way, and running past the function's Timeout. A
local call cannot be interrupted, so a timeout is noticed when the call returns; its side effects stay.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from customersignal.local.esm.events import payload_size
from customersignal.local.esm.intrinsics import NO_VALUE, Resolver, UnresolvableError
from customersignal.local.runtime import LAMBDA_PAYLOAD_LIMIT, LambdaContext, import_handler, new_log_stream_name
from customersignal.local.serve import template_environment
from customersignal.local.template import FunctionSpec, TemplateError

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Invocation:
    request_id: str
    response: Any
    error: str | None
    duration_s: float


def environment(spec: FunctionSpec, resolver: Resolver) -> tuple[dict[str, str], list[str]]:
    """(variables to set, names left out): intrinsics resolved where they can be, then serve's rules."""
    resolved: dict[str, str] = {}
    unresolved: dict[str, Any] = {}
    for name, value in spec.unresolved_env.items():
        try:
            plain = resolver.resolve(value)
        except UnresolvableError:
            unresolved[name] = value
            continue
        if plain is not NO_VALUE:
            resolved[name] = ",".join(plain) if isinstance(plain, list) else str(plain)
    merged = dataclasses.replace(spec, environment={**spec.environment, **resolved}, unresolved_env=unresolved)
    return template_environment(merged)


def load_handler(spec: FunctionSpec, resolver: Resolver) -> Handler:
    """Set the function's environment, import its handler, and check it is callable."""
    if not spec.code_uri.is_dir():
        raise TemplateError(f"CodeUri of {spec.logical_id} ({spec.code_uri}) is not a folder: fix it in the template")
    to_set, _ = environment(spec, resolver)
    os.environ.update(to_set)
    module = sys.modules.get(spec.handler_module)
    loaded_from = getattr(module, "__file__", None) or ""
    if module is not None and not loaded_from.startswith(str(spec.code_uri)):
        raise TemplateError(
            f"{spec.logical_id}: module {spec.handler_module} is already imported from {loaded_from}; "
            "run this function in its own emulator (--function)"
        )
    try:
        handler = import_handler(spec)
    except ImportError as exc:
        raise TemplateError(f"{spec.handler} from {spec.code_uri} does not import: {exc}") from exc
    if not callable(handler):
        raise TemplateError(f"{spec.handler} in {spec.code_uri} is {type(handler).__name__}, not a function")
    handler_fn: Handler = handler
    return handler_fn


class Invoker:
    def __init__(self, handler: Handler, spec: FunctionSpec) -> None:
        self.handler = handler
        self.spec = spec
        self._log_stream = new_log_stream_name()  # one "container" per emulator run
        self._last_error: str | None = None

    def context(self) -> LambdaContext:
        return LambdaContext(
            self.spec.logical_id,
            timeout_s=float(self.spec.timeout_s),
            memory_mb=self.spec.memory_mb,
            log_stream_name=self._log_stream,
        )

    def invoke(self, event: dict[str, Any]) -> Invocation:
        context = self.context()
        size = payload_size(event)
        if size > LAMBDA_PAYLOAD_LIMIT:
            too_large = f"RequestEntityTooLargeException: {size} bytes is over the {LAMBDA_PAYLOAD_LIMIT}-byte limit"
            return Invocation(context.aws_request_id, None, too_large, 0.0)
        started = time.monotonic()
        response: Any = None
        error: str | None = None
        try:
            response = self.handler(event, context)
        except (Exception, SystemExit) as exc:  # whatever the handler raises is a function error
            error = f"{type(exc).__name__}: {exc}"
            # the traceback once per distinct error: retries of one poison batch would repeat it many times
            log.warning("%s raised %s", self.spec.logical_id, error, exc_info=error != self._last_error)
            self._last_error = error
        duration = time.monotonic() - started
        if error is None and duration > self.spec.timeout_s:
            error = f"Task timed out after {self.spec.timeout_s:.2f} seconds"
        if error is None:
            response, error = _marshal(response)
        return Invocation(context.aws_request_id, response, error, duration)


def _marshal(response: Any) -> tuple[Any, str | None]:
    """The response as the caller would receive it (JSON), or the error Lambda would report."""
    try:
        text = json.dumps(response)
    except (TypeError, ValueError) as exc:
        return None, f"Runtime.MarshalError: unable to marshal response: {exc}"
    if len(text.encode()) > LAMBDA_PAYLOAD_LIMIT:
        return None, "Response payload size exceeded maximum allowed payload size"
    return json.loads(text), None
