"""Reads of issued documents and of the certification register, scoped to the user."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from tinhso.core.text import fold, nfc
from tinhso.documents.models import CertificationRegisterEntry, Document


def documents_for(user: Any) -> QuerySet[Document]:
    """The issuing agency's officials, province admins and superusers (see core.scoping)."""
    return Document.objects.visible_to(user).select_related("agency", "dossier")


def register_for(
    user: Any, *, q: str = "", year: int | None = None, agency_id: int | None = None,
    date_from: dt.date | None = None, date_to: dt.date | None = None,
) -> QuerySet[CertificationRegisterEntry]:
    qs = CertificationRegisterEntry.objects.visible_to(user).select_related(
        "agency", "officer", "document")
    if agency_id:
        qs = qs.filter(agency_id=agency_id)
    if year:
        qs = qs.filter(year=year)
    if date_from:
        qs = qs.filter(certified_on__gte=date_from)
    if date_to:
        qs = qs.filter(certified_on__lte=date_to)
    text = nfc(q.strip())
    if text:
        cond = (Q(applicant_name__icontains=text) | Q(original_description__icontains=text)
                | Q(applicant_id_number=text) | Q(book_number__icontains=text))
        if text.isdigit():
            cond |= Q(number=int(text))
        # Diacritics-insensitive match on the two free-text columns, done in Python over the
        # (already scoped, small) candidate set when the accented search found nothing.
        if not qs.filter(cond).exists():
            folded = fold(text)
            ids = [e.pk for e in qs.select_related(None).only(
                       "pk", "applicant_name", "original_description")
                   if folded in fold(e.applicant_name) or folded in fold(e.original_description)]
            return qs.filter(pk__in=ids).order_by("-year", "-number")
        qs = qs.filter(cond)
    return qs.order_by("-year", "-number")


CSV_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("Số chứng thực", lambda e: e.number),
    ("Quyển số", lambda e: e.book_number),
    ("Ngày chứng thực", lambda e: e.certified_on.isoformat()),
    ("Người yêu cầu", lambda e: e.applicant_name),
    ("Số định danh", lambda e: e.applicant_id_number),
    ("Bản chính", lambda e: e.original_description),
    ("Số trang", lambda e: e.pages),
    ("Số bản", lambda e: e.copies),
    ("Lệ phí (đồng)", lambda e: e.fee),
    ("Người chứng thực", lambda e: e.officer.full_name or e.officer.username),
    ("Cơ quan", lambda e: e.agency.name),
    ("Mã xác minh", lambda e: str(e.document.uuid)),
    ("SHA-256", lambda e: e.document.sha256),
]


def register_csv(entries: QuerySet[CertificationRegisterEntry]) -> str:
    """UTF-8 CSV with a BOM so spreadsheet programs show the Vietnamese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([name for name, _ in CSV_COLUMNS])
    for entry in entries.iterator(chunk_size=500):
        writer.writerow([getter(entry) for _, getter in CSV_COLUMNS])
    return out.getvalue()


def document_issued_with_sha256(sha256: str) -> bool:
    """Did the platform issue a document with exactly these bytes? (public: a yes/no only)."""
    return Document.objects.filter(sha256=sha256).exists()
