"""edXML packages carry a W3C XML-DSig enveloped signature (exclusive C14N, SHA-256,
ECDSA/RSA, the signer's certificate in X509Data). An independent implementation (signxml)
accepts what we sign; a removed signature, a swapped certificate, a second (wrapped)
signature, weaker algorithms and changed content are refused with stable codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from tests.correspondence.conftest import chain_to_issued
from tinhso.core.errors import DomainError
from tinhso.correspondence import edxml, exchange, xmldsig

pytestmark = pytest.mark.django_db
DS = {"ds": xmldsig.DS}


def _self_signed(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Thử nghiệm")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _package(attachments=()):
    return edxml.Package(
        sender=edxml.Organ("000.00.00.H10", "UBND tỉnh"),
        recipients=[edxml.Organ("000.00.12.H10", "Sở Tư pháp")], document_id="d-1",
        code_number="5", code_notation="QĐ-UBND", place="Đồng Xoài",
        promulgation_date=dt.date(2026, 12, 1), type_code="QĐ", type_name="Quyết định",
        subject="Về việc thử chữ ký", attachments=list(attachments))


def _code(data, **kw):
    with pytest.raises(DomainError) as err:
        edxml.parse_package(data, **kw)
    return err.value.code


@pytest.mark.parametrize("make_key", [lambda: ec.generate_private_key(ec.SECP256R1()),
                                      lambda: ec.generate_private_key(ec.SECP384R1()),
                                      lambda: rsa.generate_private_key(65537, 2048)])
def test_an_independent_verifier_accepts_our_signature(make_key):
    from signxml import XMLVerifier

    key = make_key()
    pem = _self_signed(key)
    data = edxml.build_package(_package(), edxml.SigningKey(key, pem))
    root = etree.fromstring(data)
    sig = root.find(".//ds:Signature", DS)
    assert sig.getparent().tag == edxml.q("edXMLHeader") and sig.getparent()[-1] is sig
    assert [t.get("Algorithm") for t in sig.iterfind(".//ds:Transform", DS)] == [
        xmldsig.ENVELOPED, xmldsig.EXC_C14N]
    result = XMLVerifier().verify(data, x509_cert=pem)
    assert result.signed_xml.find(f".//{edxml.q('Subject')}").text == "Về việc thử chữ ký"
    assert edxml.parse_package(data).subject == "Về việc thử chữ ký"
    # Any change anywhere in the package fails the independent verifier too.
    with pytest.raises(Exception):  # noqa: B017 - signxml's own InvalidSignature family
        XMLVerifier().verify(data.replace("thử".encode(), "xóa".encode()), x509_cert=pem)


def test_attachments_have_their_own_references_and_the_whole_package_is_covered():
    key = ec.generate_private_key(ec.SECP256R1())
    pkg = _package([edxml.Attachment("a.pdf", b"%PDF-1.7 a"), edxml.Attachment("b.pdf", b"b")])
    data = edxml.build_package(pkg, edxml.SigningKey(key, _self_signed(key)))
    refs = etree.fromstring(data).findall(".//ds:Reference", DS)
    assert [r.get("URI") for r in refs] == ["cid:1", "cid:2", ""]
    parsed = edxml.parse_package(data)
    assert [a.content for a in parsed.attachments] == [b"%PDF-1.7 a", b"b"]
    # The trace header is inside the signature as well.
    stamp = re.search(rb"<edXML:Timestamp>([^<]+)</edXML:Timestamp>", data).group(1)
    assert _code(data.replace(stamp, b"2020-01-01T00:00:00+00:00")) == "EDXML_SIGNATURE_INVALID"


def _mutate(data, change):
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def test_removed_swapped_wrapped_or_weakened_signatures_are_refused():
    key = ec.generate_private_key(ec.SECP256R1())
    data = edxml.build_package(_package([edxml.Attachment("a.pdf", b"%PDF a")]),
                               edxml.SigningKey(key, _self_signed(key)))

    def remove(root):
        sig = root.find(".//ds:Signature", DS)
        sig.getparent().remove(sig)
    assert _code(_mutate(data, remove)) == "EDXML_UNSIGNED"

    # Another valid certificate put in place of the signer's: the value no longer verifies.
    other = ec.generate_private_key(ec.SECP256R1())
    other_der = x509.load_pem_x509_certificate(_self_signed(other).encode()).public_bytes(
        serialization.Encoding.DER)

    def swap(root):
        import base64
        root.find(".//ds:X509Certificate", DS).text = base64.b64encode(other_der).decode()
    assert _code(_mutate(data, swap)) == "EDXML_SIGNATURE_INVALID"

    def wrap(root):  # a second copy of the signature elsewhere: refused, not guessed at
        import copy
        root.find(edxml.q("edXMLBody")).append(copy.deepcopy(root.find(".//ds:Signature", DS)))
    assert _code(_mutate(data, wrap)) == "EDXML_SIGNATURE_INVALID"

    def sha1(root):
        root.find(".//ds:DigestMethod", DS).set("Algorithm",
                                                  "http://www.w3.org/2000/09/xmldsig#sha1")
    assert _code(_mutate(data, sha1)) == "EDXML_SIGNATURE_INVALID"

    def inclusive(root):
        root.find(".//ds:CanonicalizationMethod", DS).set(
            "Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    assert _code(_mutate(data, inclusive)) == "EDXML_SIGNATURE_INVALID"

    def drop_attachment_ref(root):
        ref = root.find(".//ds:Reference", DS)
        ref.getparent().remove(ref)
    assert _code(_mutate(data, drop_attachment_ref)) == "EDXML_SIGNATURE_INVALID"

    def change_attachment(root):
        import base64
        root.find(f".//{edxml.q('Value')}").text = base64.b64encode(b"%PDF b").decode()
    assert _code(_mutate(data, change_attachment)) == "EDXML_ATTACHMENT_MISMATCH"
    # Re-serialising with lxml changes nothing that C14N sees: still valid.
    assert edxml.parse_package(_mutate(data, lambda root: None)).subject


def test_an_agency_package_verifies_with_the_province_chain_and_status_messages_too(sides):
    a, b = sides
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc, agency_codes=[b.agency.code])
    data = exchange.export_package(doc)
    assert b"http://www.w3.org/2000/09/xmldsig#" in data
    pkg = edxml.parse_package(data, trust=exchange.trust)
    assert pkg.notation == doc.notation
    # The agency's certificate revoked at the province CA: refused as untrusted.
    from tinhso.documents.services import agency_certificate
    from tinhso.signatures.models import Certificate, CertificateStatus

    cert = agency_certificate(a.agency)
    Certificate.objects.filter(pk=cert.pk).update(status=CertificateStatus.REVOKED)
    assert _code(data, trust=exchange.trust) == "EDXML_UNTRUSTED"
