"""Reads of feedback/petitions, scoped like dossiers: officials see their agency's, province
admins everything, citizens their own; published answers are public (without identity)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet

from tinhso.core.errors import NotFound
from tinhso.feedback.models import (
    HANDLED_STATUSES,
    Feedback,
    FeedbackEvent,
    FeedbackStatus,
)

if TYPE_CHECKING:
    from tinhso.ioc.kpi import FeedbackCounters
    from tinhso.ioc.scopes import Scope


def is_province_wide(user: Any) -> bool:
    return bool(user.is_superuser or getattr(user, "is_province_admin", False))


def feedback_visible_to(user: Any) -> QuerySet[Feedback]:
    return Feedback.objects.visible_to(user).select_related("agency", "dossier")


def feedback_get_for_user(user: Any, code: str) -> Feedback:
    feedback = feedback_visible_to(user).filter(code=code).first()
    if feedback is None:
        raise NotFound("Không tìm thấy phản ánh, kiến nghị.", "Feedback not found.",
                       {"code": code})
    return feedback


def feedback_events(feedback: Feedback) -> QuerySet[FeedbackEvent]:
    return feedback.events.select_related("actor").order_by("at", "id")


def feedback_published() -> QuerySet[Feedback]:
    """Answers published for everyone (the citizen agreed); no personal data is shown."""
    return (Feedback.objects.select_related("agency")
            .filter(status=FeedbackStatus.PUBLISHED, allow_publish=True)
            .order_by("-published_at", "-id"))


FEEDBACK_QUEUES: dict[str, str] = {
    "open": "Đang chờ xử lý",
    "supplement": "Chờ công dân bổ sung",
    "overdue": "Quá hạn xử lý",
    "to_publish": "Chờ công khai kết quả",
}


def feedback_queue(user: Any, queue: str, now: dt.datetime) -> QuerySet[Feedback]:
    qs = feedback_visible_to(user)
    if queue == "open":
        return qs.filter(status__in=[FeedbackStatus.NEW, FeedbackStatus.PROCESSING])
    if queue == "supplement":
        return qs.filter(status=FeedbackStatus.SUPPLEMENT_REQUESTED)
    if queue == "overdue":
        return qs.filter(status__in=[FeedbackStatus.NEW, FeedbackStatus.PROCESSING],
                         handle_due_at__lt=now)
    if queue == "to_publish":
        return qs.filter(status=FeedbackStatus.RESOLVED, allow_publish=True)
    raise NotFound("Không có hàng đợi này.", "No such queue.", {"queue": queue})


# --------------------------------------------------------------------------------------------
# For the IOC
# --------------------------------------------------------------------------------------------


def complaints_about(dossier_ref: Any) -> QuerySet[Feedback]:
    """Petitions (not refused) that name a dossier: the dossier counts as "with a complaint"
    in the 766 satisfaction indicator."""
    return Feedback.objects.filter(dossier_id=dossier_ref).exclude(status=FeedbackStatus.REFUSED)


def dossiers_with_complaints(dossier_ids: Iterable[int]) -> set[int]:
    ids = list(dossier_ids)
    if not ids:
        return set()
    return set(Feedback.objects.filter(dossier_id__in=ids).exclude(status=FeedbackStatus.REFUSED)
               .values_list("dossier_id", flat=True))


def _scope_q(scope: Scope) -> Q:
    q = Q()
    if scope.kind == "unit" and scope.unit_ids is not None:
        q &= Q(agency__unit_id__in=sorted(scope.unit_ids))
    if scope.agency_ids is not None:
        q &= Q(agency_id__in=sorted(scope.agency_ids))
    if scope.procedure_id is not None:
        q &= Q(dossier__procedure_id=scope.procedure_id)
    if scope.field_id is not None:
        q &= Q(dossier__procedure__field_id=scope.field_id)
    return q


def feedback_counters(scope: Scope, start: dt.date, end: dt.date) -> FeedbackCounters:
    """G6 petition indicators over [start, end] (end already clamped), one query.

    Handled on time: petitions whose handling ended (resolved or refused) in the period, on
    time, plus those still open at the period end and not overdue then; the base is the
    ended-in-period plus the open-at-end ones (the dossier rule, DOMAIN §4). Satisfaction:
    petitions resolved in the period and rated: not dissatisfied ÷ rated."""
    from tinhso.ioc.kpi import FeedbackCounters

    return feedback_counters_by_agency(scope, start, end, grouped=False).get(
        None, FeedbackCounters())


def feedback_counters_by_agency(scope: Scope, start: dt.date, end: dt.date,
                                grouped: bool = True) -> dict[int | None, FeedbackCounters]:
    from tinhso.ioc.kpi import FeedbackCounters
    from tinhso.ioc.profile import day_start

    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    ended = Q(handled_at__gte=lo, handled_at__lt=hi)
    open_ = Q(submitted_at__lt=hi) & (Q(handled_at__isnull=True) | Q(handled_at__gte=hi))
    # Waiting for the citizen with time left: not overdue (the clock is stopped).
    paused = Q(status=FeedbackStatus.SUPPLEMENT_REQUESTED, paused_at__isnull=False,
               handled_at__isnull=True)
    not_overdue = (paused & Q(handle_due_at__gte=F("paused_at"))) | (
        ~paused & Q(handle_due_at__gte=hi))
    resolved = ended & Q(status__in=sorted(HANDLED_STATUSES))
    aggregates = {
        "ended_on_time": Count("id", filter=ended & Q(handled_on_time=True)),
        "ended": Count("id", filter=ended),
        "open_ok": Count("id", filter=open_ & not_overdue),
        "open": Count("id", filter=open_),
        "n_rated": Count("id", filter=resolved & Q(rating__isnull=False)),
        "n_satisfied": Count("id", filter=resolved & Q(rating__gte=0)),
    }
    qs = Feedback.objects.filter(_scope_q(scope))
    rows: list[dict[str, Any]] = ([{**r, "_g": r["agency_id"]} for r in
             qs.values("agency_id").annotate(**aggregates).order_by()] if grouped
            else [{**qs.aggregate(**aggregates), "_g": None}])
    return {
        row["_g"]: FeedbackCounters(
            handled_on_time=row["ended_on_time"] + row["open_ok"],
            handled_base=row["ended"] + row["open"],
            satisfied=row["n_satisfied"], rated=row["n_rated"],
        )
        for row in rows
    }
