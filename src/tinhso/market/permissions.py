"""Who may do what in the marketplace.

Market officers: active officials of the agriculture department (the agency whose code is
``TINHSO_MARKET_AGENCY``) and province admins / superusers. They verify sellers and their
certificates, review reports, resolve disputes and keep the price bulletin.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from tinhso.core.errors import PermissionDenied
from tinhso.core.scoping import is_province_wide, is_signed_in


def market_agency_code() -> str:
    return str(settings.TINHSO_MARKET_AGENCY)


def is_market_officer(user: Any) -> bool:
    if not is_signed_in(user):
        return False
    if is_province_wide(user):
        return True
    if not getattr(user, "is_official", False) or user.agency_id is None:
        return False
    cached = getattr(user, "_market_officer", None)
    if cached is None:
        from tinhso.units.models import Agency

        cached = Agency.objects.filter(pk=user.agency_id, code=market_agency_code(),
                                       is_active=True).exists()
        user._market_officer = cached
    return bool(cached)


def require_market_officer(user: Any) -> None:
    if not is_market_officer(user):
        raise PermissionDenied({"reason": "market officers only"})


def market_officers() -> list[Any]:
    """The department's active officials (told when a dispute escalates; province admins may
    act too but are not messaged about every dispute)."""
    from tinhso.accounts.models import AccountKind, User

    return list(User.objects.filter(is_active=True, kind=AccountKind.OFFICIAL,
                                    agency__code=market_agency_code(), agency__is_active=True)
                .order_by("pk"))
