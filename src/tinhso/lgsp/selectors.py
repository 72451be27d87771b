"""Registry and log reads for operators (the registry is not agency-scoped: it is the province's
integration switchboard, run by LGSP operators only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tinhso.lgsp.models import LogEntry, Member, Service
from tinhso.lgsp.permissions import require_operator


def members(user: Any) -> QuerySet[Member]:
    require_operator(user)
    return Member.objects.prefetch_related("subsystems").order_by(
        "instance", "member_class", "member_code")


def services_list(user: Any) -> QuerySet[Service]:
    require_operator(user)
    return Service.objects.select_related("subsystem__member").prefetch_related(
        "access_rights__client__member").order_by("subsystem_id", "code")


def log_entries(user: Any, *, start: int, limit: int) -> QuerySet[LogEntry]:
    require_operator(user)
    return LogEntry.objects.filter(index__gte=start).order_by("index")[:limit]
