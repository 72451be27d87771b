"""The IOC's marketplace figures as a projection of the outbox (consumer "market-figures").

Orders (not cancelled) and turnover (delivered or completed orders) per commune and crop are
kept in ``MarketFigure`` by :func:`handle`, one event at a time in the transaction that moves
the consumer's cursor, so each event counts exactly once; reading the figures is a read of a
few hundred rows whatever the number of orders. ``MarketOrderFact`` remembers, per order, the
status last counted: an event moves the order's contribution from that status to its new one
(so the figures never depend on the event's own ``from_status``), and an event at or below the
order's ``last_event_id`` is skipped (it was counted by a rebuild).

Published products per commune and crop are kept in ``MarketListingCount`` by the listing
services themselves, in the transaction that changes a listing's status
(:func:`listings_counted`, decision 0030): exact at every commit, a read of a few hundred
cells at 10^6 listings. Sellers are counted live (a few hundred, served by an index).

:func:`figures_rebuild` recomputes the projection set-based from the orders (after a restore,
or to start it on an existing database), and the listing counts with it;
``selectors.market_figures_raw`` is the aggregate over the orders and listings it must equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from tinhso.market.models import (
    Listing,
    ListingStatus,
    MarketFigure,
    MarketListingCount,
    MarketOrderFact,
    Order,
    OrderStatus,
)

NAME = "market-figures"
# The steps that can change what an order counts for (placement, delivery, cancellation,
# dispute and its settlement, completion); the other order events leave it as it is.
TYPES = {"market.order_placed", "market.order_delivered", "market.order_cancelled",
         "market.order_disputed", "market.order_resolved", "market.order_completed"}
TURNOVER = frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED})


def counts(status: str | None) -> tuple[int, int]:
    """(counts as an order, counts in the turnover) for an order in ``status``."""
    if status is None:
        return 0, 0
    return int(status != OrderStatus.CANCELLED), int(status in TURNOVER)


def handle(event: Any) -> None:
    payload = event.payload or {}
    order_id = int(payload["order_id"])
    state = MarketOrderFact.objects.select_for_update().filter(order_id=order_id).first()
    if state is not None and event.id <= state.last_event_id:
        return
    new = str(payload["to_status"])
    old_orders, old_turnover = counts(state.status if state else None)
    new_orders, new_turnover = counts(new)
    d_orders = new_orders - old_orders
    d_turnover = (new_turnover - old_turnover) * int(payload["total"])
    if d_orders or d_turnover:
        commune_id = payload.get("commune_id") or (
            Order.objects.filter(pk=order_id).values_list("commune_id", flat=True).first())
        if commune_id is None:
            return  # the order is gone (cannot happen: orders are protected)
        cell, _ = MarketFigure.objects.get_or_create(commune_id=commune_id,
                                                     crop=str(payload["crop"]))
        MarketFigure.objects.filter(pk=cell.pk).update(orders=F("orders") + d_orders,
                                                       turnover=F("turnover") + d_turnover)
    if state is None:
        MarketOrderFact.objects.create(order_id=order_id, status=new, last_event_id=event.id)
    else:
        state.status, state.last_event_id = new, event.id
        state.save(update_fields=["status", "last_event_id"])


@transaction.atomic
def figures_rebuild() -> int:
    """Recompute the projection from the orders, set-based, with the consumer held; events
    already in the outbox are then skipped (the orders reflect them). Returns the cells."""
    from tinhso.outbox.dispatch import hold_consumer
    from tinhso.outbox.models import OutboxEvent

    hold_consumer(NAME)
    last = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    MarketFigure.objects.all().delete()
    MarketOrderFact.objects.all().delete()
    facts, orders = MarketOrderFact._meta.db_table, Order._meta.db_table
    with connection.cursor() as c:
        c.execute(f"INSERT INTO {facts} (order_id, status, last_event_id) "  # noqa: S608
                  f"SELECT id, status, %s FROM {orders}", [last])
    cells = (Order.objects.values("commune_id", "crop").order_by()
             .annotate(n=Count("id", filter=~Q(status=OrderStatus.CANCELLED)),
                       t=Sum("total", filter=Q(status__in=TURNOVER))))
    MarketFigure.objects.bulk_create([
        MarketFigure(commune_id=c["commune_id"], crop=c["crop"], orders=c["n"],
                     turnover=int(c["t"] or 0)) for c in cells])
    listing_counts_rebuild()
    return MarketFigure.objects.count()


def listings_counted(cells: Iterable[tuple[int, str]], delta: int) -> None:
    """Move the published count of each ``(commune_id, crop)`` given (once per listing) by
    ``delta``. Called by the services in the transaction that changes the listings' status,
    after locking those listings, so the count is exact at every commit. Cells are taken in
    a fixed order: two transactions moving the same cells never deadlock."""
    for (commune_id, crop), n in sorted(Counter(cells).items()):
        cell, _ = MarketListingCount.objects.get_or_create(commune_id=commune_id, crop=crop)
        MarketListingCount.objects.filter(pk=cell.pk).update(
            published=F("published") + delta * n)


@transaction.atomic
def listing_counts_rebuild() -> int:
    """Recount the published listings per commune and crop, set-based (after listings were
    written outside the services: a bulk load, the benchmark's SQL). Returns the cells.

    On PostgreSQL the listings are locked against writes meanwhile (SHARE: reads go on): a
    service publishing during the recount would otherwise move a cell the recount is about to
    replace, or be missed by it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute(f"LOCK TABLE {Listing._meta.db_table} IN SHARE MODE")  # noqa: S608
    MarketListingCount.objects.all().delete()
    cells = (Listing.objects.filter(status=ListingStatus.PUBLISHED)
             .values("commune_id", "crop").order_by().annotate(n=Count("id")))
    MarketListingCount.objects.bulk_create([
        MarketListingCount(commune_id=c["commune_id"], crop=c["crop"], published=c["n"])
        for c in cells])
    return MarketListingCount.objects.count()
