"""Scoped querysets of official mail (see tinhso.core.scoping).

The address book is an officials' directory: every active official reads it (citizens do not:
it lists officials by name). Mailboxes, sent and received mail are the owning agency's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, agency_q, is_signed_in

if TYPE_CHECKING:
    from tinhso.mail.models import (  # noqa: F401
        AddressEntry,
        InboundMessage,
        Mailbox,
        OutboundMail,
    )


def directory_q(user: Any) -> Q | None:
    if is_signed_in(user) and (getattr(user, "is_official", False) or user.is_superuser):
        return None
    return NOTHING


class AddressEntryQuerySet(ScopedQuerySet["AddressEntry"]):
    def scope(self, user: Any) -> Q | None:
        return directory_q(user)


class MailboxQuerySet(ScopedQuerySet["Mailbox"]):
    def scope(self, user: Any) -> Q | None:
        return agency_q(user)


class OutboundMailQuerySet(ScopedQuerySet["OutboundMail"]):
    def scope(self, user: Any) -> Q | None:
        return agency_q(user)


class InboundMessageQuerySet(ScopedQuerySet["InboundMessage"]):
    def scope(self, user: Any) -> Q | None:
        return agency_q(user)
