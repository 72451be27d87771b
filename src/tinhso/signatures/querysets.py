"""Scoped querysets of certificates, requests and their events (see tinhso.core.scoping).

CA operators (``can_operate_ca``) see everything; others the certificates and requests they
hold or asked for, and an agency admin also those held by their agency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, either, is_signed_in

if TYPE_CHECKING:  # the models import these querysets: names for the type checker only
    from tinhso.signatures.models import Certificate, CertificateEvent, CertificateRequest  # noqa: F401


def holder_q(user: Any, prefix: str = "", *, requester: bool = False) -> Q | None:
    from tinhso.signatures.permissions import can_operate_ca

    if not is_signed_in(user):
        return NOTHING
    if can_operate_ca(user):
        return None
    mine = Q(**{f"{prefix}holder_user_id": user.pk})
    if requester:
        mine |= Q(**{f"{prefix}requested_by_id": user.pk})
    if getattr(user, "is_official", False) and user.agency_id and user.has_role("agency_admin"):
        mine |= Q(**{f"{prefix}holder_agency_id": user.agency_id})
    return mine


class CertificateQuerySet(ScopedQuerySet["Certificate"]):
    def scope(self, user: Any) -> Q | None:
        return holder_q(user)


class CertificateRequestQuerySet(ScopedQuerySet["CertificateRequest"]):
    def scope(self, user: Any) -> Q | None:
        return holder_q(user, requester=True)


class CertificateEventQuerySet(ScopedQuerySet["CertificateEvent"]):
    """An event is visible with the certificate or the request it is about; CA-level events
    (a CA created, an anchor imported) only to CA operators."""

    def scope(self, user: Any) -> Q | None:
        return either(holder_q(user, "certificate__"),
                      holder_q(user, "request__", requester=True))
