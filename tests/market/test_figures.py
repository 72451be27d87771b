"""The IOC figures from the outbox projection ("market-figures") equal the aggregate over the
orders: after random order lives, after a rebuild with events still pending, after a
redelivery."""

from __future__ import annotations

import contextlib
import random

import pytest

from tests.market.conftest import make_listing, make_seller, place
from tinhso.core.errors import DomainError
from tinhso.market.figures import figures_rebuild
from tinhso.market.models import MarketFigure, Order
from tinhso.market.orders import allowed_actions, order_act
from tinhso.market.selectors import market_figures, market_figures_raw
from tinhso.outbox.dispatch import drain_outbox, run_consumer
from tinhso.outbox.models import ConsumerCursor, OutboxEvent
from tinhso.units.models import AdminUnit, Level

pytestmark = pytest.mark.django_db


def random_lives(orders: list[Order], parties: dict[str, object], rng: random.Random,
                 steps: int) -> None:
    """Random legal steps by whoever may act (cancellations less often, so that orders also
    reach delivery, disputes and their settlement)."""
    for _ in range(steps):
        order = Order.objects.get(pk=rng.choice(orders).pk)
        users = [order.seller.owner if u is None else u for u in parties.values()]
        moves = [(u, a) for u in users for a in allowed_actions(u, order)
                 if a != "cancel" or rng.random() < 0.15]
        if not moves:
            continue
        user, action = rng.choice(moves)
        with contextlib.suppress(DomainError):  # e.g. a paid-online order to confirm
            order_act(acting_user=user, order=order, action=action, reason="Lý do ngẫu nhiên")


@pytest.fixture
def market(commune, officer, buyer, buyer2):
    other = AdminUnit.objects.create(structure=commune.structure, code="25433",
                                     name="Tiến Hưng", unit_type="Xã", level=Level.COMMUNE,
                                     parent=commune.parent)
    listings = [make_listing(make_seller(commune, officer, "HTX Điều Tiến Thành"), stock=500),
                make_listing(make_seller(other, officer, "Hộ tiêu Tiến Hưng"), stock=500,
                             crop="pepper", title="Hồ tiêu đen", price=150_000)]
    rng = random.Random(17)
    orders = [place(rng.choice(listings), rng.choice([buyer, buyer2]),
                    quantity=rng.randint(1, 5)) for _ in range(24)]
    return orders, rng


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_projection_equals_the_raw_aggregate(market, buyer, buyer2, officer, seed):
    orders, rng = market
    rng.seed(seed)
    random_lives(orders, {"a_buyer": buyer, "b_buyer": buyer2, "seller": None,
                          "z_officer": officer}, rng, 120)
    drain_outbox()
    projected, raw = market_figures(), market_figures_raw()
    assert projected == raw
    assert raw["totals"]["orders"] > 0 and raw["totals"]["turnover"] > 0
    assert set(raw["by_crop"]) == {"cashew", "pepper"}


def test_a_rebuild_with_events_pending_counts_nothing_twice(market, buyer, buyer2, officer):
    orders, rng = market
    random_lives(orders, {"a": buyer, "b": buyer2, "seller": None, "z": officer}, rng, 60)
    assert figures_rebuild() == MarketFigure.objects.count() > 0
    assert market_figures() == market_figures_raw()
    drain_outbox()  # the events the rebuild already counted are skipped
    assert market_figures() == market_figures_raw()
    random_lives(orders, {"a": buyer, "b": buyer2, "seller": None, "z": officer}, rng, 60)
    drain_outbox()
    assert market_figures() == market_figures_raw()
    # A redelivery from the start changes nothing either (per-order last event id).
    first = OutboxEvent.objects.order_by("id").values_list("id", flat=True).first()
    ConsumerCursor.objects.filter(name="market-figures").update(position=first - 1)
    run_consumer("market-figures", limit=10_000)
    assert market_figures() == market_figures_raw()


def test_the_command_verifies_and_rebuilds(market, capsys):
    from django.core.management import CommandError, call_command

    call_command("market", "figures-verify")
    assert "match" in capsys.readouterr().out
    MarketFigure.objects.update(orders=0)
    with pytest.raises(CommandError):
        call_command("market", "figures-verify")
    call_command("market", "figures-rebuild")
    call_command("market", "figures-verify", "--no-drain")
