"""The order lists (a buyer's, a seller's, an officer's), built for 10^7 orders.

A party sees ``buyer_id = u OR seller_id = s``. Ordered by date, PostgreSQL serves that OR by
walking the whole-table date index and filtering until a page is full: 4.5 s at 10^6 orders for
a seller with few orders (docs/benchmarks.md). Each half alone is served by its own index,
``(buyer, -placed_at, -id)`` and ``(seller, -placed_at, -id)``, reading only the page. So a
page is read as the halves (``OrderQuerySet.visible_parts``), each limited to what the page
needs, and merged here in the same order, without duplicates (an order whose buyer is also
its seller's owner is in both halves). An officer's list is one half (every order) on the date
index.

Pages are keyset pages (decision 0030): the cursor is the boundary row's ``(placed_at, id)``;
an index seeks to it, whatever the page's depth, and an order placed meanwhile does not shift
the next page. ``OrderList`` keeps the API's limit/offset contract (bounded offsets) on the
same halves.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from tinhso.market.models import Order

PER_PAGE = 24


class BadCursor(ValueError):
    """A cursor that does not decode to a (placed_at, id) boundary."""


def encode_cursor(order: Order) -> str:
    raw = f"{order.placed_at.isoformat()}|{order.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()).decode()
        at_text, pk_text = raw.split("|")
        at, pk = dt.datetime.fromisoformat(at_text), int(pk_text)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise BadCursor(token) from exc
    if at.tzinfo is None:
        raise BadCursor(token)
    return at, pk


def _parts(user: Any, status: str | None) -> list[QuerySet[Order]]:
    parts = Order.objects.visible_parts(user)
    if status:
        parts = [p.filter(status=status) for p in parts]
    return [p.select_related("seller", "listing") for p in parts]


def _merge(parts: list[QuerySet[Order]], stop: int, *, descending: bool = True) -> list[Order]:
    """The first ``stop`` rows of the union of ``parts`` (each already ordered by
    ``(placed_at, id)`` in the direction given): each part reads at most ``stop`` rows."""
    rows: dict[int, Order] = {}
    for qs in parts:
        for order in qs[:stop]:
            rows.setdefault(order.pk, order)
    return sorted(rows.values(), key=lambda o: (o.placed_at, o.pk), reverse=descending)[:stop]


class OrderList:
    """The orders ``user`` sees, newest first: sliceable and countable like a queryset (for
    the API's limit/offset paginator), read as the index-ordered halves."""

    def __init__(self, user: Any, *, status: str | None = None) -> None:
        self.parts = [p.order_by("-placed_at", "-id") for p in _parts(user, status)]
        self.visible = Order.objects.visible_to(user).select_related("seller", "listing")

    def count(self) -> int:
        if not self.parts:
            return 0
        if len(self.parts) == 1:
            return self.parts[0].count()
        first, second = self.parts
        return first.count() + second.count() - (first & second).count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[Order]:
        start, stop = item.start or 0, item.stop
        if stop is None or stop <= start or not self.parts:
            return []
        if len(self.parts) == 1:  # one index in order: the database skips the offset
            return list(self.parts[0][start:stop])
        # Each half gives the keys of its first ``stop`` rows (small tuples, from its index,
        # however deep the offset), merged; then only the page's rows are read, by id.
        keys = sorted({key for qs in self.parts
                       for key in qs.values_list("placed_at", "id")[:stop]}, reverse=True)
        ids = [pk for _, pk in keys[start:stop]]
        rows = {o.pk: o for o in self.visible.filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]


@dataclass
class OrderPage:
    rows: list[Order]
    has_next: bool = False
    has_previous: bool = False
    next_cursor: str | None = None
    previous_cursor: str | None = None

    def __iter__(self) -> Iterator[Order]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def order_page(user: Any, *, status: str | None = None, after: str | None = None,
               before: str | None = None, per_page: int = PER_PAGE) -> OrderPage:
    """One keyset page of the orders ``user`` sees, newest first; ``after``/``before`` are
    cursors of a previous page. Raises ``BadCursor``."""
    if after and before:
        raise BadCursor("after and before together")
    parts = _parts(user, status)
    going_back = bool(before)
    if after or before:
        at, pk = decode_cursor(after or before or "")
        # The range on placed_at is what the index seeks to; the OR settles ties on the id.
        if going_back:
            boundary = Q(placed_at__gte=at) & (Q(placed_at__gt=at) | Q(pk__gt=pk))
        else:
            boundary = Q(placed_at__lte=at) & (Q(placed_at__lt=at) | Q(pk__lt=pk))
        parts = [p.filter(boundary) for p in parts]
    ordering = ("placed_at", "id") if going_back else ("-placed_at", "-id")
    rows = _merge([p.order_by(*ordering) for p in parts], per_page + 1,
                  descending=not going_back)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if going_back:
        rows.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = bool(after), more
    page = OrderPage(rows=rows, has_next=has_next and bool(rows),
                     has_previous=has_previous and bool(rows))
    if rows:
        page.next_cursor = encode_cursor(rows[-1])
        page.previous_cursor = encode_cursor(rows[0])
    return page
