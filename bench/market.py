"""Benchmark: the marketplace's public list and diacritics-free search, and the order lists,
at N listings and M orders, beside baselines of the same run.

    DATABASE_URL=postgres://…/scratch .venv/bin/python bench/market.py [--listings 1000000]
        [--orders 1000000] [--repeat 20]

Needs PostgreSQL (a scratch database: it loads the demo marketplace, then grows it in SQL with
``generate_series``: copies of the demo listings and orders with new ids, titles varied by a
number so searches stay selective). Prints p50/p95 milliseconds of:

- the public list, page 1: newest first; by crop; by commune;
- search: one word, two words (folded ``LIKE '%word%'`` on ``search_text``, trigram GIN);
  baseline: the same search with bitmap and index scans switched off (the sequential scan a
  missing index would cost);
- a buyer's, a seller's and an officer's order list (page 1 and a page deep in the list)
  read as index-ordered halves with keyset pages (``order_list``, decision 0030); baseline:
  the old single query ``buyer = u OR seller = s`` ordered by date, page 1, in the same run;
- the IOC figures from the outbox projection (``tinhso.market.figures``: a read of a few
  hundred cells); baseline: the same figures aggregated over every order, in the same run
  (the projection is rebuilt first and checked equal to the aggregate). Two lines: the
  orders-and-turnover cells alone (what the projection replaces), the published-listing
  cells (kept by the listing services; baseline: the live count over the listings), and the
  whole figures.

``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of the list, search and order queries.

Orders are grown with COPY (copies of the demo's 300 orders).

The list baseline is the cheapest page there is: 24 rows by primary key.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from django.db.models import Count


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/market.py needs DATABASE_URL=postgres://… (a scratch database)")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    from tinhso.market.models import Seller

    if not Seller.objects.exists():
        from tinhso.accounts.demo import load_demo_accounts
        from tinhso.market.demo import load_market_demo
        from tinhso.units.demo import load_agencies, load_units

        load_units()
        load_agencies()
        load_demo_accounts()
        load_market_demo()


def grow(listings: int, orders: int) -> None:
    from django.db import connection

    from tinhso.market.models import Listing, Order

    have = Listing.objects.count()
    with connection.cursor() as cursor:
        if have < listings:
            cursor.execute("""
                INSERT INTO market_listing (seller_id, title, description, crop, unit, price_vnd,
                    stock, commune_id, gtin, lot, search_text, status, created_at, published_at,
                    version)
                SELECT l.seller_id, l.title || ' ' || g, '', l.crop, l.unit, l.price_vnd,
                       l.stock, l.commune_id, '', '', l.search_text || ' m' || g, l.status,
                       l.created_at, l.published_at - (g || ' seconds')::interval, 1
                FROM generate_series(1, %s) g
                JOIN LATERAL (SELECT * FROM market_listing WHERE id = (
                    SELECT min(id) FROM market_listing) + (g %% 400)) l ON true
            """, [listings - have])
    copy_orders(orders - Order.objects.count())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE market_listing; ANALYZE market_order; ANALYZE market_seller")


ORDER_COLUMNS = ("code", "buyer_id", "seller_id", "listing_id", "quantity", "unit_price",
                 "total", "commune_id", "crop", "payment_method", "paid_at",
                 "payment_reference", "needs_refund", "shipping_address", "buyer_phone", "note",
                 "status", "placed_at", "delivered_at", "version")


def copy_orders(count: int) -> None:
    """Grow the orders with COPY: copies of the demo's orders (their buyers, listings,
    communes, crops and states) with new codes and placement times."""
    import datetime as dt

    from django.db import connection

    from tinhso.market.models import Order

    if count <= 0:
        return
    templates = list(Order.objects.order_by("id").values(*ORDER_COLUMNS))
    sql = f"COPY market_order ({', '.join(ORDER_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for n in range(count):
            row = dict(templates[n % len(templates)])
            row["code"] = f"B{n:09d}"
            row["placed_at"] = row["placed_at"] - dt.timedelta(seconds=n)
            row["payment_reference"], row["note"], row["version"] = "", "", 1
            copy.write_row([row[c] for c in ORDER_COLUMNS])


def order_cells_projected() -> list[Any]:
    """The orders-and-turnover part of the figures as the projection serves it."""
    from tinhso.market.models import MarketFigure

    return list(MarketFigure.objects.values("commune_id", "crop", "orders", "turnover"))


def order_cells_raw() -> list[Any]:
    """The same cells aggregated over every order (the baseline)."""
    from django.db.models import Count, Q, Sum

    from tinhso.market.models import Order, OrderStatus
    from tinhso.market.selectors import TURNOVER_STATUSES

    return list(Order.objects.exclude(status=OrderStatus.CANCELLED).values("commune_id", "crop")
                .annotate(n=Count("id"), t=Sum("total", filter=Q(status__in=TURNOVER_STATUSES)))
                .order_by())


def product_cells_counted() -> list[Any]:
    """Published listings per commune and crop as the listing services keep them."""
    from tinhso.market.models import MarketListingCount

    return list(MarketListingCount.objects.values("commune_id", "crop", "published"))


def product_cells_raw() -> list[Any]:
    """The same cells counted over the listings (the baseline, what the IOC did before)."""
    from django.db.models import Count

    from tinhso.market.models import Listing, ListingStatus

    return list(Listing.objects.filter(status=ListingStatus.PUBLISHED)
                .values("commune_id", "crop").annotate(n=Count("id")).order_by())


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def explain(name: str, qs: Any) -> None:
    from django.db import connection

    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"--- {name}\n" + "\n".join(plan))


def timed(func: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def no_index(func: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexscan = off")
            return func()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    print(f"start: {load()}")
    setup()
    started = time.perf_counter()
    grow(args.listings, args.orders)
    from tinhso.accounts.models import User
    from tinhso.market import selectors
    from tinhso.market.models import Listing, Order, Seller
    from tinhso.market.order_list import OrderList, encode_cursor, order_page

    print(f"listings {Listing.objects.count():,}, orders {Order.objects.count():,} "
          f"(grown in {time.perf_counter() - started:.1f}s)")
    from tinhso.market.figures import figures_rebuild

    started = time.perf_counter()
    cells = figures_rebuild()
    print(f"IOC projection and listing counts rebuilt set-based: {cells} order cells in "
          f"{time.perf_counter() - started:.1f}s")
    assert selectors.market_figures() == selectors.market_figures_raw(), "projection != raw"
    page = 24
    commune = Listing.objects.values_list("commune_id", flat=True).first()
    buyer = User.objects.get(username="congdan")
    seller = Seller.objects.order_by("id").first()
    assert seller is not None
    officer = User.objects.get(username="nongnghiep")

    def old_page(user: Any) -> Callable[[], Any]:
        # The definition before decision 0030: one query, "buyer OR seller" ordered by date.
        return lambda: list(Order.objects.visible_to(user).select_related("seller", "listing")
                            .order_by("-placed_at", "-id")[:page])

    def deep_cursor(user: Any, depth: int) -> str | None:
        # The boundary a reader reaches after paging down ``depth`` rows (found once, by
        # offset on the buyer's or the date index, not timed).
        qs = (Order.objects.filter(buyer=user) if user == buyer else Order.objects.all())
        row = qs.order_by("-placed_at", "-id").only("pk", "placed_at")[depth:depth + 1]
        return encode_cursor(row[0]) if row else None

    buyer_deep, officer_deep = deep_cursor(buyer, 10_000), deep_cursor(officer, 500_000)
    busiest = (Order.objects.values("seller_id").annotate(n=Count("id")).order_by("-n")
               .values_list("seller_id", flat=True).first())
    big = Seller.objects.get(pk=busiest)

    def old_slice(user: Any, start: int) -> Callable[[], Any]:
        return lambda: list(Order.objects.visible_to(user).select_related("seller", "listing")
                            .order_by("-placed_at", "-id")[start:start + page])
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
        ("list: newest", lambda: list(selectors.listings_public()[:page]),
         lambda: list(Listing.objects.order_by("id")[:page])),
        ("list: crop=pepper", lambda: list(selectors.listings_public(crop="pepper")[:page]),
         None),
        ("list: one commune", lambda: list(selectors.listings_public(commune_id=commune)[:page]),
         None),
        ("list: one seller", lambda: list(selectors.listings_public(seller_id=seller.pk)[:page]),
         None),
        ("list: count (page numbers)", lambda: selectors.listings_public_count(),
         lambda: selectors.listings_public().count()),
        ("list: count, crop=pepper", lambda: selectors.listings_public_count(crop="pepper"),
         lambda: selectors.listings_public(crop="pepper").count()),
        ("search: count 'tieu den'", lambda: selectors.listings_public_count(query="tieu den"),
         lambda: selectors.listings_public(query="tieu den").count()),
        ("search: 'tieu den'", lambda: list(selectors.listings_public(query="tieu den")[:page]),
         no_index(lambda: list(selectors.listings_public(query="tieu den")[:page]))),
        ("search: 'm12345' (rare)",
         lambda: list(selectors.listings_public(query="m12345")[:page]),
         no_index(lambda: list(selectors.listings_public(query="m12345")[:page]))),
        ("search: 'xyzw' (no match)",
         lambda: list(selectors.listings_public(query="xyzw")[:page]), None),
        ("orders: buyer page 1", lambda: order_page(buyer, per_page=page).rows,
         old_page(buyer)),
        ("orders: seller page 1", lambda: order_page(seller.owner, per_page=page).rows,
         old_page(seller.owner)),
        ("orders: officer page 1", lambda: order_page(officer, per_page=page).rows,
         old_page(officer)),
        ("orders: buyer at 10,000", lambda: order_page(buyer, after=buyer_deep).rows, None),
        ("orders: officer at 500,000", lambda: order_page(officer, after=officer_deep).rows,
         None),
        ("orders: officer, disputed", lambda: order_page(officer, status="disputed").rows,
         None),
        ("orders API: busiest seller, offset 0",
         lambda: OrderList(big.owner)[0:page], old_slice(big.owner, 0)),
        ("orders API: busiest seller, offset 5000",
         lambda: OrderList(big.owner)[5000:5000 + page], old_slice(big.owner, 5000)),
        ("orders API: busiest seller, count", lambda: OrderList(big.owner).count(),
         lambda: Order.objects.visible_to(big.owner).count()),
        ("orders API: officer, count", lambda: OrderList(officer).count(), None),
        ("IOC order cells: projection", order_cells_projected, order_cells_raw),
        ("IOC product cells: counts", product_cells_counted, product_cells_raw),
        ("IOC figures: projection", selectors.market_figures, selectors.market_figures_raw),
    ]
    print(f"busiest seller: {big.pk}, {Order.objects.filter(seller=big).count():,} orders")
    print(f"{'query':40} {'p50 ms':>9} {'p95 ms':>9}   {'baseline p50':>12} {'p95':>9}   "
          "baseline/figure (p50)")
    for name, func, baseline in cases:
        slow = name.startswith("IOC") or "count" in name
        repeat = max(3, args.repeat // 5) if slow else args.repeat
        samples = timed(func, repeat)
        line = f"{name:40} {statistics.median(samples):9.1f} {p(samples, .95):9.1f}"
        if baseline is not None:
            base = timed(baseline, max(3, repeat // 4))
            line += (f"   {statistics.median(base):12.1f} {p(base, .95):9.1f}   "
                     f"{statistics.median(base) / statistics.median(samples):.2f}")
        print(line, flush=True)
    print(f"end: {load()}")
    if args.explain:
        explain("list: newest", selectors.listings_public()[:page])
        explain("list: crop=pepper", selectors.listings_public(crop="pepper")[:page])
        explain("search: 'tieu den'", selectors.listings_public(query="tieu den")[:page])
        explain("search: 'm12345'", selectors.listings_public(query="m12345")[:page])
        explain("list: one seller", selectors.listings_public(seller_id=seller.pk)[:page])
        explain("search: count 'tieu den', capped", selectors.listings_public(query="tieu den")
                .order_by()[:selectors.SEARCH_COUNT_CAP])
        explain("orders: old seller page 1", Order.objects.visible_to(seller.owner)
                .order_by("-placed_at", "-id")[:page])
        for n, part in enumerate(Order.objects.visible_parts(seller.owner)):
            explain(f"orders: seller page 1, half {n + 1}",
                    part.order_by("-placed_at", "-id")[:page + 1])
        explain("orders: officer, disputed", Order.objects.filter(status="disputed")
                .order_by("-placed_at", "-id")[:page + 1])
        explain("IOC products raw", Listing.objects.filter(status="published")
                .values("commune_id", "crop").annotate(n=Count("id")).order_by())


if __name__ == "__main__":
    main()
