"""Packages and status messages pushed to us by other LGSP members (the receiving side of
the LGSP transport; the sending side is ``transport.py``).

The LGSP gateway publishes ``POST /api/v1/correspondence/edxml/receive`` as this
installation's ``edxml`` service (``tinhso lgsp register-own``); it authenticates the calling
member and presents a service account's token to us. That account needs the permission
``correspondence.add_incomingdocument`` (or is a superuser). What makes a package believable is
its XML-DSig signature (checked by ``exchange``), not who pushed it: a member may relay
another's package.
"""

from __future__ import annotations

from typing import Any

from tinhso.core.errors import PermissionDenied
from tinhso.correspondence import edxml, exchange
from tinhso.correspondence.models import IncomingDocument

XML_TYPES = ("application/xml", "text/xml")
RECEIVE_PERMISSION = "correspondence.add_incomingdocument"


def may_receive(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.has_perm(RECEIVE_PERMISSION))


def receive_pushed(*, user: Any, data: bytes, content_type: str) -> dict[str, Any]:
    """Register a pushed package in every addressed agency here (once: a second push answers
    with the same registrations), or apply a pushed status message. Refusals are the
    ``EDXML_*`` codes of ``exchange.import_any``, nothing written."""
    if not may_receive(user):  # (the gateway already refused callers without a credential)
        raise PermissionDenied({"permission": RECEIVE_PERMISSION})
    if content_type.split(";")[0].strip().lower() not in XML_TYPES:
        raise edxml.refuse("EDXML_MALFORMED", "Gói edXML phải gửi với kiểu application/xml.",
                           "An edXML push must be sent as application/xml.",
                           content_type=content_type[:100])
    root = edxml.parse_xml(data)
    if edxml.kind_of(root) == "status":
        exchange.apply_status(data=data)
        return {"kind": "status", "document_id": edxml.status_document_id(root),
                "registered": []}
    docs: list[IncomingDocument] = exchange.import_package(data=data)
    ref = (docs[0].external_ref or "") if docs else ""
    return {"kind": "document", "document_id": ref.split(":", 1)[-1],
            "registered": [{"agency": d.agency.code, "incoming_id": d.pk,
                            "incoming_number": d.incoming_number} for d in docs]}
