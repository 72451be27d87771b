"""Scoped querysets of issued documents and the certification register (see
tinhso.core.scoping): the issuing agency's officials, province admins and superusers."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, agency_q


class AgencyOwnedQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return agency_q(user)


class DossierAgencyQuerySet(ScopedQuerySet[Any]):
    """Rows about a dossier that only its agency sees (the signing jobs of its forms)."""

    def scope(self, user: Any) -> Q | None:
        return agency_q(user, "dossier__agency_id")
