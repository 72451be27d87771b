"""Who handles feedback: officials of the agency it is addressed to (any role of that agency,
as in the one-stop desk), and province admins."""

from __future__ import annotations

from typing import Any

from tinhso.accounts.permissions import can_act_on_agency
from tinhso.core.errors import NotFound
from tinhso.feedback.models import Feedback


def can_handle(user: Any, feedback: Feedback) -> bool:
    return can_act_on_agency(user, feedback.agency_id)


def require_handler(user: Any, feedback: Feedback) -> None:
    if not can_handle(user, feedback):
        # Feedback of another agency is indistinguishable from a missing one.
        raise NotFound("Không tìm thấy phản ánh, kiến nghị.", "Feedback not found.",
                       {"code": feedback.code})
