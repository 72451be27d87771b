"""Reads of the portal's own tables, scoped to the user (see tinhso.core.scoping)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tinhso.portal.models import Draft


def drafts_unsent(user: Any, limit: int = 20) -> list[Draft]:
    """The user's drafts not yet sent as a dossier, the most recently edited first."""
    return list(Draft.objects.visible_to(user).filter(dossier_code="")
                .select_related("procedure").order_by("-updated_at")[:limit])


def drafts_for(user: Any) -> QuerySet[Draft]:
    return Draft.objects.visible_to(user)
