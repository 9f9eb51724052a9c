"""What every local runner needs from Lambda's Python runtime: the handler import and the context object.

Shared by the API gateway (``gateway``/``serve``) and the Kafka event-source mapping (``esm``), so both
import handlers and shape contexts the same way.
"""

from __future__ import annotations

import importlib
import random
import sys
import time
import uuid
from typing import Any

from customersignal.local.template import FunctionSpec

LAMBDA_PAYLOAD_LIMIT = 6_291_556  # Lambda's synchronous invocation payload (event and response), in bytes
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_REGION = "us-east-1"


def import_handler(spec: FunctionSpec) -> Any:
    """Import ``Handler`` as Lambda's Python runtime does: CodeUri first on sys.path, then ``module.attribute``.

    Returns whatever the attribute is (``None`` if the module lacks it); callers check its kind.
    """
    code_dir = str(spec.code_uri)
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    module = importlib.import_module(spec.handler_module)
    return getattr(module, spec.handler_attribute, None)


def function_arn(function_name: str, region: str = LOCAL_REGION, account_id: str = LOCAL_ACCOUNT_ID) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"


def new_log_stream_name() -> str:
    """The shape of a Lambda log stream name: date, version, a random container id."""
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"


def new_uuid4() -> str:
    """A random (version 4) UUID from the Mersenne Twister (reseeded in each forked worker): the local runtime's
    ids are unique, not secret, and uuid4() reads os.urandom, which lets go of the GIL and, on a busy threaded
    server, waits for it back on every call."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


class LambdaContext:
    """The attributes of the Python runtime's context object (``memory_limit_in_mb`` is a string there too)."""

    def __init__(
        self,
        function_name: str,
        *,
        timeout_s: float,
        memory_mb: int,
        log_stream_name: str,
        region: str = LOCAL_REGION,
        account_id: str = LOCAL_ACCOUNT_ID,
    ) -> None:
        self.aws_request_id = new_uuid4()  # Lambda's own id, not the caller's (API Gateway's requestId)
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn(function_name, region, account_id)
        self.memory_limit_in_mb = str(memory_mb)
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream_name
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
