"""Transport to outside agencies: pending packages are POSTed to TINHSO_EDXML_SEND_URL (a
local HTTP server stands in for the LGSP) and marked sent; a failing endpoint keeps them
pending with the error; ``export-edxml --pending`` writes them as files instead."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command

from tests.correspondence.conftest import chain_to_issued
from tinhso.correspondence import edxml, exchange
from tinhso.correspondence.models import ExchangeMessage
from tinhso.correspondence.transport import send_pending_messages

pytestmark = pytest.mark.django_db


class Sink(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []
    status = 202

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Sink.received.append((self.headers["X-EdXML-To"], body))
        self.send_response(Sink.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def lgsp():
    server = HTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Sink.received, Sink.status = [], 202
    yield f"http://127.0.0.1:{server.server_port}/edxml"
    server.shutdown()


def test_pending_packages_go_to_the_lgsp_and_are_marked_sent(sides, lgsp, settings):
    a, _ = sides
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc,
                              external=[("000.00.00.G12", "Bộ Tư pháp")])
    settings.TINHSO_EDXML_SEND_URL = lgsp
    Sink.status = 503
    assert send_pending_messages() == 0
    assert ExchangeMessage.objects.get(direction="out").send_error == "HTTP 503"
    Sink.status = 202
    assert send_pending_messages() == 1
    assert send_pending_messages() == 0
    to, body = Sink.received[-1]
    assert to == "000.00.00.G12"
    assert edxml.parse_package(body, trust=exchange.trust).notation == doc.notation


def test_pending_messages_exported_as_files(sides, tmp_path):
    a, _ = sides
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc,
                              external=[("000.00.00.G12", "Bộ Tư pháp")])
    call_command("documents", "export-edxml", "--agency", a.agency.code, "--pending",
                 str(tmp_path / "out"))
    files = list((tmp_path / "out").iterdir())
    assert len(files) == 1 and b"edXMLEnvelope" in files[0].read_bytes()
    assert not ExchangeMessage.objects.filter(sent_at__isnull=True).exists()
