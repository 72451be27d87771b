"""edXML exchange: release registers the document in the recipient's incoming register with
the same number, notation, subject, identical attachments and valid signatures; status messages
update the sender's register per recipient; a package exported to a file and imported (twice)
registers once; tampered, malformed or hostile packages are refused with a code."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from django.core.management import call_command

from tests.correspondence.conftest import chain_to_issued, make_side
from tinhso.core.errors import DomainError
from tinhso.correspondence import edxml, exchange
from tinhso.correspondence import services_in as inc
from tinhso.correspondence.models import (
    ExchangeMessage,
    IncomingDocument,
    InState,
    OutgoingRecipient,
    OutState,
)
from tinhso.signatures.verify import verify_pdf

pytestmark = pytest.mark.django_db


def _status(doc, code):
    return OutgoingRecipient.objects.get(document=doc, code=code).status


def test_release_to_an_agency_here_registers_it_with_identical_files(sides):
    a, b = sides
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc, agency_codes=[b.agency.code],
                              external=[("000.00.00.G12", "Bộ Tư pháp")])
    doc.refresh_from_db()
    assert doc.state == OutState.RELEASED
    got = IncomingDocument.objects.get(agency=b.agency)
    assert (got.number, got.notation, got.subject, got.source) == (
        "01", "01/QĐ-UBND", doc.subject, "exchange")
    assert got.incoming_number == 1 and got.sender_code == a.agency.code
    file = got.files.get()
    assert file.sha256 == doc.pdf_sha256
    from tinhso.core import blobs

    content = blobs.path_of(file.file.name).read_bytes()
    assert hashlib.sha256(content).hexdigest() == doc.pdf_sha256
    report = verify_pdf(content)
    assert report.valid and len(report.signatures) == 2
    # B's "received" came back; the outside ministry waits for transport.
    assert _status(doc, b.agency.code) == "received"
    assert _status(doc, "000.00.00.G12") == "sent"
    assert ExchangeMessage.objects.filter(agency=a.agency, direction="out",
                                          sent_at__isnull=True).exists()


def test_handling_steps_travel_back_to_the_senders_register(sides):
    a, b = sides
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc, agency_codes=[b.agency.code])
    got = IncomingDocument.objects.get(agency=b.agency)
    inc.incoming_assign(acting_user=b.leader, incoming=got, unit=b.unit, handler=b.specialist,
                        working_days=5)
    assert _status(doc, b.agency.code) == "assigned"
    inc.incoming_note(acting_user=b.specialist, incoming=got, note="Đang dự thảo báo cáo.")
    assert _status(doc, b.agency.code) == "processing"
    inc.incoming_complete(acting_user=b.specialist, incoming=got, note="Đã báo cáo.")
    assert _status(doc, b.agency.code) == "completed"


def test_withdrawal_reaches_the_recipient(sides):
    a, b = sides
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc, agency_codes=[b.agency.code])
    exchange.outgoing_withdraw(acting_user=a.clerk, document=doc, reason="Ban hành nhầm.")
    assert IncomingDocument.objects.get(agency=b.agency).state == InState.WITHDRAWN
    assert _status(doc, b.agency.code) == "withdrawn"


def test_export_to_a_file_and_import_in_another_installation_registers_once(sides, tmp_path):
    a, _ = sides
    c = make_side("000.00.31.H10", "Sở Nội vụ tỉnh Bình Phước", "SNV", "VP",
                  kind="department")
    doc = chain_to_issued(a)
    # C is "another installation": released to it as an outside agency, by its code.
    exchange.outgoing_release(acting_user=a.clerk, document=doc,
                              external=[(c.agency.code, c.agency.name)])
    assert not IncomingDocument.objects.filter(agency=c.agency).exists()
    path = tmp_path / "goi.xml"
    call_command("documents", "export-edxml", "--agency", a.agency.code, "--notation",
                 doc.notation, "-o", str(path))
    call_command("documents", "import-edxml", str(path), "--agency", c.agency.code)
    call_command("documents", "import-edxml", str(path), "--agency", c.agency.code)
    got = IncomingDocument.objects.get(agency=c.agency)
    assert got.notation == doc.notation and got.files.get().sha256 == doc.pdf_sha256
    assert _status(doc, c.agency.code) == "received"


def test_status_message_as_a_file_updates_the_register(sides):
    a, b = sides
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc,
                              external=[("000.00.00.G12", "Bộ Tư pháp")])
    # The ministry's system answers "completed", signed by an agency certificate we trust
    # (here: B's, standing in for the ministry's, with the ministry's code).
    msg = edxml.StatusMessage(sender_code=a.agency.code, document_id=str(doc.uuid),
                              code=doc.notation, promulgation_date="",
                              from_organ=edxml.Organ("000.00.00.G12", "Bộ Tư pháp"),
                              status_code="06", description="Đã xử lý")
    data = edxml.build_status(msg, exchange.signing_key(b.agency))
    exchange.import_any(data=data)
    exchange.import_any(data=data)
    assert _status(doc, "000.00.00.G12") == "completed"


def _package(a, b):
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc, agency_codes=[b.agency.code])
    return exchange.export_package(doc)


def _code(data, agency=None):
    with pytest.raises(DomainError) as err:
        exchange.import_package(data=data, agency=agency)
    return err.value.code


def test_tampered_malformed_and_hostile_packages_are_refused(sides):
    a, b = sides
    data = _package(a, b)
    changed_subject = data.replace("triển khai".encode(), "hủy bỏ".encode(), 1)
    assert changed_subject != data
    assert _code(changed_subject) == "EDXML_SIGNATURE_INVALID"
    value = re.search(rb"<edXML:Value>([^<]+)</edXML:Value>", data).group(1)
    pdf = base64.b64decode(value)
    forged = base64.b64encode(pdf + b"\n%tampered").decode().encode()
    assert _code(data.replace(value, forged)) == "EDXML_ATTACHMENT_MISMATCH"
    assert _code(b"<edXML") == "EDXML_MALFORMED"
    assert _code(b"<root/>") == "EDXML_MALFORMED"
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<x>&e;</x>')
    assert _code(xxe) == "EDXML_FORBIDDEN_XML"
    c = make_side("000.00.32.H10", "Sở Y tế", "SYT", "VP", kind="department")
    assert _code(data, agency=c.agency) == "EDXML_NOT_ADDRESSED"


def test_a_package_from_an_untrusted_signer_is_refused(sides):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    a, b = sides
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kẻ mạo danh")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    pkg = edxml.Package(sender=edxml.Organ(a.agency.code, "UBND"),
                        recipients=[edxml.Organ(b.agency.code, "STP")], document_id="x-1",
                        code_number="9", code_notation="QĐ-UBND", place="Đồng Xoài",
                        promulgation_date=None, type_code="QĐ", type_name="Quyết định",
                        subject="Giả mạo")
    data = edxml.build_package(pkg, edxml.SigningKey(
        key, cert.public_bytes(serialization.Encoding.PEM).decode()))
    assert _code(data) == "EDXML_UNTRUSTED"
    assert edxml.parse_package(data).subject == "Giả mạo"  # well-formed and self-consistent
