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
- a buyer's and a seller's order list (page 1);
- the IOC figures from the outbox projection (``tinhso.market.figures``: a read of a few
  hundred cells); baseline: the same figures aggregated over every order, in the same run
  (the projection is rebuilt first and checked equal to the aggregate). Two lines: the
  orders-and-turnover cells alone (what the projection replaces), and the whole figures
  (which also count verified sellers and published listings live).

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
    args = parser.parse_args()
    setup()
    started = time.perf_counter()
    grow(args.listings, args.orders)
    from tinhso.accounts.models import User
    from tinhso.market import selectors
    from tinhso.market.models import Listing, Order, Seller

    print(f"listings {Listing.objects.count():,}, orders {Order.objects.count():,} "
          f"(grown in {time.perf_counter() - started:.1f}s)")
    from tinhso.market.figures import figures_rebuild

    started = time.perf_counter()
    cells = figures_rebuild()
    print(f"IOC projection rebuilt set-based: {cells} cells in "
          f"{time.perf_counter() - started:.1f}s")
    assert selectors.market_figures() == selectors.market_figures_raw(), "projection != raw"
    page = 24
    commune = Listing.objects.values_list("commune_id", flat=True).first()
    buyer = User.objects.get(username="congdan")
    seller = Seller.objects.order_by("id").first()
    officer = User.objects.get(username="nongnghiep")
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
        ("list: newest", lambda: list(selectors.listings_public()[:page]),
         lambda: list(Listing.objects.order_by("id")[:page])),
        ("list: crop=pepper", lambda: list(selectors.listings_public(crop="pepper")[:page]),
         None),
        ("list: one commune", lambda: list(selectors.listings_public(commune_id=commune)[:page]),
         None),
        ("search: 'tieu den'", lambda: list(selectors.listings_public(query="tieu den")[:page]),
         no_index(lambda: list(selectors.listings_public(query="tieu den")[:page]))),
        ("search: 'm12345' (rare)",
         lambda: list(selectors.listings_public(query="m12345")[:page]),
         no_index(lambda: list(selectors.listings_public(query="m12345")[:page]))),
        ("orders: buyer page 1", lambda: list(selectors.orders_visible_to(buyer)[:page]), None),
        ("orders: seller page 1",
         lambda: list(selectors.orders_visible_to(seller.owner)[:page]), None),
        ("orders: officer page 1", lambda: list(selectors.orders_visible_to(officer)[:page]),
         None),
        ("IOC order cells: projection", order_cells_projected, order_cells_raw),
        ("IOC figures: projection", selectors.market_figures, selectors.market_figures_raw),
    ]
    print(f"{'query':28} {'p50 ms':>9} {'p95 ms':>9}   {'baseline p50':>12} {'p95':>9}")
    for name, func, baseline in cases:
        repeat = max(3, args.repeat // 5) if name.startswith("IOC") else args.repeat
        samples = timed(func, repeat)
        line = f"{name:28} {statistics.median(samples):9.1f} {p(samples, .95):9.1f}"
        if baseline is not None:
            base = timed(baseline, max(3, repeat // 4))
            line += f"   {statistics.median(base):12.1f} {p(base, .95):9.1f}"
        if baseline is not None and name.startswith("IOC"):
            line += f"   ratio {statistics.median(base) / statistics.median(samples):.0f}×"
        print(line)


if __name__ == "__main__":
    main()
