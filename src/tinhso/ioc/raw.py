"""The dossier counters computed straight from Dossier and DossierEvent, in SQL.

This is the query a BI tool would send: the reference against which the facts are tested
(tests/ioc/test_facts_equal_raw.py) and benchmarked (bench/ioc.py). The rules are those of
tinhso.ioc.profile, written as SQL expressions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least

from tinhso.catalog.models import OnlineLevel
from tinhso.dossiers.models import Action, Channel, Dossier, DossierEvent, Status
from tinhso.ioc.kpi import DossierCounters
from tinhso.ioc.profile import day_start
from tinhso.ioc.scopes import Directory, Scope

FAR = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
RESULT = [Status.PROCESSED, Status.RETURNED]


def annotated(qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """Dossiers with ``o`` (the moment they became overdue, FAR if never) and ``complained``."""
    from tinhso.feedback.selectors import complaints_about

    events = DossierEvent.objects.filter(dossier_id=OuterRef("pk"))
    last_pause = events.filter(
        action__in=[Action.REQUEST_SUPPLEMENT, Action.SUPPLEMENT], at__lte=OuterRef("finished_at")
    ).order_by("-at", "-id")
    dt_field = DateTimeField()
    return qs.annotate(
        second_req=Subquery(events.filter(action=Action.REQUEST_SUPPLEMENT)
                            .order_by("at", "id").values("at")[1:2], output_field=dt_field),
        lp_action=Subquery(last_pause.values("action")[:1]),
        lp_at=Subquery(last_pause.values("at")[:1], output_field=dt_field),
        complained=Exists(complaints_about(OuterRef("pk"))),
    ).annotate(
        # Ended while waiting for the applicant: the clock stopped at the request.
        end_pause=Case(When(Q(finished_at__isnull=False, lp_action=Action.REQUEST_SUPPLEMENT),
                            then=F("lp_at")), default=None, output_field=dt_field),
    ).annotate(
        clock_stop=Case(
            When(finished_at__isnull=False, then=Coalesce("end_pause", "finished_at")),
            When(status__in=[Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED],
                 paused_at__isnull=False, then=F("paused_at")),
            default=None, output_field=dt_field),
    ).annotate(
        o_due=Case(
            When(Q(original_due_at__isnull=False)
                 & (Q(clock_stop__isnull=True) | Q(original_due_at__lt=F("clock_stop"))),
                 then=F("original_due_at")),
            default=Value(FAR), output_field=dt_field),
        o_rule=Case(When(supplement_count__gte=2, then=Coalesce("second_req", "received_at")),
                    default=Value(FAR), output_field=dt_field),
    ).annotate(o=Least("o_due", "o_rule"))


def _scope_filter(scope: Scope) -> Q:
    q = Q()
    for key, value in scope.fact_filter().items():
        q &= Q(**{key: value})
    return q


def dossier_counters_from_raw(scope: Scope, start: dt.date, end: dt.date, catalog: Any,
                              directory: Directory, group: str | None = None
                              ) -> dict[Any, DossierCounters]:
    """Same contract as selectors.dossier_counters_from_facts (``end`` already clamped)."""
    group_col = {None: None, "agency": "agency_id", "unit": "unit_id"}[group]
    if end < start:
        return {None: DossierCounters()} if group is None else {}
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    base = Q(received_at__isnull=False) & ~Q(status=Status.WITHDRAWN)
    recv = base & Q(received_at__gte=lo, received_at__lt=hi)
    fin = base & Q(finished_at__gte=lo, finished_at__lt=hi)
    late = Q(o__lt=FAR)
    on_time = Q(o__gte=FAR)
    open_ = base & Q(received_at__lt=hi) & (Q(finished_at__isnull=True) | Q(finished_at__gte=hi))
    result = Q(status__in=RESULT)
    eresult = result & Q(result_electronic=True)
    online_proc = Q(procedure__online_level__in=[OnlineLevel.FULL, OnlineLevel.PARTIAL])
    fee_proc = Q(procedure__fee__gt=0)
    online = Q(channel=Channel.ONLINE)
    certified = Q()
    from tinhso.ioc.selectors import CERTIFIED_COPY_PREFIXES

    for prefix in CERTIFIED_COPY_PREFIXES:
        certified |= Q(procedure__code__startswith=prefix)

    def n(q: Q) -> Count:
        return Count("id", filter=q)

    aggregates: dict[str, Any] = {
        "finished_on_time": n(fin & on_time),
        "finished_late": n(fin & late),
        "open_total": n(open_),
        "open_overdue": n(open_ & Q(o__lt=hi)),
        "received": n(recv),
        "received_online": n(recv & online),
        "received_oc": n(recv & online_proc),
        "received_online_oc": n(recv & online_proc & online),
        "received_fee": n(recv & fee_proc),
        "received_fee_paid_online": n(recv & fee_proc & Q(paid_online=True)),
        "received_paid_online": n(recv & Q(paid_online=True)),
        "received_digitized": n(recv & Q(components_digitized=True)),
        "finished_with_result": n(fin & result),
        "finished_eresult": n(fin & eresult),
        "finished_digitized": n(fin & eresult & Q(components_digitized=True)),
        "finished_rated": n(fin & Q(rating__isnull=False)),
        "finished_disliked": n(fin & Q(rating__lt=0)),
        "finished_unsatisfied": n(fin & (Q(rating__lt=0) | Q(complained=True))),
        "finished_multi_supplement": n(fin & Q(supplement_count__gte=2)),
        "refused": n(Q(received_at__isnull=True, status=Status.REFUSED,
                       finished_at__gte=lo, finished_at__lt=hi)),
        "fee_amount": Sum("fee_amount", filter=recv, default=0),
        "paid_online_amount": Sum("fee_amount", filter=recv & Q(paid_online=True), default=0),
    }
    # Aliases must not shadow model fields (fee_amount): prefix them.
    aliased = {f"x_{name}": agg for name, agg in aggregates.items()}
    qs = annotated(Dossier.objects.filter(_scope_filter(scope)))
    out: dict[Any, DossierCounters] = defaultdict(DossierCounters)
    if group_col is None:
        rows = [{**qs.aggregate(**aliased), "_g": None}]
    else:
        rows = [{**r, "_g": r[group_col]}
                for r in qs.values(group_col).annotate(**aliased).order_by()]
    for row in rows:
        counters = out[row["_g"]]
        for name in aggregates:
            setattr(counters, name, int(row[f"x_{name}"] or 0))
    plain = Dossier.objects.filter(_scope_filter(scope))
    cols = [c for c in (group_col, "procedure_id") if c]
    used: dict[Any, set[int]] = defaultdict(set)
    for row in plain.filter(recv & online_proc & online).values(*cols).distinct().order_by():
        used[row[group_col] if group_col else None].add(row["procedure_id"])
    for key, ids in used.items():
        out[key].online_used_procedures = frozenset(ids)
    communes: dict[Any, set[int]] = defaultdict(set)
    ucols = [c for c in (group_col, "unit_id") if c]
    for row in plain.filter(fin & eresult & certified).values(*ucols).distinct().order_by():
        shown = directory.view_unit(row["unit_id"], scope.view_structure)
        if shown is not None:
            communes[row[group_col] if group_col else None].add(shown)
    for key, ids in communes.items():
        out[key].certified_communes = frozenset(ids)
    if group is None:
        return {None: out[None]}
    return dict(out)
