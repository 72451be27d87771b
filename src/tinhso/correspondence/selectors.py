"""Reads of correspondence, scoped to what the user may see (``visible_to``).

Search over both registers: the query is folded like ``search_text`` (no diacritics, lower
case) and every word must occur. When no row matches exactly, each word of four letters or more
is tried with one typo (a letter replaced, missing or extra) as a regular expression; on
PostgreSQL a trigram GIN index serves both the substring and the regular-expression form, so
the search stays an index scan at a million rows (docs/correspondence.md#search).
Lists page by keyset (date, id), never by offset.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.core.text import fold
from tinhso.correspondence.models import (
    CorrFile,
    ExchangeMessage,
    IncomingDocument,
    IncomingEvent,
    InState,
    OrgUnit,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingRecipient,
    OutgoingVersion,
    OutState,
)

MAX_WORDS = 8
MAX_FUZZY_WORDS = 4
REGISTERED_OUT = (OutState.SIGNED, OutState.ISSUED, OutState.RELEASED, OutState.WITHDRAWN)
OPEN_IN = (InState.REGISTERED, InState.ASSIGNED, InState.PROCESSING)


def _typo_pattern(word: str) -> str:
    """One substitution, deletion or insertion anywhere in ``word``."""
    pieces = {re.escape(word)}
    for i in range(len(word)):
        pieces.add(re.escape(word[:i]) + "." + re.escape(word[i + 1:]))
        pieces.add(re.escape(word[:i]) + re.escape(word[i + 1:]))
        pieces.add(re.escape(word[:i]) + "." + re.escape(word[i:]))
    return "(" + "|".join(sorted(pieces)) + ")"


def search(qs: QuerySet[Any], query: str) -> QuerySet[Any]:
    words = fold(query or "").split()[:MAX_WORDS]
    if not words:
        return qs
    exact = qs
    for word in words:
        exact = exact.filter(search_text__contains=word)
    if exact.exists():
        return exact
    fuzzy = qs
    for i, word in enumerate(words):
        if len(word) >= 4 and i < MAX_FUZZY_WORDS:
            fuzzy = fuzzy.filter(search_text__regex=_typo_pattern(word))
        else:
            fuzzy = fuzzy.filter(search_text__contains=word)
    return fuzzy


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def _cursor(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    head, _, tail = value.rpartition("_")
    try:
        return head, int(tail)
    except ValueError:
        raise ValidationFailed("INVALID_CURSOR", "Con trỏ trang không hợp lệ.",
                               "Invalid page cursor.", {"cursor": value[:60]}) from None


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _date_bounds(qs: QuerySet[Any], field: str, date_from: dt.date | None,
                 date_to: dt.date | None) -> QuerySet[Any]:
    """Date bounds; on a datetime column as local midnights (the day's start, the next day's
    start), so the (agency, received_at) index serves them — a ``__date`` cast would not."""
    if field.endswith("_on"):
        if date_from:
            qs = qs.filter(**{f"{field}__gte": date_from})
        if date_to:
            qs = qs.filter(**{f"{field}__lte": date_to})
        return qs
    if date_from:
        qs = qs.filter(**{f"{field}__gte": _local_midnight(date_from)})
    if date_to:
        qs = qs.filter(**{f"{field}__lt": _local_midnight(date_to + dt.timedelta(days=1))})
    return qs


def outgoing_register(user: Any, *, query: str = "", date_from: dt.date | None = None,
                      date_to: dt.date | None = None, doc_type: str = "",
                      cursor: str | None = None, limit: int = 50) -> Page:
    qs: QuerySet[Any] = OutgoingDocument.objects.visible_to(user).filter(
        state__in=REGISTERED_OUT)
    qs = _date_bounds(qs, "promulgated_on", date_from, date_to)
    if doc_type:
        qs = qs.filter(doc_type=doc_type)
    qs = search(qs, query).select_related("agency", "signer")
    after = _cursor(cursor)
    if after:
        try:
            day = dt.date.fromisoformat(after[0])
        except ValueError:
            raise ValidationFailed("INVALID_CURSOR", "Con trỏ trang không hợp lệ.",
                                   "Invalid page cursor.") from None
        qs = qs.filter(Q(promulgated_on__lt=day) | Q(promulgated_on=day, id__lt=after[1]))
    rows = list(qs.order_by("-promulgated_on", "-id")[:limit + 1])
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = f"{last.promulgated_on.isoformat()}_{last.pk}"
    return Page(rows[:limit], nxt)


FIRST_REGISTER_YEAR = 1975


def _search_incoming(qs: QuerySet[Any], query: str) -> QuerySet[Any]:
    """A query of digits only is first an incoming number: the documents registered under it
    (any year), found by the (agency, year, incoming_number) unique index — one index descent per
    year. Only when there is none does it fall back to the text search. As a text search, a
    number's few trigrams looked common to the planner, which then walked the whole register in
    date order to fill a page: 1.3 s p95 at 10⁶ rows (docs/benchmarks.md)."""
    text = (query or "").strip()
    if text.isdigit() and len(text) <= 9:
        years = list(range(FIRST_REGISTER_YEAR, timezone.localdate().year + 2))
        by_number = qs.filter(year__in=years, incoming_number=int(text))
        if by_number.exists():
            return by_number
    return search(qs, query)


def incoming_register(user: Any, *, query: str = "", date_from: dt.date | None = None,
                      date_to: dt.date | None = None, state: str = "",
                      cursor: str | None = None, limit: int = 50) -> Page:
    qs: QuerySet[Any] = IncomingDocument.objects.visible_to(user)
    qs = _date_bounds(qs, "received_at", date_from, date_to)
    if state == "open":
        qs = qs.filter(state__in=OPEN_IN)
    elif state == "overdue":
        qs = qs.filter(state__in=OPEN_IN, due_on__lt=timezone.localdate())
    elif state:
        qs = qs.filter(state=state)
    qs = _search_incoming(qs, query).select_related("agency", "handling_unit", "handler")
    after = _cursor(cursor)
    if after:
        try:
            moment = dt.datetime.fromisoformat(after[0])
        except ValueError:
            raise ValidationFailed("INVALID_CURSOR", "Con trỏ trang không hợp lệ.",
                                   "Invalid page cursor.") from None
        qs = qs.filter(Q(received_at__lt=moment) | Q(received_at=moment, id__lt=after[1]))
    rows = list(qs.order_by("-received_at", "-id")[:limit + 1])
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = f"{last.received_at.isoformat()}_{last.pk}"
    return Page(rows[:limit], nxt)


def outgoing_get(user: Any, pk: int) -> OutgoingDocument:
    doc: OutgoingDocument | None = (
        OutgoingDocument.objects.visible_to(user)
        .select_related("agency", "unit", "unit__head", "author", "signer")
           .filter(pk=pk).first())
    if doc is None:
        raise NotFound("Không tìm thấy văn bản đi.", "Outgoing document not found.",
                       code="CORR_NOT_FOUND")
    return doc


def incoming_get(user: Any, pk: int) -> IncomingDocument:
    doc: IncomingDocument | None = (
        IncomingDocument.objects.visible_to(user)
        .select_related("agency", "handling_unit", "handling_unit__head", "handler")
           .filter(pk=pk).first())
    if doc is None:
        raise NotFound("Không tìm thấy văn bản đến.", "Incoming document not found.",
                       code="CORR_NOT_FOUND")
    return doc


def outgoing_by_uuid(user: Any, uuid: str) -> OutgoingDocument:
    doc: OutgoingDocument | None = OutgoingDocument.objects.visible_to(user).filter(
        uuid=uuid).first()
    if doc is None:
        raise NotFound("Không tìm thấy văn bản đi.", "Outgoing document not found.",
                       code="CORR_NOT_FOUND")
    return doc


def work_queue(user: Any) -> list[OutgoingDocument]:
    """Drafts waiting for this user: their own drafts, the head's and the leaders' queues,
    the clerk's documents to seal and release."""
    qs = OutgoingDocument.objects.visible_to(user).exclude(
        state__in=(OutState.RELEASED, OutState.WITHDRAWN))
    mine = Q(author_id=user.pk, state=OutState.DRAFT) | Q(
        state=OutState.PENDING_HEAD, unit__head_id=user.pk)
    if user.has_role("leader"):
        mine |= Q(state=OutState.PENDING_LEADER)
    if user.has_role("clerk"):
        mine |= Q(state__in=(OutState.SIGNED, OutState.ISSUED))
    return list(qs.filter(mine).select_related("agency", "unit", "author")
                .order_by("-updated_at", "-id")[:200])


def versions(doc: OutgoingDocument, user: Any) -> QuerySet[OutgoingVersion]:
    return OutgoingVersion.objects.visible_to(user).filter(document=doc).select_related("author")


def outgoing_events(doc: OutgoingDocument, user: Any) -> QuerySet[OutgoingEvent]:
    return OutgoingEvent.objects.visible_to(user).filter(document=doc).select_related("actor")


def recipients(doc: OutgoingDocument, user: Any) -> QuerySet[OutgoingRecipient]:
    return OutgoingRecipient.objects.visible_to(user).filter(document=doc)


def incoming_events(doc: IncomingDocument, user: Any) -> QuerySet[IncomingEvent]:
    return IncomingEvent.objects.visible_to(user).filter(incoming=doc).select_related(
        "actor", "to_unit", "to_user")


def files_of(user: Any, *, incoming: IncomingDocument | None = None,
             outgoing: OutgoingDocument | None = None) -> QuerySet[CorrFile]:
    qs = CorrFile.objects.visible_to(user)
    return qs.filter(incoming=incoming) if incoming is not None else qs.filter(outgoing=outgoing)


def file_get(user: Any, pk: int) -> CorrFile:
    row: CorrFile | None = CorrFile.objects.visible_to(user).filter(pk=pk).first()
    if row is None:
        raise NotFound("Không tìm thấy tệp.", "File not found.", code="CORR_NOT_FOUND")
    return row


def units(user: Any) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.visible_to(user).filter(agency_id=user.agency_id).select_related(
        "head")


def unit_get(user: Any, pk: int | None) -> OrgUnit | None:
    if pk is None:
        return None
    unit: OrgUnit | None = OrgUnit.objects.visible_to(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound("Không tìm thấy đơn vị.", "Unit not found.", code="CORR_NOT_FOUND")
    return unit


def colleague_get(user: Any, pk: int | None) -> Any:
    from tinhso.accounts.models import User

    if pk is None:
        return None
    row = User.objects.visible_to(user).filter(pk=pk, agency_id=user.agency_id).first()
    if row is None:
        raise NotFound("Không tìm thấy cán bộ.", "Official not found.", code="CORR_NOT_FOUND")
    return row


def colleagues(user: Any) -> QuerySet[Any]:
    from tinhso.accounts.models import User

    return User.objects.visible_to(user).filter(agency_id=user.agency_id, is_active=True,
                                                kind="official").order_by("full_name")


def pending_messages(user: Any) -> QuerySet[ExchangeMessage]:
    return ExchangeMessage.objects.visible_to(user).filter(direction="out",
                                                           sent_at__isnull=True)


@dataclass
class UnitLoad:
    agency: str
    unit: str
    open: int
    due_soon: int
    overdue: int


def ioc_due_by_unit(user: Any, *, today: dt.date | None = None,
                    soon_days: int = 3) -> list[UnitLoad]:
    """The IOC card for leaders: open incoming documents per handling unit, those due within
    ``soon_days`` calendar days and those overdue (one grouped query)."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=soon_days)
    rows = (IncomingDocument.objects.visible_to(user).filter(state__in=OPEN_IN)
            .values("agency__name", "handling_unit__name")
            .annotate(open=Count("id"),
                      due_soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=soon)),
                      overdue=Count("id", filter=Q(due_on__lt=today)))
            .order_by("-overdue", "-due_soon", "agency__name", "handling_unit__name"))
    return [UnitLoad(r["agency__name"], r["handling_unit__name"] or "Chưa phân công",
                     r["open"], r["due_soon"], r["overdue"]) for r in rows[:200]]
