"""The IOC's money page (/ioc/thu-phi/): fees and charges collected by month, channel and
agency, from the payments' ledger, within the agencies the user's dashboards cover."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tinhso.accounts.permissions import is_active_official
from tinhso.payments import selectors
from tinhso.payments.models import LedgerKind
from tinhso.payments.settlement import CHANNEL_NAMES, VN

MONTHS = 12


def money(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or not is_active_official(request.user):
        raise PermissionDenied("Chỉ cán bộ được xem bảng điều hành IOC.")
    today = timezone.localdate()
    start = dt.datetime(today.year - (1 if today.month < MONTHS else 0),
                        (today.month % MONTHS) + 1, 1, tzinfo=VN)
    rows = (selectors.ledger_for_dashboards(request.user)  # type: ignore[arg-type]
            .filter(at__gte=start)
            .annotate(month=TruncMonth("at", tzinfo=VN))
            .values("month", "channel")
            .annotate(n=Count("id", filter=Q(kind=LedgerKind.COLLECTED)),
                      collected=Sum("amount", filter=Q(kind=LedgerKind.COLLECTED)),
                      refunded=Sum("amount", filter=Q(kind=LedgerKind.REFUNDED)))
            .order_by("month", "channel"))
    months: dict[str, dict[str, Any]] = defaultdict(lambda: {"channels": {}, "total": 0})
    channels: set[str] = set()
    for row in rows:
        key = row["month"].strftime("%m/%Y")
        net = int(row["collected"] or 0) + int(row["refunded"] or 0)
        months[key]["channels"][row["channel"]] = net
        months[key]["total"] += net
        channels.add(row["channel"])
    order = sorted(channels)
    table = [{"month": key, "cells": [value["channels"].get(c, 0) for c in order],
              "total": value["total"]} for key, value in months.items()]
    peak = max((r["total"] for r in table), default=0)
    for r in table:
        r["bar"] = round(100 * r["total"] / peak) if peak else 0
    return render(request, "ioc/money.html", {
        "rows": table, "channels": [CHANNEL_NAMES.get(c, c) for c in order],
        "grand_total": sum(r["total"] for r in table)})
