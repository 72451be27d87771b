"""Orders: placement with stock reservation, and the lifecycle table every transition obeys.

States: placed → confirmed → shipped → delivered; cancelled; disputed. One table (``LIFECYCLE``)
says which party may take which action from which states, to which state, whether a reason is
required and whether the reserved stock goes back to the listing. ``order_act`` is the only
writer of a transition; ``allowed_actions`` reads the same table for the UI and the API.

Stock is reserved when the order is placed, by one conditional ``UPDATE … SET stock = stock - q
WHERE stock >= q``: of two buyers racing for the last unit, the second's update matches no row
(PostgreSQL re-reads the row after the first commits) and they get 409 ``OUT_OF_STOCK``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.core.scoping import is_signed_in
from tinhso.market.models import (
    Listing,
    ListingStatus,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    SellerStatus,
)
from tinhso.market.permissions import is_market_officer
from tinhso.market.services import phone, publish, text, whole

MAX_QUANTITY = 1_000_000
MAX_ORDER_TOTAL = 100_000_000_000  # 100 tỷ đồng

BUYER, SELLER, OFFICER = "buyer", "seller", "officer"
# The periodic job (``tinhso.market.deadlines``): no user ever holds this party.
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    action: str
    party: str
    from_statuses: frozenset[str]
    to_status: str
    reason_required: bool = False
    releases_stock: bool = False
    label: str = ""


S = OrderStatus
LIFECYCLE: tuple[Transition, ...] = (
    Transition("confirm", SELLER, frozenset({S.PLACED}), S.CONFIRMED, label="Xác nhận đơn"),
    Transition("ship", SELLER, frozenset({S.CONFIRMED}), S.SHIPPED, label="Giao cho vận chuyển"),
    Transition("deliver", BUYER, frozenset({S.SHIPPED}), S.DELIVERED, label="Đã nhận hàng"),
    Transition("cancel", BUYER, frozenset({S.PLACED}), S.CANCELLED, releases_stock=True,
               label="Hủy đơn"),
    Transition("cancel", SELLER, frozenset({S.PLACED, S.CONFIRMED}), S.CANCELLED,
               reason_required=True, releases_stock=True, label="Từ chối / hủy đơn"),
    Transition("dispute", BUYER, frozenset({S.SHIPPED, S.DELIVERED}), S.DISPUTED,
               reason_required=True, label="Khiếu nại"),
    # The seller answers a dispute (its M-day clock stops); the status stays "disputed".
    Transition("answer_dispute", SELLER, frozenset({S.DISPUTED}), S.DISPUTED,
               reason_required=True, label="Trả lời khiếu nại"),
    # Unanswered for M days: the market officers are told (status unchanged).
    Transition("escalate", SYSTEM, frozenset({S.DISPUTED}), S.DISPUTED),
    # Delivered K days ago and not disputed: closed for good.
    Transition("complete", SYSTEM, frozenset({S.DELIVERED}), S.COMPLETED),
    # A dispute is settled by a market officer: the goods count as delivered, or the order is
    # cancelled (the goods left the seller: the stock is not put back automatically).
    Transition("resolve_delivered", OFFICER, frozenset({S.DISPUTED}), S.DELIVERED,
               reason_required=True, label="Kết luận: đã giao đúng"),
    Transition("resolve_cancelled", OFFICER, frozenset({S.DISPUTED}), S.CANCELLED,
               reason_required=True, label="Kết luận: hủy đơn"),
)
ACTIONS: frozenset[str] = frozenset(t.action for t in LIFECYCLE)

EVENT_TYPES: dict[str, str] = {
    "place": "market.order_placed",
    "confirm": "market.order_confirmed",
    "ship": "market.order_shipped",
    "deliver": "market.order_delivered",
    "cancel": "market.order_cancelled",
    "dispute": "market.order_disputed",
    "resolve_delivered": "market.order_resolved",
    "resolve_cancelled": "market.order_resolved",
    "answer_dispute": "market.order_dispute_answered",
    "escalate": "market.order_escalated",
    "complete": "market.order_completed",
    "pay": "market.order_paid",
    "refund": "market.order_refunded",
}


def parties(user: Any, order: Order) -> set[str]:
    out: set[str] = set()
    if not is_signed_in(user):
        return out
    if order.buyer_id == user.pk:
        out.add(BUYER)
    if order.seller.owner_id == user.pk:
        out.add(SELLER)
    if is_market_officer(user):
        out.add(OFFICER)
    return out


def find_transition(action: str, user_parties: set[str], status: str) -> Transition | None:
    for t in LIFECYCLE:
        if t.action == action and t.party in user_parties and status in t.from_statuses:
            return t
    return None


def allowed_actions(user: Any, order: Order) -> list[str]:
    mine = parties(user, order)
    seen: list[str] = []
    for t in LIFECYCLE:
        if t.party in mine and order.status in t.from_statuses and t.action not in seen:
            if t.action == "confirm" and not _payment_ok(order):
                continue
            if t.action == "answer_dispute" and order.dispute_answered_at is not None:
                continue
            seen.append(t.action)
    return seen


def _payment_ok(order: Order) -> bool:
    return order.payment_method != PaymentMethod.VNPAY or order.paid_at is not None


def record(order: Order, *, actor: Any, action: str, from_status: str, at: dt.datetime,
           note: str = "", data: dict[str, Any] | None = None,
           extra: dict[str, Any] | None = None) -> OrderEvent:
    """The append-only event row and the outbox event of one step, in the caller's
    transaction."""
    event = OrderEvent.objects.create(
        order=order, at=at, actor=actor if getattr(actor, "pk", None) else None, action=action,
        from_status=from_status, to_status=order.status, note=note, data=data or {})
    publish(EVENT_TYPES[action], "market_order", order.pk, actor,
            {"order_id": order.pk, "code": order.code, "seller_id": order.seller_id,
             "listing_id": order.listing_id, "crop": order.crop, "quantity": order.quantity,
             "total": order.total, "action": action, "from_status": from_status or None,
             "to_status": order.status, "commune_id": order.commune_id, **(extra or {})}, at)
    return event


@transaction.atomic
def order_place(*, acting_user: Any, listing_id: int, quantity: int, shipping_address: str,
                buyer_phone: str, payment_method: str = PaymentMethod.COD,
                note: str = "") -> Order:
    """A signed-in buyer orders from a published listing of a verified seller; the quantity is
    taken from the stock at once (reserved) and given back if the order is cancelled."""
    if not is_signed_in(acting_user):
        raise PermissionDenied({"reason": "sign in to order"})
    quantity = whole(quantity, "quantity", 1, MAX_QUANTITY)
    if payment_method not in PaymentMethod.values:
        raise ValidationFailed("INVALID_FIELD", "Hình thức thanh toán không hợp lệ.",
                               "Unknown payment method.",
                               {"field": "payment_method", "allowed": list(PaymentMethod.values)})
    address = text(shipping_address, "shipping_address", 255)
    contact = phone(buyer_phone, "buyer_phone", required=True)
    listing = (Listing.objects.select_related("seller")
               .filter(pk=listing_id, status=ListingStatus.PUBLISHED,
                       seller__status=SellerStatus.VERIFIED).first())
    if listing is None:
        raise NotFound("Không tìm thấy sản phẩm đang bán.", "No such listing on sale.",
                       {"listing_id": listing_id})
    if listing.seller.owner_id == acting_user.pk:
        raise Conflict("OWN_LISTING", "Không thể đặt mua sản phẩm của chính mình.",
                       "You cannot order your own listing.")
    total = listing.price_vnd * quantity
    if total > MAX_ORDER_TOTAL:
        raise ValidationFailed("ORDER_TOO_LARGE", "Giá trị đơn hàng vượt quá giới hạn.",
                               "The order's value is over the limit.",
                               {"total": total, "max": MAX_ORDER_TOTAL})
    taken = (Listing.objects.filter(pk=listing.pk, status=ListingStatus.PUBLISHED,
                                    stock__gte=quantity)
             .update(stock=F("stock") - quantity))
    if not taken:
        current = Listing.objects.filter(pk=listing.pk).values_list("stock", flat=True).first()
        raise Conflict("OUT_OF_STOCK", "Sản phẩm không còn đủ số lượng bạn đặt.",
                       "Not enough stock left for this order.",
                       {"requested": quantity, "available": current or 0})
    at = timezone.now()
    order = Order.objects.create(
        code=f"DH{timezone.localtime(at):%y%m%d}{secrets.token_hex(4).upper()}",
        buyer=acting_user, seller=listing.seller, listing=listing, quantity=quantity,
        unit_price=listing.price_vnd, total=total, commune_id=listing.commune_id,
        crop=listing.crop, payment_method=payment_method, shipping_address=address,
        buyer_phone=contact, note=text(note, "note", 500, required=False),
        status=OrderStatus.PLACED, placed_at=at)
    record(order, actor=acting_user, action="place", from_status="", at=at,
           data={"reserved": quantity})
    return order


def _lock(order: Order, expected_version: int | None) -> Order:
    locked = Order.objects.select_for_update(of=("self",)).select_related("seller").get(
        pk=order.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict("STALE_VERSION", "Đơn hàng đã được cập nhật bởi người khác; hãy tải lại.",
                       "The order was changed by someone else; reload it.",
                       {"expected": expected_version, "current": locked.version})
    return locked


@transaction.atomic
def order_act(*, acting_user: Any, order: Order, action: str, reason: str = "",
              expected_version: int | None = None) -> Order:
    """Apply one transition of ``LIFECYCLE`` (409 ``ILLEGAL_TRANSITION`` when the table has
    no row for this party, action and state)."""
    if action not in ACTIONS:
        raise NotFound("Không có thao tác này.", "No such action.", {"action": action})
    order = _lock(order, expected_version)
    mine = parties(acting_user, order)
    if not mine:
        raise NotFound("Không tìm thấy đơn hàng.", "Order not found.", {"code": order.code})
    transition = find_transition(action, mine, order.status)
    if transition is None:
        raise Conflict("ILLEGAL_TRANSITION",
                       f"Không thể thực hiện «{action}» khi đơn hàng ở trạng thái "
                       f"«{order.get_status_display()}».",
                       f"Cannot {action} an order in status {order.status!r}.",
                       {"status": order.status, "action": action,
                        "allowed": allowed_actions(acting_user, order)})
    note = text(reason, "reason", 2000, required=transition.reason_required)
    if action == "confirm" and not _payment_ok(order):
        raise Conflict("PAYMENT_REQUIRED", "Đơn hàng thanh toán trực tuyến chưa được thanh toán.",
                       "The order is to be paid online and is not paid yet.")
    at = timezone.now()
    if action == "dispute" and order.status == OrderStatus.DELIVERED:
        _check_dispute_window(order, at)
    if action == "answer_dispute" and order.dispute_answered_at is not None:
        raise Conflict("DISPUTE_ALREADY_ANSWERED", "Người bán đã trả lời khiếu nại này.",
                       "The seller has already answered this dispute.")
    return _apply(order, transition, actor=acting_user, note=note, at=at)


def _check_dispute_window(order: Order, at: dt.datetime) -> None:
    from tinhso.market import conf

    days = conf.dispute_days()
    if order.delivered_at is not None and at > order.delivered_at + dt.timedelta(days=days):
        raise Conflict("DISPUTE_TOO_LATE",
                       f"Chỉ được khiếu nại trong {days} ngày kể từ khi nhận hàng.",
                       f"An order may be disputed only within {days} days of delivery.",
                       {"delivered_at": order.delivered_at.isoformat(), "days": days})


def _apply(order: Order, transition: Transition, *, actor: Any, note: str,
           at: dt.datetime) -> Order:
    """Write one transition (the caller holds the order's row lock)."""
    previous = order.status
    order.status = transition.to_status
    fields = ["status", "version"]
    data: dict[str, Any] = {"party": transition.party}
    if transition.releases_stock:
        Listing.objects.filter(pk=order.listing_id).update(stock=F("stock") + order.quantity)
        data["released"] = order.quantity
    stamps = {"deliver": "delivered_at", "resolve_delivered": "delivered_at",
              "dispute": "disputed_at", "answer_dispute": "dispute_answered_at",
              "escalate": "escalated_at", "complete": "completed_at"}
    if transition.action in stamps:
        setattr(order, stamps[transition.action], at)
        fields.append(stamps[transition.action])
    if transition.action == "dispute":  # a new dispute: its own answer and escalation clocks
        order.dispute_answered_at = order.escalated_at = None
        fields += ["dispute_answered_at", "escalated_at"]
    if order.status == OrderStatus.CANCELLED and order.paid_at is not None:
        order.needs_refund = True
        fields.append("needs_refund")
        data["needs_refund"] = True
    order.version += 1
    order.save(update_fields=fields)
    record(order, actor=actor, action=transition.action, from_status=previous, at=at, note=note,
           data=data)
    if order.needs_refund:
        from tinhso.market.refunds import schedule_refund

        schedule_refund(order.pk)
    return order


@transaction.atomic
def order_system_act(*, order_id: int, action: str, not_after: dt.datetime | None = None
                     ) -> Order | None:
    """A step of the periodic job (escalate, complete) on one order, re-checked under its lock:
    None when the order moved on meanwhile (a user's act won the race)."""
    order = Order.objects.select_for_update(of=("self",)).select_related("seller").filter(
        pk=order_id).first()
    transition = find_transition(action, {SYSTEM}, order.status) if order else None
    if order is None or transition is None:
        return None
    if not_after is not None:  # the deadline's start must still be before the cut-off
        start = order.delivered_at if action == "complete" else order.disputed_at
        if start is None or start > not_after or (action == "escalate" and (
                order.dispute_answered_at is not None or order.escalated_at is not None)):
            return None
    return _apply(order, transition, actor=None, note="", at=timezone.now())
