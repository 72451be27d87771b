"""The one-stop forms a dossier's steps produce: 01 receipt, 02–06 and the result.

A transition commits first; its signed PDF is issued right after the commit, in its own
transaction. Signing takes ~0.1 s (PAdES B-LT with a time-stamp), and a signing problem — the
provincial CA not initialised, a revoked agency certificate — must not undo or block the legal act
itself: the failure is logged, and the officer can issue the form again from the dossier page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from tinhso.core.errors import DomainError

logger = logging.getLogger(__name__)


def issue_after_commit(*, acting_user: Any, dossier: Any, form: str,
                       extra: dict[str, Any] | None = None) -> None:
    if not getattr(settings, "TINHSO_ISSUE_DOCUMENTS", True):
        return
    if acting_user is None or not getattr(acting_user, "is_official", False):
        return
    dossier_pk = dossier.pk

    def issue() -> None:
        from tinhso.documents.services import document_issue
        from tinhso.dossiers.models import Dossier

        fresh = Dossier.objects.select_related("procedure", "agency").get(pk=dossier_pk)
        try:
            document_issue(acting_user=acting_user, dossier=fresh, form=form, extra=extra)
        except DomainError as exc:
            logger.warning("form %s for %s not issued: %s %s", form, fresh.code, exc.code,
                           exc.message_en)

    transaction.on_commit(issue)
