"""The order lists read as index-ordered halves (decision 0030): the same orders in the same
order as the old ``buyer OR seller`` definition, keyset pages stable under new orders, and
on PostgreSQL each query an index walk without a sort and without the OR."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.market.conftest import make_listing, make_seller, place
from tinhso.market.models import Order
from tinhso.market.order_list import BadCursor, OrderList, order_page
from tinhso.market.selectors import orders_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def mesh(commune, officer, buyer, buyer2) -> dict[str, Any]:
    """Two sellers whose owners also buy from each other, two buyers, ties on placed_at, and
    one order (written directly) whose buyer owns its seller: it is in both halves."""
    a = make_seller(commune, officer, "HTX Điều Tiến Thành")
    b = make_seller(commune, officer, "Hộ tiêu Tiến Hưng")
    la = make_listing(a, stock=500)
    lb = make_listing(b, stock=500, crop="pepper", title="Hồ tiêu đen")
    orders = []
    for n in range(30):
        who = [buyer, buyer2, a.owner, b.owner][n % 4]
        listing = lb if who == a.owner or (who != b.owner and n % 3) else la
        orders.append(place(listing, who))
    base = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    for n, order in enumerate(orders):  # pairs of equal times: the id settles the order
        Order.objects.filter(pk=order.pk).update(placed_at=base + dt.timedelta(minutes=n // 2))
    Order.objects.filter(pk=orders[7].pk).update(buyer=a.owner, seller=a, listing=la)
    return {"a": a.owner, "b": b.owner, "buyer": buyer, "buyer2": buyer2, "officer": officer}


def old_definition(user: Any) -> list[int]:
    return list(Order.objects.visible_to(user).order_by("-placed_at", "-id")
                .values_list("pk", flat=True))


def walk(user: Any, per_page: int) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = order_page(user, after=after, per_page=per_page)
        pages.append([o.pk for o in page])
        if not page.has_next:
            return pages
        after = page.next_cursor


@pytest.mark.parametrize("per_page", [1, 4, 7, 100])
def test_pages_equal_the_old_definition(mesh, per_page):
    for name, user in mesh.items():
        expected = old_definition(user)
        assert expected, name
        pages = walk(user, per_page)
        assert [pk for page in pages for pk in page] == expected, name
        assert all(len(page) == per_page for page in pages[:-1]), name


def test_walking_back_gives_the_same_pages(mesh):
    user = mesh["a"]
    forward = walk(user, 4)
    page = order_page(user, per_page=4)
    cursors = [page]
    while page.has_next:
        page = order_page(user, after=page.next_cursor, per_page=4)
        cursors.append(page)
    back = []
    while page.has_previous:
        page = order_page(user, before=page.previous_cursor, per_page=4)
        back.append([o.pk for o in page])
    assert back == list(reversed(forward[:-1]))


def test_the_api_slices_and_count_equal_the_old_definition(mesh):
    for name, user in mesh.items():
        expected = old_definition(user)
        orders = OrderList(user)
        assert orders.count() == len(expected) == orders_visible_to(user).count(), name
        for start, stop in [(0, 5), (3, 11), (9, 40), (len(expected) - 2, len(expected) + 5)]:
            assert [o.pk for o in orders[start:stop]] == expected[start:stop], (name, start)
        delivered = OrderList(user, status="placed")
        assert [o.pk for o in delivered[0:100]] == list(
            orders_visible_to(user).filter(status="placed").values_list("pk", flat=True))


def test_pages_are_stable_under_new_orders(mesh, commune, officer):
    user = mesh["a"]
    before = old_definition(user)
    first = order_page(user, per_page=5)
    # New orders arrive (newest first: an offset page 2 would repeat page 1's tail).
    c = make_seller(commune, officer, "HTX Cao su Đồng Phú")
    lc = make_listing(c, stock=100, crop="rubber", title="Mủ cao su")
    for _ in range(3):
        place(lc, user)
    second = order_page(user, after=first.next_cursor, per_page=5)
    assert [o.pk for o in first] + [o.pk for o in second] == before[:10]
    assert order_page(user, per_page=3).rows[0].seller_id == c.pk


def test_bad_cursors_are_refused(mesh):
    for token in ["", "x", "bm9wZQ", "MjAyNi0xMi0wMXw3"]:  # "", junk, "nope", a naive time
        if token:
            with pytest.raises(BadCursor):
                order_page(mesh["a"], after=token)
    with pytest.raises(BadCursor):
        order_page(mesh["a"], after="a", before="b")


def test_nobody_sees_nothing(mesh):
    from django.contrib.auth.models import AnonymousUser

    assert order_page(AnonymousUser()).rows == []
    assert OrderList(AnonymousUser()).count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_each_query_walks_one_index_without_a_sort(mesh):
    """The shape the 10^6 benchmark needs: every query of a party's page is ``buyer = u`` or
    ``seller = s`` alone, served in date order by its index (no Sort node, no OR of the
    two). The old ``buyer OR seller`` ordered by date fails this."""
    page = order_page(mesh["a"], per_page=4)
    for after in [None, page.next_cursor]:
        with CaptureQueriesContext(connection) as captured:
            order_page(mesh["a"], after=after, per_page=4)
        order_queries = [q["sql"] for q in captured.captured_queries
                         if 'FROM "market_order"' in q["sql"]]
        assert len(order_queries) == 2
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            try:
                for sql in order_queries:
                    where = sql.split(" WHERE ", 1)[1]
                    assert not ('"buyer_id" =' in where and '"seller_id" =' in where), sql
                    cursor.execute("EXPLAIN " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    assert "Sort" not in plan, plan
                    assert "market_order_buyer" in plan or "market_order_seller" in plan, plan
            finally:
                cursor.execute("SET enable_seqscan = on")


def test_the_page_and_the_api_read_the_halves(mesh):
    from django.test import Client

    client = Client()
    client.force_login(mesh["a"])
    expected = old_definition(mesh["a"])
    codes = dict(Order.objects.values_list("pk", "code"))
    first = client.get("/cho-nong-san/don-hang/")
    assert first.status_code == 200
    html = first.content.decode()
    assert codes[expected[0]] in html and "?before=" not in html
    page = order_page(mesh["a"])
    assert ("?after=" in html) == page.has_next
    after = client.get("/cho-nong-san/don-hang/",
                       {"after": order_page(mesh["a"], per_page=5).next_cursor})
    assert codes[expected[5]] in after.content.decode() and "?before=" in after.content.decode()
    assert codes[expected[4]] not in after.content.decode()
    assert client.get("/cho-nong-san/don-hang/", {"after": "x"}).status_code == 404
    data = client.get("/api/v1/market/orders", {"limit": 5, "offset": 3}).json()
    assert data["count"] == len(expected)
    assert [o["code"] for o in data["items"]] == [codes[pk] for pk in expected[3:8]]
