"""Reads of dossiers, always scoped to what the user may see (the one choke point)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.core.errors import ValidationFailed
from tinhso.dossiers.models import Dossier, DossierEvent, Status
from tinhso.dossiers.services import _common as c
from tinhso.workdays import calendar


def dossiers_visible_to(user: User) -> QuerySet[Dossier]:
    """Officials: their agency's dossiers (province admins: all). Applicants: their own."""
    return Dossier.objects.visible_to(user).select_related("procedure", "agency")


def dossier_get_for_user(user: User, code: str) -> Dossier:
    dossier = dossiers_visible_to(user).filter(code=code).first()
    if dossier is None:
        raise c.dossier_not_found(code)
    return dossier


QUEUES: dict[str, str] = {
    "to_receive": "Chờ tiếp nhận",
    "to_process": "Đang xử lý",
    "to_approve": "Chờ phê duyệt",
    "to_return": "Chờ trả kết quả",
    "supplement_pending": "Chờ bổ sung",
    "payment_pending": "Chờ thanh toán",
    "due_soon": "Sắp đến hạn (trong 1 ngày làm việc)",
    "overdue": "Quá hạn",
}

RUNNING = [Status.RECEIVED, Status.PROCESSING, Status.PAYMENT_REQUESTED]


def _due_soon_limit(user: User, at: dt.datetime) -> dt.datetime:
    agency = user.agency if user.is_official else None
    return calendar.add_working_days(at, 1, agency=agency)


def queue_filter(user: User, queue: str, at: dt.datetime | None = None) -> Q:
    at = at or timezone.now()
    if queue == "to_receive":
        return Q(status=Status.NEW)
    if queue == "to_process":
        return Q(status__in=[Status.RECEIVED, Status.PROCESSING])
    if queue == "to_approve":
        return Q(status=Status.PROCESSING, current_role="leader")
    if queue == "to_return":
        return Q(status=Status.PROCESSED)
    if queue == "supplement_pending":
        return Q(status=Status.SUPPLEMENT_REQUESTED)
    if queue == "payment_pending":
        return Q(status=Status.PAYMENT_REQUESTED)
    if queue == "due_soon":
        return Q(status__in=RUNNING, paused_at__isnull=True, due_at__gte=at,
                 due_at__lte=_due_soon_limit(user, at))
    if queue == "overdue":
        return Q(status__in=RUNNING, paused_at__isnull=True, due_at__lt=at)
    raise ValidationFailed("UNKNOWN_QUEUE", "Hàng đợi không tồn tại.", "Unknown queue.",
                             {"queue": queue, "known": sorted(QUEUES)})


def dossier_queue(user: User, queue: str, at: dt.datetime | None = None) -> QuerySet[Dossier]:
    """A work queue, ordered by due time (the most urgent first); uses the agency queue index."""
    return dossiers_visible_to(user).filter(queue_filter(user, queue, at)).order_by(
        "due_at", "id")


def queue_counts(user: User, at: dt.datetime | None = None) -> dict[str, int]:
    """All queue counts in one query (conditional aggregates over the user's scope)."""
    from django.db.models import Count

    at = at or timezone.now()
    base = dossiers_visible_to(user).filter(
        status__in=[Status.NEW, Status.RECEIVED, Status.PROCESSING, Status.PROCESSED,
                    Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED])
    aggregates: dict[str, Any] = {
        name: Count("id", filter=queue_filter(user, name, at)) for name in QUEUES
    }
    counts = base.aggregate(**aggregates)
    return {name: int(counts.get(name) or 0) for name in QUEUES}


def allowed_actions(user: User, dossier: Dossier, at: dt.datetime | None = None) -> list[str]:
    """The actions this user may take on this dossier now (drives buttons and the API).

    Read from the lifecycle table through the services' own guard, so an action is offered
    exactly when the service would accept it (tests/dossiers/test_lifecycle_table.py).
    """
    from tinhso.dossiers import lifecycle

    return lifecycle.allowed_actions(user, dossier, at or timezone.now())


def dossier_timeline(dossier: Dossier) -> QuerySet[DossierEvent]:
    return dossier.events.select_related("actor").order_by("at", "id")


PLAIN_STATUS = {
    Status.NEW: "Hồ sơ đã được gửi, đang chờ cơ quan tiếp nhận.",
    Status.RECEIVED: "Cơ quan đã tiếp nhận hồ sơ.",
    Status.REFUSED: "Hồ sơ không được tiếp nhận.",
    Status.PROCESSING: "Hồ sơ đang được xử lý.",
    Status.SUPPLEMENT_REQUESTED: "Cơ quan đề nghị bổ sung hồ sơ.",
    Status.PAYMENT_REQUESTED: "Đang chờ nộp phí, lệ phí.",
    Status.WITHDRAWN: "Hồ sơ đã được rút theo yêu cầu.",
    Status.STOPPED: "Hồ sơ đã dừng xử lý.",
    Status.PROCESSED: "Đã có kết quả, chờ trả cho người nộp.",
    Status.RETURNED: "Đã trả kết quả.",
}


def dossier_track_public(code: str, id_number: str) -> dict[str, Any] | None:
    """Public tracking: needs the code and the applicant's number; reveals no personal data."""
    code = (code or "").strip()
    id_number = (id_number or "").strip()
    if not code or not id_number:
        return None
    dossier = (
        Dossier.objects.select_related("procedure", "agency")
        .filter(code=code, applicant_id_number=id_number).first()
    )
    if dossier is None:
        return None
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "agency": dossier.agency.name,
        "status": dossier.status,
        "status_name": Status(dossier.status).label,
        "status_text": PLAIN_STATUS[Status(dossier.status)],
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "returned_at": dossier.returned_at,
    }


def dossier_reload(user: User, dossier: Dossier) -> Dossier:
    """The dossier read again after a write (fresh status, version and relations)."""
    fresh = dossiers_visible_to(user).filter(pk=dossier.pk).first()
    if fresh is None:
        raise c.dossier_not_found(dossier.code)
    return fresh
