"""From a number to the dossiers behind it, and the operational queues.

Drill-down reads DossierFactState, the per-dossier record the facts are summed from, with the
same conditions as the counters (tinhso.ioc.profile.contributions): the list behind a number
always has exactly that many dossiers. Lists are keyset-paginated on (day, dossier) with the
indexes declared on DossierFactState, so a page costs the same at 10 million dossiers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from tinhso.dossiers.models import Dossier, Status
from tinhso.ioc.models import DossierFactState
from tinhso.ioc.profile import (
    F_DISLIKED,
    F_ERESULT,
    F_ON_TIME,
    F_ONLINE,
    F_PAID_ONLINE,
    F_WITH_RESULT,
)
from tinhso.ioc.scopes import Directory, Reach, Scope
from tinhso.portal.paging import KeysetPage, keyset_paginate
from tinhso.workdays.calendar import add_working_days


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    day: str            # the state column the list is sorted by
    period: bool        # True: the day lies in [from, to]; False: judged at `to`


METRICS: dict[str, Metric] = {m.code: m for m in (
    Metric("received", "Hồ sơ tiếp nhận trong kỳ", "received_day", True),
    Metric("received_online", "Hồ sơ nộp trực tuyến", "received_day", True),
    Metric("paid_online", "Hồ sơ thanh toán trực tuyến", "received_day", True),
    Metric("finished", "Hồ sơ giải quyết xong trong kỳ", "finished_day", True),
    Metric("finished_on_time", "Hồ sơ giải quyết đúng hạn", "finished_day", True),
    Metric("finished_late", "Hồ sơ giải quyết quá hạn", "finished_day", True),
    Metric("eresult", "Hồ sơ có kết quả điện tử", "finished_day", True),
    Metric("unsatisfied", "Hồ sơ bị phản ánh hoặc không hài lòng", "finished_day", True),
    Metric("open", "Hồ sơ đang giải quyết cuối kỳ", "received_day", False),
    Metric("open_overdue", "Hồ sơ đang giải quyết đã quá hạn cuối kỳ", "received_day", False),
    Metric("refused", "Hồ sơ từ chối tiếp nhận", "refused_day", True),
)}


def _bit(qs: QuerySet[DossierFactState], name: str, bit: int, on: bool = True
         ) -> QuerySet[DossierFactState]:
    qs = qs.annotate(**{name: F("flags").bitand(bit)})
    return qs.filter(**{f"{name}__gt": 0}) if on else qs.filter(**{name: 0})


def scope_states(scope: Scope, directory: Directory) -> QuerySet[DossierFactState]:
    qs = DossierFactState.objects.all()
    if scope.unit_ids is not None:
        qs = qs.filter(unit_id_key__in=sorted(scope.unit_ids))
    if scope.agency_ids is not None:
        qs = qs.filter(agency_id_key__in=sorted(scope.agency_ids))
    if scope.procedure_id is not None:
        qs = qs.filter(procedure_id_key=scope.procedure_id)
    if scope.field_id is not None:
        from tinhso.catalog.models import Procedure

        qs = qs.filter(procedure_id_key__in=Procedure.objects.filter(field_id=scope.field_id)
                       .values("id"))
    return qs


def metric_states(scope: Scope, directory: Directory, metric: str, start: dt.date,
                  end: dt.date) -> QuerySet[DossierFactState]:
    """The states counted by ``metric`` over [start, end] (end already clamped)."""
    m = METRICS[metric]
    qs = scope_states(scope, directory)
    if m.period:
        qs = qs.filter(**{f"{m.day}__gte": start, f"{m.day}__lte": end})
    if metric == "refused":
        return qs
    qs = qs.filter(received_day__isnull=False)
    if metric == "received_online":
        return _bit(qs, "b_online", F_ONLINE)
    if metric == "paid_online":
        return _bit(qs, "b_paid", F_PAID_ONLINE)
    if metric == "finished_on_time":
        return _bit(qs, "b_on_time", F_ON_TIME)
    if metric == "finished_late":
        return _bit(qs, "b_on_time", F_ON_TIME, on=False)
    if metric == "eresult":
        # b_eresult is annotated by _bit, which the stubs do not follow.
        return _bit(qs, "b_eresult", F_WITH_RESULT | F_ERESULT).filter(  # type: ignore[misc]
            b_eresult=F_WITH_RESULT | F_ERESULT)
    if metric == "unsatisfied":
        return qs.annotate(b_disliked=F("flags").bitand(F_DISLIKED)).filter(
            Q(b_disliked__gt=0) | Q(complained=True))
    if metric in ("open", "open_overdue"):
        qs = qs.filter(received_day__lte=end).filter(
            Q(finished_day__isnull=True) | Q(finished_day__gt=end))
        if metric == "open_overdue":
            qs = qs.filter(overdue_day__lte=end)
        return qs
    return qs


@dataclass
class DrillRow:
    dossier: Dossier
    state: DossierFactState


def drilldown_page(scope: Scope, directory: Directory, metric: str, start: dt.date,
                   end: dt.date, after: str | None = None, before: str | None = None,
                   per_page: int = 50) -> KeysetPage:
    """One page of the dossiers behind a number (two queries)."""
    m = METRICS[metric]
    page = keyset_paginate(metric_states(scope, directory, metric, start, end),
                           sort=f"-{m.day}", per_page=per_page, after=after, before=before)
    dossiers = Dossier.objects.select_related("procedure", "agency").in_bulk(
        [s.pk for s in page.rows])
    page.rows = [DrillRow(dossiers[s.pk], s) for s in page.rows if s.pk in dossiers]
    return page


def drilldown_rows(scope: Scope, directory: Directory, metric: str, start: dt.date,
                   end: dt.date, limit: int = 100_000) -> Iterator[Dossier]:
    """Every dossier behind a number, for the exports (in chunks, bounded)."""
    m = METRICS[metric]
    ids = metric_states(scope, directory, metric, start, end).order_by(
        f"-{m.day}", "-dossier_id").values_list("dossier_id", flat=True)[:limit]
    chunk: list[int] = []
    for dossier_id in ids.iterator(chunk_size=2000):
        chunk.append(dossier_id)
        if len(chunk) == 2000:
            yield from _dossiers(chunk)
            chunk = []
    if chunk:
        yield from _dossiers(chunk)


def _dossiers(ids: list[int]) -> Iterator[Dossier]:
    found = Dossier.objects.select_related("procedure", "agency").in_bulk(ids)
    for dossier_id in ids:
        if dossier_id in found:
            yield found[dossier_id]


# --------------------------------------------------------------------------------------------
# Operational queues (the dossiers as they are now)
# --------------------------------------------------------------------------------------------

RUNNING = [Status.RECEIVED, Status.PROCESSING, Status.PAYMENT_REQUESTED]


def reach_dossiers(reach: Reach) -> QuerySet[Dossier]:
    qs = Dossier.objects.all()
    if reach.everything:
        return qs
    return qs.filter(Q(agency_id__in=sorted(reach.agency_ids))
                     | Q(unit_id__in=sorted(reach.unit_ids)))


def reach_dossier_get(reach: Reach, code: str) -> Dossier | None:
    """One dossier by code if it lies within the reach (else None: answered as missing)."""
    return (reach_dossiers(reach).select_related("procedure", "agency", "unit", "assignee")
            .filter(code=code).first())


def dossier_in_reach(reach: Reach, dossier: Dossier) -> bool:
    return (reach.everything or dossier.agency_id in reach.agency_ids
            or dossier.unit_id in reach.unit_ids)


def operational_queues(reach: Reach, now: dt.datetime | None = None, limit: int = 20
                       ) -> dict[str, Any]:
    """Due within one working day, overdue (by agency and by officer), supplements pending.
    Seven queries whatever the volume (indexes: dossier_agency_queue, dossier_assignee)."""
    now = now or timezone.now()
    horizon = add_working_days(now, 1)
    # A clock paused for financial obligations is neither due soon nor overdue.
    base = reach_dossiers(reach).filter(status__in=RUNNING, due_at__isnull=False,
                                        paused_at__isnull=True)
    due_soon = base.filter(due_at__gte=now, due_at__lte=horizon)
    overdue = base.filter(due_at__lt=now)
    supplement = reach_dossiers(reach).filter(status=Status.SUPPLEMENT_REQUESTED)
    related = ("procedure", "agency", "assignee")
    by_agency = list(overdue.values("agency_id", "agency__name", "agency__code")
                     .annotate(n=Count("id")).order_by("-n", "agency__name")[:50])
    by_officer = list(overdue.filter(assignee__isnull=False)
                      .values("assignee_id", "assignee__full_name", "assignee__username",
                              "agency__name")
                      .annotate(n=Count("id")).order_by("-n")[:50])
    return {
        "now": now, "horizon": horizon,
        "due_soon": list(due_soon.select_related(*related).order_by("due_at", "id")[:limit]),
        "due_soon_count": due_soon.count(),
        "overdue": list(overdue.select_related(*related).order_by("due_at", "id")[:limit]),
        "overdue_count": overdue.count(),
        "overdue_by_agency": by_agency,
        "overdue_by_officer": by_officer,
        "supplement": list(supplement.select_related(*related)
                           .order_by("paused_at", "id")[:limit]),
        "supplement_count": supplement.count(),
    }
