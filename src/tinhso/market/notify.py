"""Order steps → messages to the buyer and the seller (and the market officers when a dispute
escalates), through the notifications app: outbox consumer "market-notifications".

Each message is keyed on the outbox event (``market-order:{event id}``) and its recipient, so
a redelivered event announces nothing twice (the notifications app's unique constraint). The
channels (in-app, e-mail, SMS) and the language are each recipient's own preferences.

A consumer registered for the first time starts at the beginning of the outbox: events older
than ``MAX_AGE`` are skipped, so a deployment does not announce last year's orders.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

NAME = "market-notifications"
MAX_AGE = dt.timedelta(days=2)
BUYER, SELLER, OFFICER = "buyer", "seller", "officer"

# event type → recipient role → language → (the step in a few words, what it means for them)
Texts = dict[str, dict[str, tuple[str, str]]]
STEPS: dict[str, Texts] = {
    "market.order_placed": {
        BUYER: {"vi": ("đã đặt hàng", "Đơn hàng của bạn đã được gửi tới {seller}."),
                "en": ("order placed", "Your order was sent to {seller}.")},
        SELLER: {"vi": ("có đơn hàng mới", "Bạn có đơn hàng mới: hãy xác nhận hoặc từ chối."),
                 "en": ("new order", "You have a new order: please confirm or decline it.")},
    },
    "market.order_paid": {
        BUYER: {"vi": ("đã thanh toán", "Chúng tôi đã nhận tiền thanh toán đơn hàng."),
                "en": ("paid", "Your payment for the order was received.")},
        SELLER: {"vi": ("người mua đã thanh toán", "Đơn hàng đã được thanh toán trực tuyến: "
                        "hãy xác nhận đơn."),
                 "en": ("paid by the buyer", "The order was paid online: please confirm it.")},
    },
    "market.order_confirmed": {
        BUYER: {"vi": ("người bán đã xác nhận", "{seller} đã xác nhận đơn hàng và sẽ giao "
                       "hàng."),
                "en": ("confirmed", "{seller} confirmed the order and will ship it.")},
        SELLER: {"vi": ("đã xác nhận", "Bạn đã xác nhận đơn hàng: hãy giao hàng."),
                 "en": ("confirmed", "You confirmed the order: please ship it.")},
    },
    "market.order_shipped": {
        BUYER: {"vi": ("đang giao hàng", "Đơn hàng đang được giao tới bạn. Khi nhận được, "
                       "hãy bấm «Đã nhận hàng»."),
                "en": ("shipped", "Your order is on its way. Once it arrives, mark it as "
                       "received.")},
        SELLER: {"vi": ("đã giao cho vận chuyển", "Đơn hàng đã được giao cho vận chuyển."),
                 "en": ("shipped", "The order was handed to the carrier.")},
    },
    "market.order_delivered": {
        BUYER: {"vi": ("đã nhận hàng", "Bạn đã nhận hàng. Bạn có thể khiếu nại trong "
                       "{dispute_days} ngày nếu hàng không đúng."),
                "en": ("delivered", "You received the order. You may dispute it within "
                       "{dispute_days} days if something is wrong.")},
        SELLER: {"vi": ("người mua đã nhận hàng", "Người mua đã xác nhận nhận hàng."),
                 "en": ("delivered", "The buyer confirmed receiving the order.")},
    },
    "market.order_cancelled": {
        BUYER: {"vi": ("đã hủy", "Đơn hàng đã bị hủy. Lý do: {reason}. Nếu đã thanh toán, "
                       "tiền sẽ được hoàn lại."),
                "en": ("cancelled", "The order was cancelled. Reason: {reason}. Money already "
                       "paid will be refunded.")},
        SELLER: {"vi": ("đã hủy", "Đơn hàng đã bị hủy. Lý do: {reason}."),
                 "en": ("cancelled", "The order was cancelled. Reason: {reason}.")},
    },
    "market.order_disputed": {
        BUYER: {"vi": ("đã ghi nhận khiếu nại", "Khiếu nại của bạn đã được gửi tới người bán."),
                "en": ("dispute received", "Your dispute was sent to the seller.")},
        SELLER: {"vi": ("người mua khiếu nại", "Người mua khiếu nại: {reason}. Hãy trả lời "
                        "trong {answer_days} ngày, sau đó cán bộ quản lý chợ sẽ xem xét."),
                 "en": ("disputed", "The buyer disputes the order: {reason}. Please answer "
                        "within {answer_days} days; after that a market officer takes it.")},
    },
    "market.order_dispute_answered": {
        BUYER: {"vi": ("người bán đã trả lời khiếu nại", "Người bán trả lời: {reason}."),
                "en": ("the seller answered", "The seller answered: {reason}.")},
        SELLER: {"vi": ("đã trả lời khiếu nại", "Câu trả lời của bạn đã được gửi tới người "
                        "mua."),
                 "en": ("answer sent", "Your answer was sent to the buyer.")},
    },
    "market.order_escalated": {
        BUYER: {"vi": ("khiếu nại chuyển cán bộ", "Người bán chưa trả lời khiếu nại: cán bộ "
                       "quản lý chợ sẽ xem xét."),
                "en": ("dispute escalated", "The seller did not answer: a market officer "
                       "will settle the dispute.")},
        SELLER: {"vi": ("khiếu nại chuyển cán bộ", "Bạn chưa trả lời khiếu nại đúng hạn: cán "
                        "bộ quản lý chợ sẽ xem xét."),
                 "en": ("dispute escalated", "You did not answer the dispute in time: a market "
                        "officer will settle it.")},
        OFFICER: {"vi": ("khiếu nại cần xem xét", "Người bán chưa trả lời khiếu nại sau "
                         "{answer_days} ngày. Nội dung: {dispute}."),
                  "en": ("dispute to settle", "The seller has not answered the dispute for "
                         "{answer_days} days. Dispute: {dispute}.")},
    },
    "market.order_resolved": {
        BUYER: {"vi": ("đã giải quyết khiếu nại", "Kết luận của cán bộ quản lý chợ: {reason}."),
                "en": ("dispute settled", "The market officer's decision: {reason}.")},
        SELLER: {"vi": ("đã giải quyết khiếu nại", "Kết luận của cán bộ quản lý chợ: "
                        "{reason}."),
                 "en": ("dispute settled", "The market officer's decision: {reason}.")},
    },
    "market.order_completed": {
        BUYER: {"vi": ("hoàn tất", "Đơn hàng đã hoàn tất. Cảm ơn bạn đã mua hàng."),
                "en": ("completed", "The order is complete. Thank you.")},
        SELLER: {"vi": ("hoàn tất", "Đơn hàng đã hoàn tất."),
                 "en": ("completed", "The order is complete.")},
    },
    "market.order_refunded": {
        BUYER: {"vi": ("đã hoàn tiền", "Đã hoàn {refund} cho bạn qua VNPAY."),
                "en": ("refunded", "{refund} was refunded to you through VNPAY.")},
        SELLER: {"vi": ("đã hoàn tiền cho người mua", "Đã hoàn {refund} cho người mua."),
                 "en": ("refunded", "{refund} was refunded to the buyer.")},
    },
}
TYPES: set[str] = set(STEPS)


def handle_event(event: Any) -> int:
    """Tell everyone concerned about one order step, at most once each."""
    from tinhso.market.models import Order
    from tinhso.notifications import conf as notify_conf

    if not notify_conf.enabled() or event.type not in STEPS:
        return 0
    if event.occurred_at < timezone.now() - MAX_AGE:
        return 0
    payload = event.payload or {}
    order = (Order.objects.select_related("seller", "seller__owner", "buyer", "listing")
             .filter(pk=payload.get("order_id") or 0).first())
    if order is None:
        return 0
    written = 0
    for role, user, phone in _recipients(order, event.type):
        written += _tell(event, order, role, user, phone)
    return written


def _recipients(order: Any, event_type: str) -> list[tuple[str, Any, str]]:
    out = [(BUYER, order.buyer, order.buyer_phone),
           (SELLER, order.seller.owner, order.seller.phone)]
    if OFFICER in STEPS[event_type]:
        from tinhso.market.permissions import market_officers

        out += [(OFFICER, user, "") for user in market_officers()]
    return out


def _tell(event: Any, order: Any, role: str, user: Any, phone: str) -> int:
    from tinhso.notifications.services import notification_create, user_recipient

    recipient = user_recipient(user, phone=phone)
    step, detail = STEPS[event.type][role].get(recipient.language) or STEPS[event.type][role]["vi"]
    context = _context(event, order, recipient.language)
    context.update(step=step, detail=detail.format_map(context))
    created = notification_create(event_key=f"market-order:{event.event_id}", kind="market_order",
                                  recipient=recipient, context=context, link=_link(order))
    return 1 if created is not None else 0


def _context(event: Any, order: Any, language: str) -> dict[str, Any]:
    from tinhso.market import conf
    from tinhso.notifications.handlers import vnd

    payload = event.payload or {}
    note = (order.events.filter(at=event.occurred_at).exclude(note="")
            .values_list("note", flat=True).last()) or "—"
    dispute = (order.events.filter(action="dispute").values_list("note", flat=True).last()
               or "—")
    return {"code": order.code, "product": order.listing.title, "quantity": order.quantity,
            "amount": vnd(order.total), "seller": order.seller.name, "reason": note,
            "dispute": dispute, "refund": vnd(int(payload.get("refund_amount") or 0)),
            "dispute_days": conf.dispute_days(), "answer_days": conf.dispute_answer_days(),
            "short_link": _link(order)}


def _link(order: Any) -> str:
    from tinhso.notifications import conf as notify_conf

    return f"{notify_conf.public_url()}{reverse('market:order', kwargs={'code': order.code})}"
