"""Documents signed elsewhere in the platform that belong in the outgoing register: today the
minutes of a meeting (biên bản họp, type ``BB`` of Decree 30/2020's list).

Two steps inside the caller's signing transaction, like ``outgoing_sign``: ``reserve`` takes
the next number of the agency's ``BB`` series for the year (a failed signature rolls it back:
gap-free) and the verification id, so both can be printed in the PDF *before* it is signed;
``register`` then files the signed PDF as an issued outgoing document and as a
``documents.Document`` — the row behind the public QR page ``/chu-ky-so/xac-minh/<id>`` that
every issued document has. One UUID names both rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid as uuid_lib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.core import blobs
from tinhso.core.text import nfc
from tinhso.correspondence.doctypes import DocType, notation
from tinhso.correspondence.models import OutgoingDocument, OutState, Register
from tinhso.correspondence.numbering import next_number
from tinhso.correspondence.services_out import _event, profile_of, search_text_out


@dataclass(frozen=True)
class Reserved:
    agency: Any
    doc_type: str
    year: int
    number: int
    notation: str
    uuid: uuid_lib.UUID
    verify_url: str
    on: dt.date


def reserve(*, agency: Any, doc_type: str = DocType.BIEN_BAN) -> Reserved:
    """The number, notation and verification link of a document about to be signed."""
    from tinhso.documents.services import verify_url

    assert transaction.get_connection().in_atomic_block, "reserve inside the signing transaction"
    today = timezone.localdate()
    number = next_number(agency=agency, register=Register.OUTGOING, year=today.year,
                         doc_type=doc_type)
    doc_uuid = uuid_lib.uuid4()
    return Reserved(agency=agency, doc_type=doc_type, year=today.year, number=number,
                    notation=notation(number, doc_type, profile_of(agency).abbreviation, ""),
                    uuid=doc_uuid, verify_url=verify_url(doc_uuid), on=today)


def register(*, reserved: Reserved, pdf: bytes, subject: str, acting_user: Any,
             certificates: list[Any], signer_title: str = "",
             signed_at: dt.datetime | None = None) -> OutgoingDocument:
    """File the signed PDF: an issued outgoing document with the reserved number, and the
    verification row of its QR code. Returns the outgoing document."""
    from tinhso.documents.models import DocumentForm
    from tinhso.documents.services import _store

    at = signed_at or timezone.now()
    sha = hashlib.sha256(pdf).hexdigest()
    doc = OutgoingDocument(
        uuid=reserved.uuid, agency=reserved.agency, doc_type=reserved.doc_type,
        state=OutState.ISSUED, subject=nfc(subject)[:500], author=acting_user,
        year=reserved.year, number=reserved.number, notation=reserved.notation,
        promulgated_on=reserved.on, signer=acting_user,
        signer_title=nfc(signer_title)[:120], pdf_sha256=sha)
    doc.pdf.name = blobs.put(pdf, area="documents", sha256=sha, suffix=".pdf").name
    doc.search_text = search_text_out(doc)
    doc.save()
    _event(doc, acting_user, "register", OutState.ISSUED, f"Số {doc.notation}", from_state="")
    _store(doc_uuid=reserved.uuid, pdf=pdf, form=DocumentForm.MINUTES, agency=reserved.agency,
           dossier=None, acting_user=acting_user, certs=certificates, signed_at=at)
    return doc
