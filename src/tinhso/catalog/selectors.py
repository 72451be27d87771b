"""Reads on the procedure catalogue (public data: no user scoping).

These names are a contract with the web front: ``search_procedures``, ``procedure_get``,
``fields_with_counts``.

Search rule: the query is folded like the stored ``search_text`` (lower case, no diacritics,
``đ`` → ``d``), split into words, and every word must occur in the folded name or in the code —
in any order. ``contains`` on the folded column is a sequential scan in both databases; at the
size of a province's catalogue (≈2,000 procedures) that is well under a millisecond per word, so
no full-text machinery is needed (see docs/catalog.md).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tinhso.catalog.models import Field, Procedure
from tinhso.catalog.services import ProcedureNotFound
from tinhso.core.text import fold

# Longest query we look at: a search box, not a document.
MAX_QUERY_WORDS = 12


def search_procedures(
    query: str = "",
    *,
    field_code: str | None = None,
    agency_code: str | None = None,
    level: str | None = None,
    online_level: str | None = None,
) -> QuerySet[Procedure]:
    """Active procedures matching every word of ``query``, most popular first, then by name."""
    qs = Procedure.objects.filter(is_active=True).select_related("field")
    for word in fold(query or "").split()[:MAX_QUERY_WORDS]:
        # search_text is already folded to lower case, so a case-sensitive contains is exact
        # and avoids UPPER() on PostgreSQL; codes are ASCII, icontains for "h19" suffixes.
        qs = qs.filter(Q(search_text__contains=word) | Q(code__icontains=word))
    if field_code:
        qs = qs.filter(field__code=field_code)
    if agency_code:
        # One agency matches at most one row of the link table per procedure: no duplicates.
        qs = qs.filter(agencies__code=agency_code)
    if level:
        qs = qs.filter(level=level)
    if online_level:
        qs = qs.filter(online_level=online_level)
    return qs.order_by("-popularity", "name", "code")


def procedure_get(code: str, *, active_only: bool = False) -> Procedure:
    """One procedure with its field, components and agencies; ``ProcedureNotFound`` (404,
    code ``PROCEDURE_NOT_FOUND``) when there is none (or it is inactive and ``active_only``)."""
    qs = Procedure.objects.select_related("field").prefetch_related("components", "agencies")
    if active_only:
        qs = qs.filter(is_active=True)
    procedure = qs.filter(code=(code or "").strip()).first()
    if procedure is None:
        raise ProcedureNotFound(code)
    return procedure


def fields_with_counts() -> QuerySet[Field]:
    """Every field with ``procedure_count`` = its number of active procedures, by name."""
    return Field.objects.annotate(
        procedure_count=Count("procedures", filter=Q(procedures__is_active=True))
    ).order_by("name")
