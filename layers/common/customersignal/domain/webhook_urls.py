"""Which webhook URLs a tenant may register: https, and every address the host resolves to is public.

DNS resolution is I/O and happens in an adapter: ``getaddrinfo(host_of(url))``, A and AAAA. This module
judges the URL and every address that came back. ``host_of`` checks the syntax first, so nothing is looked up
for a URL refused on its face. That includes hosts spelled as numbers other than a.b.c.d (``2130706433``,
``0x7f.0.0.1``, ``0177.0.0.1``, ``127.1``): WHATWG parsers read a host whose last label is a number as IPv4,
and clients disagree about its value. If one got through anyway, the address check would still see 127.0.0.1.

What this covers and what it doesn't:

* The policy is checked when an endpoint is registered. SNS delivers from AWS's network, outside our VPC, so
  this check is not what keeps our VPC or the metadata service private. It keeps tenants from aiming
  deliveries at receivers that aren't public, and it matters most where a local runner delivers from inside.
* **DNS rebinding.** SNS resolves the name again at every delivery, so a name that later points at a
  private address is not caught by a check at registration. ``UrlPolicy`` runs the check again whenever the
  URL is used: before each delivery is published (the evaluator and the aggregator's fast path), before a
  redelivery and before a re-sent confirmation; a refused delivery is recorded as failed with the reason and
  retried on the next run. A name that flips in the seconds between our lookup and SNS's own is still out
  of reach: SNS makes the connection, and we cannot pin the address it connects to.
* **Redirects** are followed or not by whoever makes the request, and this check can't see them. Our code
  never fetches a tenant URL. If it ever does (a "send test" button), it must refuse redirects and connect
  to the address it checked.
* Loopback is allowed only with ``allow_loopback`` (local mode), and plain http only to loopback.
  Private, link-local (169.254.169.254 included), CGNAT, multicast, reserved and documentation addresses
  are never allowed. The same goes for IPv4 inside IPv6: mapped, NAT64 and 6to4.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

from customersignal.domain.errors import MalformedRequest

MAX_URL_LENGTH = 2048
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOOPBACK_V4, _LOOPBACK_V6 = ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv6Address("::1")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Checked before the ipaddress properties, whose answers vary across 3.12 patch releases (3.12.4 changed them).
_REFUSED: tuple[tuple[str, str], ...] = (
    ("127.0.0.0/8", "a loopback address"),
    ("::1/128", "a loopback address"),
    ("::/128", "an unspecified address"),
    ("0.0.0.0/8", "a 'this network' address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("169.254.0.0/16", "a link-local address (this includes the cloud metadata service)"),
    ("192.0.0.0/24", "an IETF protocol address"),
    ("192.0.2.0/24", "a documentation address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("192.88.99.0/24", "a 6to4 relay address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("fc00::/7", "a private (unique local) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
    ("100::/64", "a discard-only address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
    ("2001::/23", "an IETF protocol address (this includes Teredo)"),
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
    ("5f00::/16", "a segment-routing address"),
)
_REFUSED_NETWORKS = tuple((ipaddress.ip_network(net), why) for net, why in _REFUSED)
_FLAGS = (
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private address"),
    ("is_reserved", "a reserved address"),
)


class Resolver(Protocol):
    def resolve(self, host: str) -> list[str]:
        """Every address ``host`` resolves to; raises ``MalformedRequest`` (field url) when it does not."""
        ...


@dataclass(frozen=True)
class UrlPolicy:
    """The policy with DNS: a URL is judged on what its host resolves to *now*, at registration and at every
    later use, since the name may point elsewhere by then (DNS rebinding)."""

    resolver: Resolver
    allow_loopback: bool

    def check(self, url: str) -> None:
        """Raise ``MalformedRequest`` (field ``url``) unless ``url`` may receive webhooks now."""
        check_webhook_url(url, self.resolver.resolve(host_of(url)), allow_loopback=self.allow_loopback)


def host_of(url: str) -> str:
    """The host to resolve (lowercase, no brackets, no trailing dot), once the URL's syntax checks out.

    Call it before resolving, so that nothing is looked up for a URL the policy refuses on its face.
    """
    return _host(_split(url))[0]


def check_webhook_url(url: str, resolved: list[str], *, allow_loopback: bool) -> None:
    """Raise ``MalformedRequest`` (field ``url``) unless the URL may receive webhooks.

    ``resolved`` must hold every address the host resolved to; an empty list is refused.
    """
    parts = _split(url)
    host, literal = _host(parts)
    if (host == "localhost" or host.endswith(".localhost")) and not allow_loopback:
        raise MalformedRequest("webhook_url_private", f"{host} is a loopback name and local mode is off.", "url")
    addresses = _parse(resolved) + ([literal] if literal else [])
    if not addresses:
        raise MalformedRequest("webhook_host_unresolvable", f"The host {host} does not resolve to any address.", "url")
    for address in addresses:
        why = _refusal(address)
        if why and not (allow_loopback and _loopback(address)):
            raise MalformedRequest(
                "webhook_url_private",
                f"The host {host} resolves to {address}, {why}. Webhook receivers must be on the public internet.",
                "url",
            )
    if parts.scheme == "http" and not (allow_loopback and all(_loopback(a) for a in addresses)):
        raise _not_https()


def _split(url: str) -> SplitResult:
    """The URL's parts, once its syntax, scheme, user info and port check out."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise _invalid(f"The webhook URL must be a string of 1 to {MAX_URL_LENGTH} characters.")
    if not (url.isascii() and url.isprintable()) or " " in url:
        raise _invalid("The webhook URL must be ASCII without spaces: percent-encode the path, use punycode hosts.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _invalid("The webhook URL is not a valid URL (check the port and any [IPv6] host).") from None
    if parts.scheme not in {"https", "http"}:
        raise _not_https()
    if "@" in parts.netloc:
        raise _invalid("The webhook URL must not contain a user name or password.")
    if port == 0 or parts.netloc.endswith(":"):
        raise _invalid("The webhook URL has an invalid port.")
    return parts


def _host(parts: SplitResult) -> tuple[str, IPAddress | None]:
    """The host, and the IP address it is if it is a literal; refuse what can't be a public DNS name."""
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _invalid("The webhook URL needs a host, like https://hooks.example.com/alerts.")
    if "[" in parts.netloc:
        try:
            return host, ipaddress.IPv6Address(host)
        except ValueError:
            raise _invalid(f"{host} is not a valid IPv6 address.") from None
    try:
        return host, ipaddress.IPv4Address(host)
    except ValueError:
        pass
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _invalid(f"{host} is not a valid host name.")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise _invalid(f"{host} looks like an IPv4 address in a non-standard form; write it as a.b.c.d.")
    if len(labels) < 2 and host != "localhost":
        raise _invalid(f"{host} is not a fully qualified domain name.")
    return host, None


def _parse(resolved: list[str]) -> list[IPAddress]:
    addresses = []
    for text in resolved:
        try:
            addresses.append(ipaddress.ip_address(text))
        except ValueError:
            raise _invalid(f"The host resolved to {text!r}, which is not an IP address.") from None
    return addresses


def _refusal(address: IPAddress) -> str | None:
    """Why this address may not receive webhooks, or None if it is public."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        why = _refusal(embedded)
        return f"an IPv6 form of {embedded}, {why}" if why else None
    for network, why in _REFUSED_NETWORKS:
        if address.version == network.version and address in network:
            return why
    for flag, why in _FLAGS:
        if getattr(address, flag):
            return why
    return None if address.is_global else "not a globally routable address"


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 (64:ff9b::/96) address."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


def _loopback(address: IPAddress) -> bool:
    """127.0.0.0/8 or ::1 only: an IPv6 form of 127.0.0.1 is not a local receiver."""
    return address in _LOOPBACK_V4 if isinstance(address, ipaddress.IPv4Address) else address == _LOOPBACK_V6


def _invalid(message: str) -> MalformedRequest:
    return MalformedRequest("invalid_webhook_url", message, "url")


def _not_https() -> MalformedRequest:
    return MalformedRequest(
        "webhook_url_not_https", "The webhook URL must use https (plain http only to loopback in local mode).", "url"
    )
