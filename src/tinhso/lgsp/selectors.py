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


# --- Public reads of the verifiable log (proofs are for anyone) -----------------------------

def signed_head_of_size(size: int) -> Any:
    """The newest signed tree head of this size, or None."""
    from tinhso.lgsp.models import SignedTreeHead

    return SignedTreeHead.objects.filter(tree_size=size).order_by("-timestamp_ms").first()


def latest_signed_head() -> Any:
    """The newest signed tree head, or None."""
    from tinhso.lgsp.models import SignedTreeHead

    return SignedTreeHead.objects.order_by("-tree_size", "-timestamp_ms").first()


def leaf_index(leaf_hash: bytes, size: int) -> int | None:
    """The first leaf with this hash in a tree of ``size`` leaves: a public proof names only
    the leaf's position (the entry itself stays the operators')."""
    from tinhso.lgsp.models import LogEntry

    return (LogEntry.objects.filter(leaf_hash=leaf_hash, index__lt=size)
            .order_by("index").values_list("index", flat=True).first())
