"""Requests to URLs that users register (EPCIS subscriptions, webhooks): the SSRF guard.

Two checks, because a name can change between them (DNS rebinding):

* ``check_url`` when the URL is registered: http(s) only, no userinfo, an allowed port, no odd
  IPv4 spellings (``2130706433``, ``0x7f.1``, ``0177.0.0.1``), and neither the literal address
  nor any address the name resolves to may be internal (loopback, RFC 1918, RFC 4193,
  link-local, CGNAT, multicast, unspecified, reserved, documentation, and the IPv4 forms hidden
  in IPv6: mapped, 6to4, Teredo, NAT64). A name that does not resolve now is accepted: nothing
  is contacted, and delivery checks again.
* ``client()`` for delivery: an httpx client whose network backend resolves the host **once**,
  refuses the connection if any resolved address is internal, and connects to the checked
  address itself (TLS still verifies the certificate against the name). Redirects are not
  followed, proxies from the environment are ignored (a proxy would resolve the name itself).

``TINHSO_OUTBOUND_ALLOW`` (CIDRs) lets an installation permit internal receivers explicitly;
``TINHSO_OUTBOUND_PORTS`` lists the allowed ports (``*``: any). Production default: nothing
internal, ports 80, 443, 8080, 8443.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

from tinhso.core.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use
# The last label of a host name is never all digits or hex: such a host is an IPv4 address in a
# spelling that resolvers accept (inet_aton) and that hides 127.0.0.1 from a naive check.
_NUMERIC_LABEL = re.compile(r"(?i)(0x[0-9a-f]*|[0-9]+)")

_MESSAGES: dict[str, tuple[str, str]] = {
    "OUTBOUND_BAD_URL": ("Địa chỉ nhận phải là URL http(s) hợp lệ.",
                         "The receiver URL must be a valid http(s) URL."),
    "OUTBOUND_USERINFO": ("Địa chỉ nhận không được chứa tên đăng nhập hoặc mật khẩu "
                          "(phần trước @).",
                          "The receiver URL must not contain a user name or password "
                          "(the part before @)."),
    "OUTBOUND_PORT_NOT_ALLOWED": ("Cổng của địa chỉ nhận không được phép.",
                                  "The receiver URL's port is not allowed."),
    "OUTBOUND_ODD_ADDRESS": ("Địa chỉ IP phải viết ở dạng chuẩn (ví dụ 203.0.113.5).",
                             "An IP address must be written in its standard form "
                             "(e.g. 203.0.113.5)."),
    "OUTBOUND_FORBIDDEN_ADDRESS": ("Địa chỉ nhận trỏ vào mạng nội bộ hoặc địa chỉ dành riêng; "
                                   "hệ thống không gửi tới đó.",
                                   "The receiver URL points to an internal or reserved address; "
                                   "the platform does not send there."),
    "OUTBOUND_UNRESOLVABLE": ("Không phân giải được tên miền của địa chỉ nhận.",
                              "The receiver's host name does not resolve."),
}


class OutboundRefused(ValidationFailed):
    """A URL or address the platform will not send to (stable ``code``, vi + en message)."""

    def __init__(self, code: str, details: dict[str, Any] | None = None) -> None:
        vi, en = _MESSAGES[code]
        super().__init__(code, vi, en, details or {})

    def __str__(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(self.details.items()))
        return f"{self.code}: {self.message_en}" + (f" ({extra})" if extra else "")


class OutboundBlocked(httpx.ConnectError):
    """Raised from the network backend at delivery: callers already catch ``httpx.HTTPError``
    and record ``str(exc)``, which starts with the refusal's code."""

    def __init__(self, refusal: OutboundRefused) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


# --- settings ------------------------------------------------------------------------------------


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    raw = getattr(settings, "TINHSO_OUTBOUND_ALLOW", []) or []
    return [ipaddress.ip_network(n, strict=False) for n in raw]


def allowed_ports() -> set[int] | None:
    """None: any port."""
    raw = [str(p) for p in getattr(settings, "TINHSO_OUTBOUND_PORTS", ["80", "443", "8080",
                                                                        "8443"])]
    return None if "*" in raw else {int(p) for p in raw}


# --- addresses -----------------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo client, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is internal (``"loopback"``, ``"private"``, …), or None when it is a public
    unicast address. Ignores the allow-list."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "scoped"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            kind = address_kind(inner)
            if kind is not None:
                return f"embedded-{kind}"
    for kind, hit in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                      ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                      ("shared", isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED),
                      ("private", ip.is_private), ("reserved", ip.is_reserved),
                      ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
                      ("not-global", not ip.is_global)):
        if hit:
            return kind
    return None


def check_address(ip: IPAddress, *, host: str = "") -> None:
    """Raise ``OutboundRefused`` unless ``ip`` is public or inside ``TINHSO_OUTBOUND_ALLOW``."""
    if any(ip.version == n.version and ip in n for n in allowed_networks()):
        return
    kind = address_kind(ip)
    if kind is not None:
        details = {"address": str(ip), "kind": kind}
        if host:
            details["host"] = host
        raise OutboundRefused("OUTBOUND_FORBIDDEN_ADDRESS", details)


def check_port(port: int) -> None:
    ports = allowed_ports()
    if ports is not None and port not in ports:
        raise OutboundRefused("OUTBOUND_PORT_NOT_ALLOWED", {"port": port,
                                                            "allowed": sorted(ports)})


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _checked_addresses(host: str, port: int) -> list[IPAddress]:
    """Resolve once and check every address (one internal answer refuses the lot: a resolver
    may rotate its answers between calls)."""
    literal = _literal(host)
    if literal is not None:
        check_address(literal)
        return [literal]
    try:
        addresses = [ipaddress.ip_address(a) for a in resolve(host, port)]
    except (OSError, UnicodeError, ValueError) as exc:
        raise OutboundRefused("OUTBOUND_UNRESOLVABLE", {"host": host}) from exc
    if not addresses:
        raise OutboundRefused("OUTBOUND_UNRESOLVABLE", {"host": host})
    for ip in addresses:
        check_address(ip, host=host)
    return addresses


# --- registration --------------------------------------------------------------------------------


def check_url(url: str, *, max_length: int = 500) -> None:
    """Registration-time check of a receiver URL; raises ``OutboundRefused`` (422)."""
    if not isinstance(url, str) or not url or len(url) > max_length or any(
            c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        raise OutboundRefused("OUTBOUND_BAD_URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundRefused("OUTBOUND_BAD_URL") from None
    name = (parts.hostname or "").rstrip(".")
    if _literal(name) is None and _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]):
        raise OutboundRefused("OUTBOUND_ODD_ADDRESS", {"host": parts.hostname})
    try:
        sent = httpx.URL(url)  # what the sender will parse: the two must agree on the host
    except httpx.InvalidURL:
        raise OutboundRefused("OUTBOUND_BAD_URL") from None
    if parts.scheme not in DEFAULT_PORTS or sent.scheme != parts.scheme or not parts.hostname:
        raise OutboundRefused("OUTBOUND_BAD_URL")
    if "@" in parts.netloc or sent.userinfo:
        raise OutboundRefused("OUTBOUND_USERINFO")
    host = sent.host
    if "%" in parts.netloc.rsplit("@", 1)[-1] or "%" in host:
        raise OutboundRefused("OUTBOUND_ODD_ADDRESS", {"host": parts.hostname})
    if parts.hostname.isascii() and host != parts.hostname.rstrip(".").lower() and \
            host != parts.hostname.lower():
        raise OutboundRefused("OUTBOUND_BAD_URL")
    port = port or DEFAULT_PORTS[parts.scheme]
    check_port(port)
    try:
        _checked_addresses(host, port)
    except OutboundRefused as refused:
        if refused.code != "OUTBOUND_UNRESOLVABLE":
            raise


# --- delivery ------------------------------------------------------------------------------------


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, connecting only to addresses it has just checked."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            check_port(port)
            addresses = _checked_addresses(host, port)
        except OutboundRefused as refused:
            raise OutboundBlocked(refused) from None
        error: Exception | None = None
        for ip in addresses:  # connect to the checked address, never to the name again
            try:
                return self._inner.connect_tcp(str(ip), port, timeout=timeout,
                                               local_address=local_address,
                                               socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        raise OutboundBlocked(OutboundRefused("OUTBOUND_BAD_URL", {"unix_socket": path}))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying context per process (building one loads the CA bundle: ~40 ms here);
    contexts are safe to share between connections and threads."""
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self, *, limits: httpx.Limits = httpx.Limits()) -> None:  # noqa: B008
        super().__init__(verify=_ssl_context(), trust_env=False, limits=limits)
        # The same pool httpx builds, with the guarded backend (no proxy, no retries).
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=GuardedBackend())


def client(*, timeout: float) -> httpx.Client:
    """An httpx client for user-registered URLs (see the module docstring)."""
    return httpx.Client(transport=GuardedTransport(), timeout=timeout, follow_redirects=False,
                        trust_env=False)
