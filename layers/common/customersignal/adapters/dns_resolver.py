"""``Resolver`` over the system's DNS (``getaddrinfo``): every address a webhook host resolves to, so the URL
policy can refuse a name that points anywhere private."""

from __future__ import annotations

import socket

from customersignal.domain.errors import MalformedRequest


class SystemResolver:
    def resolve(self, host: str) -> list[str]:
        try:
            answers = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as error:
            raise MalformedRequest(
                "webhook_host_unresolvable", f"the webhook host '{host}' does not resolve ({error})", "url"
            ) from None
        return sorted({str(info[4][0]) for info in answers})
