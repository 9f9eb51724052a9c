"""The answer to CloudFormation: one HTTP PUT of the response document to the request's pre-signed URL.

Inside a VPC the URL (an S3 address) is reachable only through a NAT gateway or an S3 gateway endpoint;
template.yaml says so next to MigrationFunction.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from customersignal.observability import logger


class ReplyFailed(RuntimeError):
    """CloudFormation could not be told; the stack waits until the custom resource's ServiceTimeout."""


class CloudFormationReply:
    """Sends at most one response: the watchdog and the handler may both try, the first one wins."""

    def __init__(self, url: str, *, timeout_s: float = 10.0, attempts: int = 3) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._lock = threading.Lock()
        self._sent = False

    def send(self, body: Mapping[str, Any]) -> bool:
        """PUT ``body``; False if a response was already sent. Raises ReplyFailed if no attempt got through."""
        with self._lock:
            if self._sent:
                return False
            self._sent = True
        data = json.dumps(body).encode()
        for attempt in range(1, self._attempts + 1):
            # the pre-signed URL was signed for an empty Content-Type; urllib would otherwise add its own
            request = urllib.request.Request(self._url, data=data, method="PUT", headers={"Content-Type": ""})  # noqa: S310 - CloudFormation's https URL
            try:
                with urllib.request.urlopen(request, timeout=self._timeout_s):  # noqa: S310 - as above
                    logger.info("answered CloudFormation", extra={"status": body.get("Status"), "attempt": attempt})
                    return True
            except (urllib.error.URLError, OSError) as error:
                logger.warning("answering CloudFormation failed", extra={"attempt": attempt, "error": str(error)})
                if attempt < self._attempts:
                    time.sleep(attempt)
        raise ReplyFailed(f"no answer reached CloudFormation after {self._attempts} attempts")
