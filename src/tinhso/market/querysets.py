"""Scoped querysets of the marketplace (see tinhso.core.scoping).

A seller's own rows (its account, certificates, listings, photos) are seen by its owner, the
market officers (the agriculture department, ``TINHSO_MARKET_AGENCY``) and province admins.
An order and its events and payments: its buyer, its seller's owner, market officers. Public
pages read published rows through the public selectors (never personal data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, either, is_signed_in, owner_q

if TYPE_CHECKING:  # the models import these querysets
    from tinhso.market.models import (  # noqa: F401
        Certificate,
        Listing,
        ListingPhoto,
        MarketPayment,
        MarketRefund,
        Order,
        OrderEvent,
        Post,
        Report,
        Review,
        Seller,
    )


def _officer(user: Any) -> bool:
    from tinhso.market.permissions import is_market_officer

    return is_market_officer(user)


def seller_q(user: Any, prefix: str = "") -> Q | None:
    if not is_signed_in(user):
        return NOTHING
    if _officer(user):
        return None
    return owner_q(user, f"{prefix}owner_id")


def own_seller_id(user: Any) -> int | None:
    """The id of the user's seller profile (cached on the user object for the request)."""
    if not hasattr(user, "_market_seller_id"):
        from tinhso.market.models import Seller

        user._market_seller_id = (Seller.objects.filter(owner_id=user.pk)
                                  .values_list("id", flat=True).first())
    return user._market_seller_id  # type: ignore[no-any-return]


def order_q(user: Any, prefix: str = "") -> Q | None:
    """Buyer or seller: ``buyer_id = u OR seller_id = s`` (the seller's id looked up first, so
    both halves use their index; an OR across a join would scan every order)."""
    if not is_signed_in(user):
        return NOTHING
    if _officer(user):
        return None
    seller_id = own_seller_id(user)
    as_seller = Q(**{f"{prefix}seller_id": seller_id}) if seller_id is not None else NOTHING
    return either(owner_q(user, f"{prefix}buyer_id"), as_seller)


def author_q(user: Any, field: str) -> Q | None:
    if not is_signed_in(user):
        return NOTHING
    if _officer(user):
        return None
    return owner_q(user, field)


class SellerQuerySet(ScopedQuerySet["Seller"]):
    def scope(self, user: Any) -> Q | None:
        return seller_q(user)


class CertificateQuerySet(ScopedQuerySet["Certificate"]):
    def scope(self, user: Any) -> Q | None:
        return seller_q(user, "seller__")


class ListingQuerySet(ScopedQuerySet["Listing"]):
    def scope(self, user: Any) -> Q | None:
        return seller_q(user, "seller__")


class ListingPhotoQuerySet(ScopedQuerySet["ListingPhoto"]):
    def scope(self, user: Any) -> Q | None:
        return seller_q(user, "listing__seller__")


def order_parts(user: Any) -> list[Q | None]:
    """``order_q`` as the halves of its OR: ``[None]`` (everything) for officers,
    ``[buyer_id = u, seller_id = s]`` for a party, ``[]`` for nobody. Each half is served by
    its own ``(…, -placed_at, -id)`` index in date order; the OR of them is not (decision
    0030)."""
    if not is_signed_in(user):
        return []
    if _officer(user):
        return [None]
    seller_id = own_seller_id(user)
    parts: list[Q | None] = [owner_q(user, "buyer_id")]
    if seller_id is not None:
        parts.append(Q(seller_id=seller_id))
    return parts


class OrderQuerySet(ScopedQuerySet["Order"]):
    def scope(self, user: Any) -> Q | None:
        return order_q(user)

    def visible_parts(self, user: Any) -> list[OrderQuerySet]:
        """What ``visible_to(user)`` returns, as querysets whose union it is (each one
        index-ordered by date); see ``order_parts``."""
        return [self.all() if q is None else self.filter(q) for q in order_parts(user)]


class OrderEventQuerySet(ScopedQuerySet["OrderEvent"]):
    def scope(self, user: Any) -> Q | None:
        return order_q(user, "order__")


class MarketPaymentQuerySet(ScopedQuerySet["MarketPayment"]):
    def scope(self, user: Any) -> Q | None:
        return order_q(user, "order__")


class MarketRefundQuerySet(ScopedQuerySet["MarketRefund"]):
    def scope(self, user: Any) -> Q | None:
        return order_q(user, "order__")


class ReviewQuerySet(ScopedQuerySet["Review"]):
    def scope(self, user: Any) -> Q | None:
        return either(author_q(user, "author_id"), seller_q(user, "seller__"))


class ReportQuerySet(ScopedQuerySet["Report"]):
    def scope(self, user: Any) -> Q | None:
        return author_q(user, "reporter_id")


class PostQuerySet(ScopedQuerySet["Post"]):
    def scope(self, user: Any) -> Q | None:
        return author_q(user, "author_id")
