"""Reads of official mail, scoped (``visible_to``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tinhso.core.text import fold
from tinhso.mail.models import AddressEntry, InboundMessage, OutboundMail


def address_book(user: Any, query: str = "", agency_code: str = "") -> QuerySet[AddressEntry]:
    """Active entries; ``query`` matches name, position, address or agency, without diacritics
    and word by word (``so tu phap`` finds «Sở Tư pháp»)."""
    qs = (AddressEntry.objects.visible_to(user).filter(is_active=True)
          .select_related("agency").order_by("agency__name", "kind", "name"))
    for word in fold(query).split()[:8]:
        qs = qs.filter(Q(search_text__contains=word))
    if agency_code:
        qs = qs.filter(agency__code=agency_code)
    return qs


def outbound_visible_to(user: Any) -> QuerySet[OutboundMail]:
    return OutboundMail.objects.visible_to(user).select_related("agency")


def inbound_visible_to(user: Any) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.visible_to(user).select_related("agency", "mailbox")
