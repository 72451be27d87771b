"""Reads on the procedure catalogue (public data: no user scoping).

These names are a contract with the web front: ``search_procedures``, ``procedure_get``,
``fields_with_counts``.

Search rule (``tinhso.catalog.search``, decision 0016): the query is folded (lower case, no
diacritics, ``đ`` → ``d``), synonyms and abbreviations of ``catalog/data/synonyms.json`` are
expanded, misspelt words are corrected against the catalogue's words, and every part must occur
in the procedure's name, result name, keywords or code — in any order. Procedures whose name
matches come first, then the most popular.
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from tinhso.catalog import search
from tinhso.catalog.models import Field, Procedure
from tinhso.catalog.services import ProcedureNotFound
from tinhso.core.text import fold

MAX_QUERY_WORDS = search.MAX_QUERY_WORDS


def search_procedures(
    query: str = "",
    *,
    field_code: str | None = None,
    agency_code: str | None = None,
    level: str | None = None,
    online_level: str | None = None,
) -> QuerySet[Procedure]:
    """Active procedures matching ``query`` (see the module's rule), best first; with no query,
    most popular first, then by name."""
    qs = Procedure.objects.filter(is_active=True).select_related("field")
    if field_code:
        qs = qs.filter(field__code=field_code)
    if agency_code:
        # One agency matches at most one row of the link table per procedure: no duplicates.
        qs = qs.filter(agencies__code=agency_code)
    if level:
        qs = qs.filter(level=level)
    if online_level:
        qs = qs.filter(online_level=online_level)
    if not fold(query or "").strip():
        return qs.order_by("-popularity", "name", "code")
    rows = list(qs.values_list("pk", "code", "name", "result_name", "popularity"))
    ids = search.rank(query, rows)
    if not ids:
        return qs.none()
    order = Case(*[When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)],
                 output_field=IntegerField())
    return qs.filter(pk__in=ids).order_by(order)


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
