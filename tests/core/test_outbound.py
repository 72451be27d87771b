"""The guard of requests to user-registered URLs (SSRF): registration refusals, the allow-list,
and delivery that resolves once, checks every address and connects to the checked one."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tinhso.core import outbound

PUBLIC = "14.225.10.20"  # a public unicast address (no internet here: never contacted)


def fake_resolver(table: dict[str, list[list[str]] | list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver answering from ``table``; a list of lists gives successive answers (the
    last one repeats), as a rebinding name server would."""
    calls: dict[str, int] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = table[host]
        n = calls.get(host, 0)
        calls[host] = n + 1
        if answers and isinstance(answers[0], list):
            return list(answers[min(n, len(answers) - 1)])
        return list(answers)  # type: ignore[arg-type]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.fixture
def production_defaults(settings: Any) -> None:
    settings.TINHSO_OUTBOUND_ALLOW = []
    settings.TINHSO_OUTBOUND_PORTS = ["80", "443", "8080", "8443"]


REFUSED = [
    # internal IP literals
    ("http://127.0.0.1/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://127.8.9.10/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://169.254.169.254/latest/meta-data/", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://10.0.0.5/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://172.16.3.4/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://192.168.1.1/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://100.64.1.1/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://0.0.0.0/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://224.0.0.1/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://240.0.0.1/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://255.255.255.255/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://192.0.2.7/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[::1]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[::]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[fd00::1]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[fe80::1]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[ff02::1]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[::ffff:127.0.0.1]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[::ffff:a9fe:a9fe]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[2002:7f00:1::]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[64:ff9b::a00:1]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    # names resolving inside
    ("http://localhost/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("https://metadata.example.vn/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("https://half.example.vn/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),  # one public, one private
    # odd IPv4 spellings that resolvers turn into 127.0.0.1
    ("http://2130706433/cb", "OUTBOUND_ODD_ADDRESS"),
    ("http://0x7f000001/cb", "OUTBOUND_ODD_ADDRESS"),
    ("http://0177.0.0.1/cb", "OUTBOUND_ODD_ADDRESS"),
    ("http://0x7f.0.0.1/cb", "OUTBOUND_ODD_ADDRESS"),
    ("http://127.1/cb", "OUTBOUND_ODD_ADDRESS"),
    ("http://0/cb", "OUTBOUND_ODD_ADDRESS"),
    ("http://[fe80::1%25eth0]/cb", "OUTBOUND_ODD_ADDRESS"),
    # userinfo tricks and parser differentials
    ("http://user:pw@receiver.example.vn/cb", "OUTBOUND_USERINFO"),
    ("http://receiver.example.vn@127.0.0.1/cb", "OUTBOUND_USERINFO"),
    ("http://receiver.example.vn:443@127.0.0.1/cb", "OUTBOUND_USERINFO"),
    ("http://127.0.0.1\\@receiver.example.vn/cb", "OUTBOUND_BAD_URL"),
    # ports
    ("http://receiver.example.vn:22/cb", "OUTBOUND_PORT_NOT_ALLOWED"),
    ("http://receiver.example.vn:5432/cb", "OUTBOUND_PORT_NOT_ALLOWED"),
    ("https://receiver.example.vn:6379/cb", "OUTBOUND_PORT_NOT_ALLOWED"),
    # schemes and junk
    ("ftp://receiver.example.vn/cb", "OUTBOUND_BAD_URL"),
    ("file:///etc/passwd", "OUTBOUND_BAD_URL"),
    ("gopher://receiver.example.vn/_x", "OUTBOUND_BAD_URL"),
    ("http:///cb", "OUTBOUND_BAD_URL"),
    ("http://receiver.example.vn:99999/cb", "OUTBOUND_BAD_URL"),
    ("http://receiver.example.vn/a b", "OUTBOUND_BAD_URL"),
]

NAMES = {"localhost": ["127.0.0.1", "::1"], "metadata.example.vn": ["169.254.169.254"],
         "half.example.vn": [PUBLIC, "10.1.2.3"], "receiver.example.vn": [PUBLIC]}


@pytest.mark.parametrize(("url", "code"), REFUSED)
def test_registration_refuses(url: str, code: str, production_defaults: None,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "resolve", fake_resolver(NAMES))
    with pytest.raises(outbound.OutboundRefused) as caught:
        outbound.check_url(url)
    assert caught.value.code == code
    assert caught.value.message_vi and caught.value.message_en
    assert caught.value.status == 422


@pytest.mark.parametrize("url", [
    "https://receiver.example.vn/epcis/cb?x=1",
    "http://receiver.example.vn:8080/cb",
    "https://RECEIVER.example.vn./cb",
    f"https://{PUBLIC}/cb",
    "https://[2001:4860:4860::8888]/cb",
])
def test_registration_accepts_public_receivers(url: str, production_defaults: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "resolve", fake_resolver(
        {**NAMES, "receiver.example.vn.": [PUBLIC]}))
    outbound.check_url(url)


def test_a_name_that_does_not_resolve_yet_is_accepted(production_defaults: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is contacted at registration; delivery resolves and checks again."""
    monkeypatch.setattr(outbound, "resolve", fake_resolver({}))
    outbound.check_url("https://not-yet.example.vn/cb")


def test_the_allow_list_permits_internal_networks_explicitly(
        settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.TINHSO_OUTBOUND_ALLOW = ["10.1.0.0/16", "fd00:1::/32"]
    settings.TINHSO_OUTBOUND_PORTS = ["443", "9000"]
    monkeypatch.setattr(outbound, "resolve", fake_resolver({"so-nnptnt.internal": ["10.1.4.5"]}))
    outbound.check_url("https://10.1.2.3/cb")
    outbound.check_url("http://[fd00:1::5]:9000/cb")
    outbound.check_url("https://so-nnptnt.internal/cb")
    for url in ("https://10.2.0.1/cb", "https://127.0.0.1/cb", "https://10.1.2.3:22/cb"):
        with pytest.raises(outbound.OutboundRefused):
            outbound.check_url(url)
    settings.TINHSO_OUTBOUND_PORTS = ["*"]
    outbound.check_url("https://10.1.2.3:22/cb")


# --- delivery ------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).hits.append(self.headers.get("host", ""))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[tuple[int, list[str]]]:
    hits: list[str] = []
    handler = type("H", (_Handler,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def test_rebinding_is_refused_at_delivery(production_defaults: None, settings: Any,
                                          monkeypatch: pytest.MonkeyPatch,
                                          local_server: tuple[int, list[str]]) -> None:
    """The name answers a public address at registration, then 127.0.0.1: nothing is sent."""
    port, hits = local_server
    settings.TINHSO_OUTBOUND_PORTS = ["*"]
    resolver = fake_resolver({"rebind.example.vn": [[PUBLIC], ["127.0.0.1"]]})
    monkeypatch.setattr(outbound, "resolve", resolver)
    url = f"http://rebind.example.vn:{port}/cb"
    outbound.check_url(url)  # accepted: public
    with outbound.client(timeout=5) as http, pytest.raises(outbound.OutboundBlocked) as caught:
        http.post(url, content=b"{}")
    assert caught.value.refusal.code == "OUTBOUND_FORBIDDEN_ADDRESS"
    assert str(caught.value).startswith("OUTBOUND_FORBIDDEN_ADDRESS")
    assert isinstance(caught.value, httpx.HTTPError)  # callers record it as a failed attempt
    assert hits == []


def test_every_resolved_address_is_checked_at_delivery(
        production_defaults: None, settings: Any, monkeypatch: pytest.MonkeyPatch,
        local_server: tuple[int, list[str]]) -> None:
    port, hits = local_server
    settings.TINHSO_OUTBOUND_PORTS = ["*"]
    monkeypatch.setattr(outbound, "resolve", fake_resolver(
        {"mixed.example.vn": ["127.0.0.1", PUBLIC]}))
    with outbound.client(timeout=5) as http, pytest.raises(outbound.OutboundBlocked):
        http.post(f"http://mixed.example.vn:{port}/cb", content=b"{}")
    assert hits == []


def test_delivery_connects_to_the_address_it_checked(
        settings: Any, monkeypatch: pytest.MonkeyPatch,
        local_server: tuple[int, list[str]]) -> None:
    """One resolution per connection, and the socket goes to that address: the name itself
    (unknown to the system resolver) is never resolved again."""
    port, hits = local_server
    settings.TINHSO_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    settings.TINHSO_OUTBOUND_PORTS = ["*"]
    resolver = fake_resolver({"receiver.invalid": ["127.0.0.1"]})
    monkeypatch.setattr(outbound, "resolve", resolver)
    with outbound.client(timeout=5) as http:
        response = http.post(f"http://receiver.invalid:{port}/cb", content=b"{}")
    assert response.status_code == 204
    assert hits == [f"receiver.invalid:{port}"]  # the Host header keeps the name
    assert resolver.calls == {"receiver.invalid": 1}  # type: ignore[attr-defined]


def test_delivery_refuses_a_port_and_redirects_are_not_followed(
        production_defaults: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "resolve", fake_resolver({"receiver.example.vn": [PUBLIC]}))
    with outbound.client(timeout=5) as http:
        assert http.follow_redirects is False and http.trust_env is False
        with pytest.raises(outbound.OutboundBlocked) as caught:
            http.post("http://receiver.example.vn:25/cb", content=b"{}")
    assert caught.value.refusal.code == "OUTBOUND_PORT_NOT_ALLOWED"


def test_internal_literal_refused_at_delivery(production_defaults: None) -> None:
    """Rows registered before the guard existed are checked too."""
    with outbound.client(timeout=5) as http, pytest.raises(outbound.OutboundBlocked) as caught:
        http.post("http://169.254.169.254/latest/meta-data/", content=b"{}")
    assert caught.value.refusal.details["kind"] == "link-local"
