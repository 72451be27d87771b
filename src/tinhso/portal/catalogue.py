"""Catalogue reads for the portal and back-office pages, through the catalogue selectors."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tinhso.catalog import selectors
from tinhso.catalog.models import Field, Procedure
from tinhso.units.models import Agency


def search_procedures(query: str = "", *, field_code: str | None = None,
                      agency_code: str | None = None, level: str | None = None,
                      online_level: str | None = None) -> QuerySet[Procedure]:
    return selectors.search_procedures(query, field_code=field_code, agency_code=agency_code,
                                       level=level, online_level=online_level)


def procedure_get(code: str) -> Procedure:
    """An active procedure; raises a ``NotFound`` subclass otherwise."""
    return selectors.procedure_get(code, active_only=True)


def fields_with_counts() -> list[Field]:
    """Fields that have at least one active procedure (empty fields are no use to browse)."""
    return [f for f in selectors.fields_with_counts() if f.procedure_count]


def popular_procedures(limit: int = 8) -> list[Procedure]:
    return list(selectors.search_procedures("")[:limit])


def agencies_with_counts() -> list[Agency]:
    """Agencies that implement at least one active procedure, with how many."""
    return list(
        Agency.objects.filter(is_active=True)
        .annotate(procedure_count=Count("procedures", filter=Q(procedures__is_active=True)))
        .filter(procedure_count__gt=0).order_by("name")
    )
