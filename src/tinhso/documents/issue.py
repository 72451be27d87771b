"""Issue a signed PDF whose text another app composed (fee receipts, …).

The one-stop forms are composed here (``forms.py``); other apps build a ``FormContent`` of their
own and hand it over, so every document the platform signs is rendered, sealed, stored and
verifiable the same way. Sealed with the agency's organisation certificate (the "agency
signature"); call inside the caller's transaction.
"""

from __future__ import annotations

import uuid as uuid_lib
from typing import Any

from django.utils import timezone

from tinhso.core.text import nfc
from tinhso.documents import render
from tinhso.documents.models import Document, DocumentForm
from tinhso.documents.services import _sign_all, _stamp_specs, _store, agency_certificate
from tinhso.documents.services import verify_url as document_verify_url


def new_document_uuid() -> uuid_lib.UUID:
    return uuid_lib.uuid4()


def verify_url(doc_uuid: uuid_lib.UUID) -> str:
    return document_verify_url(doc_uuid)


def document_issue_sealed(*, agency: Any, dossier: Any, form: str, content: render.FormContent,
                          doc_uuid: uuid_lib.UUID, acting_user: Any = None,
                          stamp_title: str = "Cơ quan") -> Document:
    certs = [agency_certificate(agency)]
    content.stamps = _stamp_specs(certs, agency, [stamp_title])
    pdf = render.render_form(content)
    signed = _sign_all(pdf, certs, content.stamps, reason=nfc(DocumentForm(form).label),
                       location=content.place)
    return _store(doc_uuid=doc_uuid, pdf=signed, form=form, agency=agency, dossier=dossier,
                  acting_user=acting_user, certs=certs, signed_at=timezone.now())
