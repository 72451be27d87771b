"""Reads of the marketplace. Public reads (published listings of verified sellers, their
certificates and reviews, open posts, the price bulletin) carry no personal data; everything
else starts from ``visible_to(user)``.

Search without diacritics: the query is folded like ``search_text`` (``core.text.fold``) and
every word must occur in it, as in the procedure catalogue. On PostgreSQL a trigram GIN index
(migration 0001) serves these ``LIKE '%word%'`` filters at 10^6 listings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db.models import Avg, Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from tinhso.core.errors import NotFound
from tinhso.core.text import fold
from tinhso.market import order_list
from tinhso.market.models import (
    Certificate,
    Commodity,
    Listing,
    ListingPhoto,
    ListingStatus,
    MarketPayment,
    Order,
    OrderEvent,
    OrderStatus,
    Post,
    PriceQuote,
    Report,
    ReportStatus,
    Review,
    Seller,
    SellerStatus,
)

MAX_QUERY_WORDS = 8
# Page numbers of a search stop here ("Hơn 1000 sản phẩm", 42 pages): counting every match
# of a common word grows with the listings (0.15 s for a cap of 10,000 at 10^6 listings).
SEARCH_COUNT_CAP = 1_000


def _words(query: str | None) -> list[str]:
    return fold(query or "")[:200].split()[:MAX_QUERY_WORDS]


# --- public -----------------------------------------------------------------------------------

def listings_public(*, query: str | None = None, crop: str | None = None,
                    commune_id: int | None = None, seller_id: int | None = None
                    ) -> QuerySet[Listing]:
    # Only verified sellers publish, and suspending a seller hides its listings (services):
    # "published" alone says "on sale", so the newest-first index serves the page without a
    # join filter on the seller.
    qs = (Listing.objects.filter(status=ListingStatus.PUBLISHED)
          .select_related("seller", "commune")
          .order_by("-published_at", "-id"))
    for word in _words(query):
        qs = qs.filter(search_text__contains=word)
    if crop:
        qs = qs.filter(crop=crop)
    if commune_id:
        qs = qs.filter(commune_id=commune_id)
    if seller_id:
        qs = qs.filter(seller_id=seller_id)
    return qs


def listings_public_count(*, query: str | None = None, crop: str | None = None,
                          commune_id: int | None = None, seller_id: int | None = None) -> int:
    """How many listings ``listings_public`` gives, for page numbers. Without a search or a
    seller it is the sum of the published-listing cells the services keep (a few hundred
    rows, decision 0030) instead of a count of 10^6 index entries. A seller's listings are
    counted on its index. A search is counted up to ``SEARCH_COUNT_CAP`` only: a common word
    matches 3 % of the listings (30,000 rows, 0.3 s at 10^6), and no one pages that far."""
    if _words(query):
        matches = listings_public(query=query, crop=crop, commune_id=commune_id,
                                  seller_id=seller_id).order_by()
        return matches[:SEARCH_COUNT_CAP].count()
    if seller_id:
        return listings_public(crop=crop, commune_id=commune_id, seller_id=seller_id).count()
    from tinhso.market.models import MarketListingCount

    cells = MarketListingCount.objects.all()
    if crop:
        cells = cells.filter(crop=crop)
    if commune_id:
        cells = cells.filter(commune_id=commune_id)
    return int(cells.aggregate(n=Sum("published"))["n"] or 0)


class CountedListings:
    """``listings_public`` for a paginator (Django's or the API's): sliced as the queryset,
    counted by ``listings_public_count``."""

    def __init__(self, **filters: Any) -> None:
        self.qs, self.filters = listings_public(**filters), filters
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = listings_public_count(**self.filters)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: Any) -> Any:
        return self.qs[item]


def listing_public(listing_id: int) -> Listing:
    listing = (listings_public().filter(pk=listing_id)
               .prefetch_related(Prefetch("photos", ListingPhoto.objects.order_by("position")))
               .first())
    if listing is None:
        raise NotFound("Không tìm thấy sản phẩm.", "Listing not found.", {"id": listing_id})
    return listing


def seller_public(seller_id: int) -> Seller:
    seller = (Seller.objects.filter(pk=seller_id, status=SellerStatus.VERIFIED)
              .select_related("commune").first())
    if seller is None:
        raise NotFound("Không tìm thấy người bán.", "Seller not found.", {"id": seller_id})
    return seller


def certificates_public(seller: Seller) -> list[Certificate]:
    """Verified certificates that have not expired."""
    return list(Certificate.objects.filter(seller=seller, verified_at__isnull=False,
                                           expires_on__gte=timezone.localdate())
                .order_by("kind", "-issued_on"))


def reviews_public(*, listing: Listing | None = None, seller: Seller | None = None
                   ) -> QuerySet[Review]:
    qs = Review.objects.filter(hidden=False).order_by("-created_at", "-id")
    if listing is not None:
        qs = qs.filter(listing=listing)
    if seller is not None:
        qs = qs.filter(seller=seller)
    return qs


def rating_summary(seller: Seller) -> dict[str, Any]:
    agg = reviews_public(seller=seller).aggregate(n=Count("id"), avg=Avg("rating"))
    return {"count": agg["n"] or 0, "average": round(float(agg["avg"]), 1) if agg["avg"] else None}


def photo_public(photo_id: int) -> ListingPhoto | None:
    return ListingPhoto.objects.filter(pk=photo_id,
                                       listing__status=ListingStatus.PUBLISHED).first()


def posts_public(*, query: str | None = None, kind: str | None = None,
                 crop: str | None = None) -> QuerySet[Post]:
    qs = (Post.objects.filter(is_open=True, expires_on__gte=timezone.localdate())
          .select_related("commune").order_by("-created_at", "-id"))
    for word in _words(query):
        qs = qs.filter(search_text__contains=word)
    if kind:
        qs = qs.filter(kind=kind)
    if crop:
        qs = qs.filter(crop=crop)
    return qs


def prices(*, commodity: str | None = None, market: str | None = None,
           since: dt.date | None = None, until: dt.date | None = None) -> QuerySet[PriceQuote]:
    qs = PriceQuote.objects.order_by("-day", "commodity", "market")
    if commodity:
        qs = qs.filter(commodity=commodity)
    if market:
        qs = qs.filter(market=market)
    if since:
        qs = qs.filter(day__gte=since)
    if until:
        qs = qs.filter(day__lte=until)
    return qs


def latest_bulletin() -> tuple[dt.date | None, list[PriceQuote]]:
    """The most recent day with prices, and its quotes (with the change from the day before)."""
    last = PriceQuote.objects.order_by("-day").values_list("day", flat=True).first()
    if last is None:
        return None, []
    quotes = list(prices(since=last, until=last).order_by("commodity", "market"))
    before = {(q.commodity, q.market): q.price_vnd for q in PriceQuote.objects.filter(
        day__lt=last, day__gte=last - dt.timedelta(days=7)).order_by("day")}
    for q in quotes:
        previous = before.get((q.commodity, q.market))
        q.change = q.price_vnd - previous if previous else None  # type: ignore[attr-defined]
    return last, quotes


def price_history(commodity: str, days: int = 90) -> dict[str, list[tuple[dt.date, int]]]:
    since = timezone.localdate() - dt.timedelta(days=days)
    series: dict[str, list[tuple[dt.date, int]]] = {}
    for day, market, price in (PriceQuote.objects.filter(commodity=commodity, day__gte=since)
                               .order_by("day").values_list("day", "market", "price_vnd")):
        series.setdefault(market, []).append((day, price))
    return series


COMMODITIES = list(Commodity.values)


# --- scoped -----------------------------------------------------------------------------------

def my_seller(user: Any) -> Seller | None:
    return Seller.objects.visible_to(user).filter(owner_id=getattr(user, "pk", None)).first()


def sellers_visible_to(user: Any) -> QuerySet[Seller]:
    return Seller.objects.visible_to(user).select_related("commune", "owner")


def seller_get_for_user(user: Any, seller_id: int) -> Seller:
    seller = sellers_visible_to(user).filter(pk=seller_id).first()
    if seller is None:
        raise NotFound("Không tìm thấy người bán.", "Seller not found.", {"id": seller_id})
    return seller


def sellers_pending(user: Any) -> QuerySet[Seller]:
    return sellers_visible_to(user).filter(status=SellerStatus.PENDING).order_by("created_at")


def listings_visible_to(user: Any) -> QuerySet[Listing]:
    return Listing.objects.visible_to(user).select_related("seller")


def listing_get_for_user(user: Any, listing_id: int) -> Listing:
    listing = listings_visible_to(user).filter(pk=listing_id).first()
    if listing is None:
        raise NotFound("Không tìm thấy sản phẩm.", "Listing not found.", {"id": listing_id})
    return listing


def orders_visible_to(user: Any) -> QuerySet[Order]:
    """The orders ``user`` sees, as one queryset: for one order (by code) or a filter. A
    list of them is read with ``order_page`` / ``OrderList`` (``order_list``): ordered by date,
    a party's OR is not served by an index at 10^6 orders."""
    return (Order.objects.visible_to(user).select_related("seller", "listing")
            .order_by("-placed_at", "-id"))


order_page = order_list.order_page
OrderList = order_list.OrderList


def order_get_for_user(user: Any, code: str) -> Order:
    order = orders_visible_to(user).filter(code=code).first()
    if order is None:
        raise NotFound("Không tìm thấy đơn hàng.", "Order not found.", {"code": code})
    return order


def order_events(user: Any, order: Order) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.visible_to(user).filter(order=order).order_by("at", "id")


def payment_by_txn_ref(txn_ref: str) -> MarketPayment | None:
    return (MarketPayment.objects.select_related("order").filter(txn_ref=txn_ref).first()
            if txn_ref else None)


def reports_visible_to(user: Any, status: str | None = None) -> QuerySet[Report]:
    qs = Report.objects.visible_to(user).select_related("seller", "listing")
    return qs.filter(status=status) if status else qs


def report_get_for_user(user: Any, report_id: int) -> Report:
    report = reports_visible_to(user).filter(pk=report_id).first()
    if report is None:
        raise NotFound("Không tìm thấy phản ánh.", "Report not found.", {"id": report_id})
    return report


def reports_open(user: Any) -> QuerySet[Report]:
    return reports_visible_to(user, ReportStatus.OPEN).order_by("created_at")


def post_get_for_user(user: Any, post_id: int) -> Post:
    post = Post.objects.visible_to(user).filter(pk=post_id).first()
    if post is None:
        raise NotFound("Không tìm thấy tin.", "Post not found.", {"id": post_id})
    return post


# --- the IOC ----------------------------------------------------------------------------------

TURNOVER_STATUSES = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def market_figures() -> dict[str, Any]:
    """Province-wide aggregates (no personal data): verified sellers counted live; published
    products by commune and crop from the counts the listing services keep; orders (not
    cancelled) and turnover (delivered or completed orders) by commune and crop from the
    outbox projection (``tinhso.market.figures``)."""
    from tinhso.market.models import MarketFigure, MarketListingCount

    cells = (MarketFigure.objects.filter(Q(orders__gt=0) | ~Q(turnover=0))
             .values("commune_id", "crop", "orders", "turnover"))
    products = (MarketListingCount.objects.filter(published__gt=0)
                .values_list("commune_id", "crop", "published"))
    return _figures_table([{"commune_id": c["commune_id"], "crop": c["crop"], "n": c["orders"],
                            "turnover": c["turnover"]} for c in cells], list(products))


def market_figures_raw() -> dict[str, Any]:
    """The same figures by aggregating the orders (what the projection must equal; the
    benchmark's baseline)."""
    orders: Any = (Order.objects.exclude(status=OrderStatus.CANCELLED)
                   .values("commune_id", "crop")
                   .annotate(n=Count("id"), turnover=Sum("total", filter=Q(
                       status__in=TURNOVER_STATUSES))).order_by())
    products: Any = (Listing.objects.filter(status=ListingStatus.PUBLISHED)
                     .values("commune_id", "crop").annotate(n=Count("id")).order_by())
    return _figures_table(list(orders),
                          [(p["commune_id"], p["crop"], p["n"]) for p in products])


def _figures_table(order_cells: list[dict[str, Any]],
                   product_cells: list[tuple[int, str, int]]) -> dict[str, Any]:
    from tinhso.units.models import AdminUnit

    rows: dict[tuple[int, str], dict[str, int]] = {}

    def cell(commune_id: int, crop: str) -> dict[str, int]:
        return rows.setdefault((commune_id, crop), {"sellers": 0, "products": 0, "orders": 0,
                                                    "turnover": 0})

    sellers: Any = (Seller.objects.filter(status=SellerStatus.VERIFIED).values("commune_id")
                    .annotate(n=Count("id")).order_by())
    for s in sellers:
        cell(s["commune_id"], "")["sellers"] += s["n"]
    for commune_id, crop, n in product_cells:
        cell(commune_id, crop)["products"] += n
    for o in order_cells:
        c = cell(o["commune_id"], o["crop"])
        c["orders"] += o["n"]
        c["turnover"] += int(o["turnover"] or 0)
    units = {pk: (code, name) for pk, code, name in AdminUnit.objects.filter(
        pk__in={k[0] for k in rows}).values_list("pk", "code", "name")}
    table: list[dict[str, Any]] = [
        {"commune_code": units.get(cid, ("", ""))[0], "commune": units.get(cid, ("", ""))[1],
         "crop": crop, **values} for (cid, crop), values in rows.items()]
    table.sort(key=lambda r: (r["commune"], r["crop"]))
    totals = {k: sum(r[k] for r in table) for k in ("sellers", "products", "orders", "turnover")}
    by_crop: dict[str, dict[str, int]] = {}
    for row in table:
        if row["crop"]:
            sums = by_crop.setdefault(row["crop"], {"products": 0, "orders": 0, "turnover": 0})
            for k in sums:
                sums[k] += row[k]
    return {"totals": totals, "rows": table, "by_crop": by_crop}


# --- traceability (the trace app, when installed) ----------------------------------------------

def lot_journey(*, gtin: str, lot: str) -> Any:
    """The traced lot's journey from the trace app's selector, or None when that app is not
    installed (or has no such selector yet) or knows no such lot."""
    if not gtin or not apps.is_installed("tinhso.trace"):
        return None
    try:
        from tinhso.trace.selectors import lot_journey as journey
    except ImportError:
        return None
    found = journey(gtin=gtin, lot=lot)
    return found if found and found.get("found", True) else None


def commune_choices() -> QuerySet[Any]:
    """Communes a seller may choose (the public directory of administrative units)."""
    from tinhso.units.models import AdminUnit, Level

    return (AdminUnit.objects.filter(level=Level.COMMUNE, valid_to__isnull=True)
            .select_related("parent").order_by("parent__name", "name"))


def my_listings(user: Any) -> QuerySet[Listing]:
    return (Listing.objects.visible_to(user).filter(seller__owner_id=getattr(user, "pk", None))
            .order_by("-created_at", "-id"))
