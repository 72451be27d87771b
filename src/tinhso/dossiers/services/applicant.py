"""What the applicant does to their own dossier: withdraw it, rate the result."""

from __future__ import annotations

from django.db import transaction

from tinhso.accounts.models import User
from tinhso.core.errors import ValidationFailed
from tinhso.dossiers import lifecycle as lc
from tinhso.dossiers.events import record_event
from tinhso.dossiers.models import Action, Dossier, Status
from tinhso.dossiers.services import _common as c


@transaction.atomic
def dossier_withdraw(*, acting_user: User, dossier: Dossier, reason: str) -> Dossier:
    reason = lc.clean_reason(Action.WITHDRAW, reason)
    c.require_applicant(acting_user, dossier)
    dossier = c.lock_dossier(dossier)
    at = c.now()
    lc.guard(Action.WITHDRAW, acting_user, dossier, at)
    from_status = dossier.status
    c.finish_current_step(dossier, at)
    dossier.status = Status.WITHDRAWN
    dossier.paused_at = None
    c.save(dossier, "status", "paused_at")
    record_event(dossier, actor=acting_user, action=Action.WITHDRAW, from_status=from_status,
                 to_status=Status.WITHDRAWN, note=reason, at=at)
    return dossier


@transaction.atomic
def dossier_rate(*, acting_user: User, dossier: Dossier, rating: int) -> Dossier:
    """Satisfaction after the result is returned: 1 satisfied, 0 neutral, −1 dissatisfied."""
    c.require_applicant(acting_user, dossier)
    if rating not in (-1, 0, 1):
        raise ValidationFailed("INVALID_RATING",
                               "Đánh giá phải là 1 (hài lòng), 0 (bình thường) hoặc -1 "
                               "(không hài lòng).",
                               "Rating must be 1 (satisfied), 0 (neutral) or -1 (dissatisfied).",
                               {"rating": rating})
    dossier = c.lock_dossier(dossier)
    lc.guard(Action.RATE, acting_user, dossier)
    dossier.rating = rating
    c.save(dossier, "rating")
    record_event(dossier, actor=acting_user, action=Action.RATE, from_status=dossier.status,
                 to_status=dossier.status, data={"rating": rating})
    return dossier
