"""Scoped querysets of feedback/petitions (see tinhso.core.scoping): officials see their
agency's, province admins and superusers everything, a citizen what they sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, is_province_wide, is_signed_in

if TYPE_CHECKING:  # the models import these querysets: names for the type checker only
    from tinhso.feedback.models import Feedback, FeedbackEvent  # noqa: F401


def feedback_q(user: Any, prefix: str = "") -> Q | None:
    if not is_signed_in(user):
        return NOTHING
    if is_province_wide(user):
        return None
    if getattr(user, "is_official", False) and user.agency_id is not None:
        return Q(**{f"{prefix}agency_id": user.agency_id})
    return Q(**{f"{prefix}submitter_id": user.pk})


class FeedbackQuerySet(ScopedQuerySet["Feedback"]):
    def scope(self, user: Any) -> Q | None:
        return feedback_q(user)


class FeedbackEventQuerySet(ScopedQuerySet["FeedbackEvent"]):
    def scope(self, user: Any) -> Q | None:
        return feedback_q(user, "feedback__")
