"""edXML packages (QCVN 102:2016/BTTTT) and status messages: build, sign, parse, verify.

Envelope (namespace ``http://www.mic.gov.vn/TBT/QCVN_102_2016``, prefix ``edXML``)::

  edXMLEnvelope
    edXMLHeader
      MessageHeader  From, To*, DocumentId, Code{CodeNumber, CodeNotation},
                     PromulgationInfo{Place, PromulgationDate}, DocumentType{Type, TypeName},
                     Subject, Content, SignerInfo{Competence, Position, FullName}, DueDate,
                     ToPlaces{Place*}, OtherInfo{Priority, PageAmount}
        (a status message carries Status instead: ResponseFor{OrganId, Code,
         PromulgationDate, DocumentId}, From, StatusCode, Description, Timestamp, StaffInfo)
      TraceHeaderList  TraceHeader{OrganId, Timestamp}*
      ds:Signature     (XML-DSig, see below)
    edXMLBody
      Attachment*      ContentId, ContentType, AttachmentName, Description, Value (base64)

Signature: a W3C XML-DSig enveloped signature (``ds:Signature``, the last child of
``edXMLHeader``) over the whole package, made with the sending agency's organisation
certificate: exclusive C14N, SHA-256, ECDSA or RSA, the certificate in ``X509Data``
(``correspondence/xmldsig.py``). The certificate must chain to a CA this installation trusts
(its own, or an anchor imported with ``tinhso pki import-anchor``) and not be revoked here.
See docs/correspondence.md#the-package for what was confirmed against the standard.

Parsing uses defusedxml: a DTD, an entity or an external reference refuses the package.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import xml.etree.ElementTree as ET  # noqa: S405 - building only; parsing goes through defusedxml
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from tinhso.core.errors import ValidationFailed
from tinhso.correspondence import xmldsig

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
ET.register_namespace("edXML", NS)
MAX_PACKAGE_BYTES = 50 * 1024 * 1024


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


class EdxmlRefused(ValidationFailed):
    """A package refused with a stable code (EDXML_MALFORMED, EDXML_FORBIDDEN_XML,
    EDXML_SIGNATURE_INVALID, EDXML_UNTRUSTED, EDXML_ATTACHMENT_MISMATCH, EDXML_NOT_ADDRESSED)."""


def refuse(code: str, vi: str, en: str, **details: Any) -> EdxmlRefused:
    return EdxmlRefused(code, vi, en, details)


@dataclass
class Organ:
    code: str
    name: str


@dataclass
class Attachment:
    name: str
    content: bytes
    content_type: str = "application/pdf"
    description: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Package:
    sender: Organ
    recipients: list[Organ]
    document_id: str
    code_number: str
    code_notation: str
    place: str
    promulgation_date: dt.date | None
    type_code: str
    type_name: str
    subject: str
    content: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    signer_name: str = ""
    due_date: dt.date | None = None
    to_places: list[str] = field(default_factory=list)
    priority: int = 0
    attachments: list[Attachment] = field(default_factory=list)
    trace: list[tuple[str, str]] = field(default_factory=list)
    signer_certificate: str = ""  # PEM of the package signer, set when parsed

    @property
    def notation(self) -> str:
        return f"{self.code_number}/{self.code_notation}" if self.code_notation else \
            self.code_number


@dataclass
class StatusMessage:
    sender_code: str          # ResponseFor/OrganId: who sent the document
    document_id: str
    code: str                 # the document's notation
    promulgation_date: str
    from_organ: Organ         # who reports the status (the recipient)
    status_code: str
    description: str = ""
    timestamp: dt.datetime | None = None
    staff: str = ""
    department: str = ""
    signer_certificate: str = ""


def _text(parent: ET.Element, tag: str, value: Any) -> ET.Element:
    el = ET.SubElement(parent, q(tag))
    el.text = "" if value is None else str(value)
    return el


def _organ(parent: ET.Element, tag: str, organ: Organ) -> None:
    el = ET.SubElement(parent, q(tag))
    _text(el, "OrganId", organ.code)
    _text(el, "OrganName", organ.name)


# --- signing -------------------------------------------------------------------------------


@dataclass
class SigningKey:
    key: Any                 # an EC or RSA private key (cryptography)
    certificate_pem: str
    chain_pems: tuple[str, ...] = ()  # the issuing CA(s), so a receiver can reach its anchor


HEADER_PATH = "/e:edXMLEnvelope/e:edXMLHeader"


def _signed(root: ET.Element, attachments: list[bytes], key: SigningKey) -> bytes:
    return xmldsig.sign(ET.tostring(root, encoding="utf-8", xml_declaration=True),
                        header_path=HEADER_PATH, ns=NS, attachments=attachments, key=key.key,
                        certificate_pem=key.certificate_pem, chain_pems=key.chain_pems)


def _envelope() -> tuple[ET.Element, ET.Element]:
    root = ET.Element(q("edXMLEnvelope"))
    return root, ET.SubElement(root, q("edXMLHeader"))


def build_package(pkg: Package, key: SigningKey) -> bytes:
    root, header = _envelope()
    mh = ET.SubElement(header, q("MessageHeader"))
    _organ(mh, "From", pkg.sender)
    for organ in pkg.recipients:
        _organ(mh, "To", organ)
    _text(mh, "DocumentId", pkg.document_id)
    code = ET.SubElement(mh, q("Code"))
    _text(code, "CodeNumber", pkg.code_number)
    _text(code, "CodeNotation", pkg.code_notation)
    prom = ET.SubElement(mh, q("PromulgationInfo"))
    _text(prom, "Place", pkg.place)
    _text(prom, "PromulgationDate",
          pkg.promulgation_date.isoformat() if pkg.promulgation_date else "")
    dtype = ET.SubElement(mh, q("DocumentType"))
    _text(dtype, "Type", pkg.type_code)
    _text(dtype, "TypeName", pkg.type_name)
    _text(mh, "Subject", pkg.subject)
    _text(mh, "Content", pkg.content)
    signer = ET.SubElement(mh, q("SignerInfo"))
    _text(signer, "Competence", pkg.signer_competence)
    _text(signer, "Position", pkg.signer_position)
    _text(signer, "FullName", pkg.signer_name)
    _text(mh, "DueDate", pkg.due_date.isoformat() if pkg.due_date else "")
    places = ET.SubElement(mh, q("ToPlaces"))
    for place in pkg.to_places:
        _text(places, "Place", place)
    other = ET.SubElement(mh, q("OtherInfo"))
    _text(other, "Priority", pkg.priority)
    _text(other, "PageAmount", "")
    traces = ET.SubElement(header, q("TraceHeaderList"))
    for organ_id, stamp in pkg.trace or [(pkg.sender.code,
                                          dt.datetime.now(dt.UTC).isoformat())]:
        th = ET.SubElement(traces, q("TraceHeader"))
        _text(th, "OrganId", organ_id)
        _text(th, "Timestamp", stamp)
    body = ET.SubElement(root, q("edXMLBody"))
    for i, att in enumerate(pkg.attachments):
        el = ET.SubElement(body, q("Attachment"))
        _text(el, "ContentId", str(i + 1))
        _text(el, "ContentType", att.content_type)
        _text(el, "AttachmentName", att.name)
        _text(el, "Description", att.description)
        _text(el, "Value", base64.b64encode(att.content).decode())
    return _signed(root, [a.content for a in pkg.attachments], key)


def build_status(msg: StatusMessage, key: SigningKey) -> bytes:
    root, header = _envelope()
    status = ET.SubElement(header, q("Status"))
    rf = ET.SubElement(status, q("ResponseFor"))
    _text(rf, "OrganId", msg.sender_code)
    _text(rf, "Code", msg.code)
    _text(rf, "PromulgationDate", msg.promulgation_date)
    _text(rf, "DocumentId", msg.document_id)
    _organ(status, "From", msg.from_organ)
    _text(status, "StatusCode", msg.status_code)
    _text(status, "Description", msg.description)
    _text(status, "Timestamp", (msg.timestamp or dt.datetime.now(dt.UTC)).isoformat())
    staff = ET.SubElement(status, q("StaffInfo"))
    _text(staff, "Department", msg.department)
    _text(staff, "Staff", msg.staff)
    return _signed(root, [], key)


# --- parsing -------------------------------------------------------------------------------


def parse_xml(data: bytes) -> ET.Element:
    """Parse untrusted bytes: no DTD, no entities, no external references."""
    if len(data) > MAX_PACKAGE_BYTES:
        raise refuse("EDXML_TOO_LARGE", "Gói edXML quá lớn.", "The edXML package is too large.",
                     max_bytes=MAX_PACKAGE_BYTES)
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except DefusedXmlException:
        raise refuse("EDXML_FORBIDDEN_XML", "Gói edXML chứa DTD hoặc thực thể XML bị cấm.",
                     "The edXML package holds a forbidden DTD or entity.") from None
    except ET.ParseError as exc:
        raise refuse("EDXML_MALFORMED", "Gói edXML không đúng cú pháp XML.",
                     "The edXML package is not well-formed XML.", error=str(exc)[:200]) from None
    if root.tag != q("edXMLEnvelope"):
        raise refuse("EDXML_MALFORMED", "Không phải gói edXML (thiếu edXMLEnvelope).",
                     "Not an edXML package (no edXMLEnvelope).", root=str(root.tag)[:100])
    return root


def _req(parent: ET.Element | None, path: str) -> ET.Element:
    el = None if parent is None else parent.find("/".join(q(p) for p in path.split("/")))
    if el is None:
        raise refuse("EDXML_MALFORMED", f"Gói edXML thiếu phần tử {path}.",
                     f"The edXML package lacks {path}.", element=path)
    return el


def _val(parent: ET.Element, path: str) -> str:
    return (_req(parent, path).text or "").strip()


def _opt(parent: ET.Element, path: str) -> str:
    el = parent.find("/".join(q(p) for p in path.split("/")))
    return "" if el is None else (el.text or "").strip()


def _date(value: str, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise refuse("EDXML_MALFORMED", f"Ngày không hợp lệ ở {what}.",
                     f"Invalid date in {what}.", element=what) from None


def kind_of(root: ET.Element) -> str:
    header = _req(root, "edXMLHeader")
    if header.find(q("Status")) is not None:
        return "status"
    _req(header, "MessageHeader")
    return "document"


def status_document_id(root: ET.Element) -> str:
    """The DocumentId a status message answers (before it is verified: for replies only)."""
    return _opt(_req(_req(root, "edXMLHeader"), "Status"), "ResponseFor/DocumentId")


def _organ_of(el: ET.Element) -> Organ:
    return Organ(code=_val(el, "OrganId"), name=_opt(el, "OrganName"))


def _verify(data: bytes, contents: list[bytes], trust: Any) -> str:
    """Check the XML-DSig signature (every digest and the value), then ``trust(cert)``;
    returns the signer's certificate PEM."""
    cert, chain = xmldsig.verify(data, header_path=HEADER_PATH, ns=NS, attachments=contents,
                                 refuse=refuse)
    if trust is not None:
        trust(cert, chain)
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def parse_package(data: bytes, *, trust: Any = None) -> Package:
    """Parse and verify a document package. ``trust(cert, chain)`` raises when the signer's
    certificate does not chain to a trusted CA (None: digests and signature only)."""
    root = parse_xml(data)
    if kind_of(root) != "document":
        raise refuse("EDXML_MALFORMED", "Đây là thông điệp trạng thái, không phải gói văn bản.",
                     "This is a status message, not a document package.")
    header = _req(root, "edXMLHeader")
    mh = _req(header, "MessageHeader")
    atts: list[Attachment] = []
    body = root.find(q("edXMLBody"))
    for el in (body.findall(q("Attachment")) if body is not None else []):
        try:
            content = base64.b64decode(_val(el, "Value"), validate=True)
        except ValueError:
            raise refuse("EDXML_MALFORMED", "Tệp đính kèm không phải base64 hợp lệ.",
                          "An attachment is not valid base64.") from None
        atts.append(Attachment(name=_val(el, "AttachmentName") or "tep-dinh-kem",
                               content=content,
                               content_type=_opt(el, "ContentType") or "application/pdf",
                               description=_opt(el, "Description")))
    cert = _verify(data, [a.content for a in atts], trust)
    traces = [(_opt(t, "OrganId"), _opt(t, "Timestamp"))
              for t in header.findall(f"{q('TraceHeaderList')}/{q('TraceHeader')}")]
    return Package(
        sender=_organ_of(_req(mh, "From")),
        recipients=[_organ_of(t) for t in mh.findall(q("To"))],
        document_id=_val(mh, "DocumentId"),
        code_number=_val(mh, "Code/CodeNumber"), code_notation=_opt(mh, "Code/CodeNotation"),
        place=_opt(mh, "PromulgationInfo/Place"),
        promulgation_date=_date(_opt(mh, "PromulgationInfo/PromulgationDate"),
                                "PromulgationDate"),
        type_code=_opt(mh, "DocumentType/Type"), type_name=_opt(mh, "DocumentType/TypeName"),
        subject=_val(mh, "Subject"), content=_opt(mh, "Content"),
        signer_competence=_opt(mh, "SignerInfo/Competence"),
        signer_position=_opt(mh, "SignerInfo/Position"),
        signer_name=_opt(mh, "SignerInfo/FullName"),
        due_date=_date(_opt(mh, "DueDate"), "DueDate"),
        to_places=[(p.text or "").strip() for p in mh.findall(f"{q('ToPlaces')}/{q('Place')}")],
        attachments=atts, trace=traces, signer_certificate=cert)


def parse_status(data: bytes, *, trust: Any = None) -> StatusMessage:
    root = parse_xml(data)
    header = _req(root, "edXMLHeader")
    status = _req(header, "Status")
    cert = _verify(data, [], trust)
    stamp = _opt(status, "Timestamp")
    try:
        when = dt.datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        when = None
    return StatusMessage(
        sender_code=_val(status, "ResponseFor/OrganId"),
        document_id=_val(status, "ResponseFor/DocumentId"),
        code=_opt(status, "ResponseFor/Code"),
        promulgation_date=_opt(status, "ResponseFor/PromulgationDate"),
        from_organ=_organ_of(_req(status, "From")), status_code=_val(status, "StatusCode"),
        description=_opt(status, "Description"), timestamp=when,
        staff=_opt(status, "StaffInfo/Staff"), department=_opt(status, "StaffInfo/Department"),
        signer_certificate=cert)


def bare_parse(data: bytes) -> int:
    """The baseline of the benchmark: a defused parse, no verification (elements seen)."""
    return sum(1 for _ in parse_xml(data).iter())
