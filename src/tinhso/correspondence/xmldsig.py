"""W3C XML-DSig for edXML packages: an enveloped signature over the whole package.

What a package carries (``edXMLEnvelope/edXMLHeader/ds:Signature``, the header's last child)::

  ds:Signature
    ds:SignedInfo
      ds:CanonicalizationMethod  exclusive C14N 1.0 (no comments)
      ds:SignatureMethod         ecdsa-sha256 or rsa-sha256 (xmldsig-more)
      ds:Reference URI="cid:N"*  one per attachment: SHA-256 of its decoded bytes (detached,
                                 as SOAP-with-attachments does), so a changed attachment is named
      ds:Reference URI=""        the whole package: enveloped-signature + exclusive C14N, SHA-256
    ds:SignatureValue            ECDSA as r||s (RFC 4050 / xmldsig-core1), RSA PKCS#1 v1.5
    ds:KeyInfo/ds:X509Data/ds:X509Certificate+  the signer's certificate (DER, base64), then
                                 its issuing CA's (the chain up to, not including, the root)

Verification is strict on purpose: exactly one signature, in that place; only the algorithms
above (no SHA-1, no XPath/XSLT transforms); a ``URI=""`` reference must be present (so every
byte of the package is covered) and every attachment must have its ``cid:`` reference. The
input has already passed defusedxml (no DTD/entities); lxml parses it again without network or
entity resolution. The trace header list is inside the signature: a hop that appends to it
must sign again (tinhso never does; see docs/correspondence.md).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from lxml import etree

from tinhso.core.errors import ValidationFailed

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

# Parses bytes that defusedxml already accepted; this parser still resolves nothing.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=True, remove_blank_text=False)

Refuse = Callable[..., ValidationFailed]


def _ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def _c14n(node: Any) -> bytes:
    return bytes(etree.tostring(node, method="c14n", exclusive=True, with_comments=False))


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _enveloped_c14n(root: Any, signature: Any) -> bytes:
    """The enveloped-signature transform then exclusive C14N: the document without the
    Signature element (its following text stays: the transform removes the element node
    only). The element is taken out and put back, which is cheaper than copying 50 MiB."""
    parent, index, tail = signature.getparent(), signature.getparent().index(signature), \
        signature.tail
    prev = signature.getprevious()
    before = prev.tail if prev is not None else parent.text
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(signature)
    try:
        return _c14n(root)
    finally:
        if prev is not None:
            prev.tail = before
        else:
            parent.text = before
        signature.tail = tail
        parent.insert(index, signature)


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, _ds(tag), attrs)
    if text is not None:
        el.text = text
    return el


def _reference(info: Any, uri: str, digest: str, transforms: list[str]) -> None:
    ref = _sub(info, "Reference", URI=uri)
    if transforms:
        tr = _sub(ref, "Transforms")
        for algorithm in transforms:
            _sub(tr, "Transform", Algorithm=algorithm)
    _sub(ref, "DigestMethod", Algorithm=SHA256)
    _sub(ref, "DigestValue", digest)


def _raw_signature(key: Any, data: bytes) -> tuple[str, bytes]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        size = (key.curve.key_size + 7) // 8
        return ECDSA_SHA256, r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if isinstance(key, rsa.RSAPrivateKey):
        return RSA_SHA256, key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    # A PKCS#11 or remote key: not supported for edXML yet (docs/correspondence.md).
    raise TypeError("edXML signing needs a software EC or RSA key")


def sign(data: bytes, *, header_path: str, ns: str, attachments: list[bytes], key: Any,
         certificate_pem: str, chain_pems: tuple[str, ...] = ()) -> bytes:
    """Add an enveloped ds:Signature as the last child of the element at ``header_path``
    (an XPath from the root, with the ``e`` prefix bound to the namespace ``ns``)."""
    root = etree.fromstring(data, _PARSER)
    header = root.xpath(header_path, namespaces={"e": ns})[0]
    method = ECDSA_SHA256 if isinstance(key, ec.EllipticCurvePrivateKey) else RSA_SHA256
    sig = etree.SubElement(header, _ds("Signature"), nsmap={"ds": DS})
    info = _sub(sig, "SignedInfo")
    _sub(info, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _sub(info, "SignatureMethod", Algorithm=method)
    for i, content in enumerate(attachments):
        _reference(info, f"cid:{i + 1}", _b64_sha256(content), [])
    # The whole-package digest is taken while the (unfinished) signature is in place: the
    # enveloped transform removes it, exactly as the verifier will.
    whole = _b64_sha256(_enveloped_c14n(root, sig))
    _reference(info, "", whole, [ENVELOPED, EXC_C14N])
    method, value = _raw_signature(key, _c14n(info))
    _sub(sig, "SignatureValue", base64.b64encode(value).decode())
    x509data = _sub(_sub(sig, "KeyInfo"), "X509Data")
    for pem in (certificate_pem, *chain_pems):  # the signer's first, then its issuers
        der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(
            serialization.Encoding.DER)
        _sub(x509data, "X509Certificate", base64.b64encode(der).decode())
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))


def _invalid(refuse: Refuse, message_vi: str, message_en: str, code: str =
             "EDXML_SIGNATURE_INVALID", **details: Any) -> ValidationFailed:
    return refuse(code, message_vi, message_en, **details)


def _algorithm(el: Any, tag: str) -> str:
    found = el.find(_ds(tag))
    return "" if found is None else str(found.get("Algorithm", ""))


def _check_reference(ref: Any, root: Any, sig: Any, attachments: list[bytes],
                     refuse: Refuse) -> str:
    """Check one Reference's digest; returns its URI."""
    uri = str(ref.get("URI", "-"))
    transforms = [str(t.get("Algorithm", "")) for t in ref.findall(f"{_ds('Transforms')}/"
                                                                   f"{_ds('Transform')}")]
    if _algorithm(ref, "DigestMethod") != SHA256:
        raise _invalid(refuse, "Chữ ký gói edXML dùng thuật toán băm không được chấp nhận.",
                       "The package signature uses a digest algorithm not accepted.")
    if uri == "" and transforms == [ENVELOPED, EXC_C14N]:
        data, code = _enveloped_c14n(root, sig), "EDXML_SIGNATURE_INVALID"
    elif uri.startswith("cid:") and not transforms and uri[4:].isdigit() and \
            1 <= int(uri[4:]) <= len(attachments):
        data, code = attachments[int(uri[4:]) - 1], "EDXML_ATTACHMENT_MISMATCH"
    else:
        raise _invalid(refuse, "Chữ ký gói edXML có tham chiếu không được chấp nhận.",
                       "The package signature has a reference that is not accepted.",
                       reference=uri[:80])
    value = ref.find(_ds("DigestValue"))
    if value is None or (value.text or "").strip() != _b64_sha256(data):
        raise _invalid(refuse, "Nội dung gói edXML đã bị thay đổi sau khi ký.",
                       "The edXML package was changed after signing.", code=code,
                       part=uri or "#package")
    return uri


def _check_value(info: Any, sig: Any, refuse: Refuse
                 ) -> tuple[x509.Certificate, list[x509.Certificate]]:
    try:
        cert_els = sig.findall(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}")
        value_el = sig.find(_ds("SignatureValue"))
        if not cert_els or len(cert_els) > 4 or value_el is None:
            raise ValueError("missing")
        certs = [x509.load_der_x509_certificate(base64.b64decode(
            "".join((el.text or "").split()), validate=True)) for el in cert_els]
        cert = certs[0]
        value = base64.b64decode("".join((value_el.text or "").split()), validate=True)
    except ValueError:
        raise _invalid(refuse, "Chữ ký gói edXML không đọc được.",
                       "The package signature cannot be read.") from None
    public, method, signed = cert.public_key(), _algorithm(info, "SignatureMethod"), _c14n(info)
    try:
        if isinstance(public, ec.EllipticCurvePublicKey) and method == ECDSA_SHA256:
            size = (public.curve.key_size + 7) // 8
            if len(value) != 2 * size:
                raise InvalidSignature
            der_sig = encode_dss_signature(int.from_bytes(value[:size], "big"),
                                           int.from_bytes(value[size:], "big"))
            public.verify(der_sig, signed, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey) and method == RSA_SHA256:
            public.verify(value, signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise InvalidSignature
    except InvalidSignature:
        raise _invalid(refuse, "Chữ ký gói edXML không hợp lệ.",
                       "The edXML package signature is invalid.") from None
    return cert, certs[1:]


def verify(data: bytes, *, header_path: str, ns: str, attachments: list[bytes],
           refuse: Refuse) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """Verify the package's enveloped signature; returns the signer's certificate and the
    issuers that came with it (not yet checked for trust: the caller does that). Raises
    ``refuse(...)`` with EDXML_UNSIGNED, EDXML_SIGNATURE_INVALID or
    EDXML_ATTACHMENT_MISMATCH."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        raise _invalid(refuse, "Gói edXML không đúng cú pháp XML.",
                       "The edXML package is not well-formed XML.",
                       code="EDXML_MALFORMED") from None
    signatures = root.xpath("//ds:Signature", namespaces={"ds": DS})
    if not signatures:
        raise _invalid(refuse, "Gói edXML không có chữ ký số.", "The edXML package is not signed.",
                       code="EDXML_UNSIGNED")
    header = root.xpath(header_path, namespaces={"e": ns})
    sig = signatures[0]
    # One signature, where the standard puts it: anything else could be a wrapping attack.
    if len(signatures) != 1 or not header or sig.getparent() is not header[0]:
        raise _invalid(refuse, "Chữ ký gói edXML không nằm đúng vị trí.",
                       "The package signature is not where it belongs.")
    info = sig.find(_ds("SignedInfo"))
    if info is None or _algorithm(info, "CanonicalizationMethod") != EXC_C14N:
        raise _invalid(refuse, "Chữ ký gói edXML dùng phép chuẩn hóa không được chấp nhận.",
                       "The package signature uses a canonicalization not accepted.")
    refs = info.findall(_ds("Reference"))
    # Attachments first, so a changed attachment is reported as such.
    refs.sort(key=lambda r: str(r.get("URI", "")) == "")
    uris = [_check_reference(ref, root, sig, attachments, refuse) for ref in refs]
    wanted = {"", *(f"cid:{i + 1}" for i in range(len(attachments)))}
    if sorted(uris) != sorted(wanted):
        raise _invalid(refuse, "Chữ ký gói edXML không bao phủ đủ các phần.",
                       "The package signature does not cover every part.")
    return _check_value(info, sig, refuse)
