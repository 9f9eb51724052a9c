"""The webhook URL policy: https, public addresses only, loopback only in local mode."""

from __future__ import annotations

import pytest

from customersignal.domain.errors import MalformedRequest
from customersignal.domain.webhook_urls import check_webhook_url, host_of

pytestmark = pytest.mark.unit

PUBLIC_V4, PUBLIC_V6 = "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


def refusal(url: str, resolved: list[str], *, allow_loopback: bool = False) -> str | None:
    try:
        check_webhook_url(url, resolved, allow_loopback=allow_loopback)
    except MalformedRequest as error:
        return error.code if error.field == "url" and error.message else f"{error.code} without field or message"
    return None


@pytest.mark.parametrize(
    ("url", "resolved"),
    [
        pytest.param("https://hooks.example.com/alerts", [PUBLIC_V4], id="plain"),
        pytest.param("https://hooks.example.com:8443/a?b=c", [PUBLIC_V4], id="port and query"),
        pytest.param("HTTPS://Hooks.Example.COM/", [PUBLIC_V4], id="upper case"),
        pytest.param("https://hooks.example.com./x", [PUBLIC_V4], id="trailing dot"),
        pytest.param("https://hooks.example.com/x", [PUBLIC_V4, PUBLIC_V6], id="A and AAAA"),
        pytest.param("https://93.184.215.14/x", [PUBLIC_V4], id="IPv4 literal"),
        pytest.param(f"https://[{PUBLIC_V6}]:443/x", [PUBLIC_V6], id="IPv6 literal"),
        pytest.param("https://xn--bcher-kva.example/", [PUBLIC_V4], id="punycode"),
        pytest.param("https://my_host.example.com/", [PUBLIC_V4], id="underscore"),
        pytest.param("https://hooks.example.com/", ["::ffff:93.184.215.14"], id="IPv4-mapped public"),
        pytest.param("https://hooks.example.com/", ["64:ff9b::5db8:d70e"], id="NAT64 of a public address"),
        pytest.param("https://hooks.example.com/", ["2002:5db8:d70e::1"], id="6to4 of a public address"),
    ],
)
def test_public_https_urls_are_accepted(url: str, resolved: list[str]) -> None:
    assert refusal(url, resolved) is None


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("10.0.0.5", id="10/8"),
        pytest.param("172.16.0.1", id="172.16/12 start"),
        pytest.param("172.31.255.255", id="172.16/12 end"),
        pytest.param("192.168.1.1", id="192.168/16"),
        pytest.param("127.0.0.1", id="loopback"),
        pytest.param("127.255.255.254", id="loopback /8"),
        pytest.param("169.254.169.254", id="metadata service"),
        pytest.param("169.254.1.1", id="link-local"),
        pytest.param("0.0.0.0", id="unspecified"),  # noqa: S104 - an address under test
        pytest.param("0.1.2.3", id="0/8"),
        pytest.param("100.64.0.1", id="CGNAT start"),
        pytest.param("100.127.255.254", id="CGNAT end"),
        pytest.param("224.0.0.1", id="multicast"),
        pytest.param("239.255.255.250", id="SSDP multicast"),
        pytest.param("240.0.0.1", id="reserved"),
        pytest.param("255.255.255.255", id="broadcast"),
        pytest.param("192.0.2.1", id="TEST-NET-1"),
        pytest.param("198.51.100.1", id="TEST-NET-2"),
        pytest.param("203.0.113.1", id="TEST-NET-3"),
        pytest.param("198.18.0.1", id="benchmarking"),
        pytest.param("192.0.0.170", id="IETF protocol"),
        pytest.param("192.88.99.1", id="6to4 relay"),
        pytest.param("::", id="v6 unspecified"),
        pytest.param("::1", id="v6 loopback"),
        pytest.param("fc00::1", id="ULA fc"),
        pytest.param("fd12:3456::1", id="ULA fd"),
        pytest.param("fe80::1", id="v6 link-local"),
        pytest.param("fe80::1%eth0", id="v6 link-local with zone"),
        pytest.param("febf::1", id="v6 link-local end"),
        pytest.param("fec0::1", id="site-local"),
        pytest.param("ff02::1", id="v6 multicast"),
        pytest.param("2001:db8::1", id="v6 documentation"),
        pytest.param("3fff::1", id="v6 documentation (2024)"),
        pytest.param("2001::1", id="Teredo"),
        pytest.param("100::1", id="discard-only"),
        pytest.param("5f00::1", id="SRv6"),
        pytest.param("::ffff:127.0.0.1", id="IPv4-mapped loopback"),
        pytest.param("::ffff:10.0.0.1", id="IPv4-mapped private"),
        pytest.param("::ffff:169.254.169.254", id="IPv4-mapped metadata"),
        pytest.param("::7f00:1", id="IPv4-compatible loopback"),
        pytest.param("64:ff9b::7f00:1", id="NAT64 of loopback"),
        pytest.param("64:ff9b::a9fe:a9fe", id="NAT64 of the metadata service"),
        pytest.param("64:ff9b:1::1", id="local-use NAT64"),
        pytest.param("2002:a00:1::1", id="6to4 of 10.0.0.1"),
        pytest.param("2002:7f00:1::", id="6to4 of loopback"),
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal("https://hooks.example.com/", [address]) == "webhook_url_private"
    # one bad address among good ones is enough: the client may connect to any of them
    assert refusal("https://hooks.example.com/", [PUBLIC_V4, address, PUBLIC_V6]) == "webhook_url_private"


def test_the_message_names_the_address_and_why() -> None:
    with pytest.raises(MalformedRequest, match=r"169\.254\.169\.254, a link-local address .*metadata"):
        check_webhook_url("https://hooks.example.com/", ["169.254.169.254"], allow_loopback=False)
    with pytest.raises(MalformedRequest, match=r"IPv6 form of 127\.0\.0\.1, a loopback"):
        check_webhook_url("https://hooks.example.com/", ["::ffff:127.0.0.1"], allow_loopback=True)


@pytest.mark.parametrize(
    ("url", "resolved", "code"),
    [
        pytest.param("http://hooks.example.com/", [PUBLIC_V4], "webhook_url_not_https", id="http"),
        pytest.param("ftp://hooks.example.com/", [PUBLIC_V4], "webhook_url_not_https", id="ftp"),
        pytest.param("javascript:alert(1)", [PUBLIC_V4], "webhook_url_not_https", id="javascript"),
        pytest.param("hooks.example.com/x", [PUBLIC_V4], "webhook_url_not_https", id="no scheme"),
        pytest.param("https:///x", [PUBLIC_V4], "invalid_webhook_url", id="no host"),
        pytest.param("", [PUBLIC_V4], "invalid_webhook_url", id="empty"),
        pytest.param("https://" + "a" * 2050 + ".com/", [PUBLIC_V4], "invalid_webhook_url", id="too long"),
        pytest.param("https://user:pw@hooks.example.com/", [PUBLIC_V4], "invalid_webhook_url", id="userinfo"),
        pytest.param("https://user@hooks.example.com/", [PUBLIC_V4], "invalid_webhook_url", id="user only"),
        pytest.param("https://hooks.example.com\\@evil.com/", [PUBLIC_V4], "invalid_webhook_url", id="backslash-at"),
        pytest.param("https://hooks.example.com:0/", [PUBLIC_V4], "invalid_webhook_url", id="port 0"),
        pytest.param("https://hooks.example.com:99999/", [PUBLIC_V4], "invalid_webhook_url", id="port too big"),
        pytest.param("https://hooks.example.com:/", [PUBLIC_V4], "invalid_webhook_url", id="empty port"),
        pytest.param("https://hooks.example.com:80a/", [PUBLIC_V4], "invalid_webhook_url", id="port not a number"),
        pytest.param("https://[::1/", ["::1"], "invalid_webhook_url", id="unclosed bracket"),
        pytest.param("https://[not-v6]/", [PUBLIC_V6], "invalid_webhook_url", id="bracketed non-IPv6"),
        pytest.param("https://hooks.exa mple.com/", [PUBLIC_V4], "invalid_webhook_url", id="space"),
        pytest.param("https://hooks.example.com/\n", [PUBLIC_V4], "invalid_webhook_url", id="newline"),
        pytest.param("https://hoo\tks.example.com/", [PUBLIC_V4], "invalid_webhook_url", id="tab urlsplit drops"),
        pytest.param("https://bücher.example/", [PUBLIC_V4], "invalid_webhook_url", id="non-ASCII host"),
        pytest.param("https://-bad.example.com/", [PUBLIC_V4], "invalid_webhook_url", id="label starts with -"),
        pytest.param("https://a..b.com/", [PUBLIC_V4], "invalid_webhook_url", id="empty label"),
        pytest.param("https://intranet/", [PUBLIC_V4], "invalid_webhook_url", id="single label"),
        pytest.param("http://2130706433/", ["127.0.0.1"], "invalid_webhook_url", id="decimal IPv4"),
        pytest.param("https://0x7f.0.0.1/", ["127.0.0.1"], "invalid_webhook_url", id="hex IPv4"),
        pytest.param("https://0177.0.0.1/", ["127.0.0.1"], "invalid_webhook_url", id="octal IPv4"),
        pytest.param("https://127.1/", ["127.0.0.1"], "invalid_webhook_url", id="short IPv4"),
        pytest.param("https://1.2.3.04/", [PUBLIC_V4], "invalid_webhook_url", id="leading zero"),
        pytest.param("https://hooks.example.com/", [], "webhook_host_unresolvable", id="nothing resolved"),
        pytest.param("https://hooks.example.com/", ["not-an-ip"], "invalid_webhook_url", id="adapter bug"),
        pytest.param("https://10.1.2.3/", [], "webhook_url_private", id="private literal, nothing resolved"),
        pytest.param("https://[fe80::1]/", [], "webhook_url_private", id="link-local v6 literal"),
        pytest.param("https://169.254.169.254/latest/meta-data/", [PUBLIC_V4], "webhook_url_private", id="metadata"),
        pytest.param("https://localhost/", [PUBLIC_V4], "webhook_url_private", id="localhost name"),
        pytest.param("https://api.localhost/", [PUBLIC_V4], "webhook_url_private", id="*.localhost"),
    ],
)
def test_refused_urls(url: str, resolved: list[str], code: str) -> None:
    assert refusal(url, resolved) == code


@pytest.mark.parametrize(
    ("url", "resolved", "code"),
    [
        pytest.param("http://localhost:8080/hook", ["127.0.0.1", "::1"], None, id="http to localhost"),
        pytest.param("http://127.0.0.1:9000/", ["127.0.0.1"], None, id="http to a loopback literal"),
        pytest.param("http://[::1]:9000/", ["::1"], None, id="http to ::1"),
        pytest.param("https://localhost/", ["127.0.0.1"], None, id="https to localhost"),
        pytest.param("https://hooks.example.com/", [PUBLIC_V4], None, id="public still fine"),
        pytest.param("https://dev.example.com/", ["127.0.0.1"], None, id="a name that resolves to loopback"),
        pytest.param("http://hooks.example.com/", [PUBLIC_V4], "webhook_url_not_https", id="http to public"),
        pytest.param("http://mixed.example.com/", ["127.0.0.1", PUBLIC_V4], "webhook_url_not_https", id="http mixed"),
        pytest.param("https://hooks.example.com/", ["10.0.0.1"], "webhook_url_private", id="private still refused"),
        pytest.param("https://hooks.example.com/", ["169.254.169.254"], "webhook_url_private", id="metadata refused"),
        pytest.param("http://[::ffff:127.0.0.1]/", ["::ffff:127.0.0.1"], "webhook_url_private", id="mapped loopback"),
        pytest.param("http://2130706433/", ["127.0.0.1"], "invalid_webhook_url", id="decimal IPv4 even locally"),
    ],
)
def test_local_mode_allows_loopback_only(url: str, resolved: list[str], code: str | None) -> None:
    assert refusal(url, resolved, allow_loopback=True) == code


def test_loopback_needs_local_mode() -> None:
    assert refusal("https://dev.example.com/", ["127.0.0.1"]) == "webhook_url_private"
    assert refusal("http://localhost:8080/", ["127.0.0.1"]) == "webhook_url_private"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        pytest.param("https://Hooks.Example.com:8443/x", "hooks.example.com", id="lower case, no port"),
        pytest.param("https://hooks.example.com./x", "hooks.example.com", id="no trailing dot"),
        pytest.param("https://[2001:DB8::1]:443/", "2001:db8::1", id="IPv6 without brackets"),
        pytest.param("http://localhost:8080/", "localhost", id="localhost (the policy decides later)"),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


@pytest.mark.parametrize(
    "url", ["https:///x", "not a url", "https://[::1/", "ftp://example.com/", "http://2130706433/", "https://a..b/"]
)
def test_host_of_refuses_what_need_not_be_resolved(url: str) -> None:
    with pytest.raises(MalformedRequest, match=r"invalid_webhook_url|webhook_url_not_https"):
        host_of(url)
