"""The one place that defines the platform's domain event types and their payload schemas.

These are the platform's public events (the LGSP will publish them to other agencies): change a
payload only by adding optional fields. docs/events.md describes them for people; a test keeps
that page and this module in step. Every payload is checked against its JSON schema when it is
published (``tinhso.outbox.services.event_publish``), so a consumer can rely on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Dossier lifecycle: DossierEvent.action -> event type (one event per DossierEvent).
DOSSIER_ACTION_TYPES: dict[str, str] = {
    "submit": "dossier.submitted",
    "create_direct": "dossier.received",
    "receive": "dossier.received",
    "refuse": "dossier.refused",
    "request_supplement": "dossier.supplement_requested",
    "supplement": "dossier.supplemented",
    "assign": "dossier.assigned",
    "forward": "dossier.forwarded",
    "return_to_step": "dossier.returned_to_step",
    "request_payment": "dossier.payment_requested",
    "pay": "dossier.paid",
    "approve": "dossier.approved",
    "return_result": "dossier.result_returned",
    "withdraw": "dossier.withdrawn",
    "stop": "dossier.stopped",
    "apologize": "dossier.apologized",
    "rate": "dossier.rated",
    "import": "dossier.imported",
}

_ID = {"type": "integer"}
_OPT_ID = {"type": ["integer", "null"]}
_STR = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_OPT_TIME = {"type": ["string", "null"], "format": "date-time"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required),
            "properties": {**required, **(optional or {})}, "additionalProperties": True}


DOSSIER_PAYLOAD = _object({
    "dossier_id": _ID, "code": _STR, "procedure_code": _STR, "agency_id": _ID,
    "dossier_event_id": _ID, "action": {"enum": sorted(DOSSIER_ACTION_TYPES)},
    "from_status": _OPT_ID, "to_status": _ID, "at": _TIME, "due_at": _OPT_TIME,
    "note": _STR, "actor_id": _OPT_ID, "data": {"type": "object"}, "step": _OPT_ID,
})

PAYMENT_PAYLOAD = _object({
    "payment_id": _ID, "dossier_id": _ID, "dossier_code": _STR, "amount": _ID,
    "online": {"type": "boolean"}, "method": _STR, "reference": _STR, "at": _TIME,
})

DOCUMENT_PAYLOAD = _object({
    "document_id": _ID, "uuid": _STR, "form": _STR, "dossier_id": _OPT_ID,
    "dossier_code": {"type": ["string", "null"]}, "sha256": _STR, "signed_at": _TIME,
})

RESULT_PAYLOAD = _object({
    "dossier_id": _ID, "dossier_code": _STR, "result_id": _ID, "source": _STR,
    "decision_event_id": _ID, "document_uuid": {"type": ["string", "null"]},
    "replaced_result_id": _OPT_ID, "at": _TIME,
})

TRANSFER_PAYLOAD = _object({
    "dossier_id": _ID, "code": _STR, "transfer_id": _ID, "from_agency": _STR,
    "to_agency": _STR, "status": _ID, "due_at": _OPT_TIME, "at": _TIME,
})

CERTIFICATE_PAYLOAD = _object({
    "certificate_id": _ID, "serial": _STR, "kind": _STR, "ca": _STR,
    "holder_user_id": _OPT_ID, "holder_agency_id": _OPT_ID, "at": _TIME,
}, {"reason": _STR, "renewed_from": {"type": ["string", "null"]}, "not_after": _TIME})

FEEDBACK_PAYLOAD = _object({
    "feedback_id": _ID, "code": _STR, "kind": _STR, "agency_id": _ID, "dossier_id": _OPT_ID,
    "status": _STR, "at": _TIME,
})

MEETING_PAYLOAD = _object({
    "meeting_id": _ID, "slug": _STR, "agency_id": _ID, "title": _STR, "starts_at": _TIME,
    "ends_at": _TIME, "status": _STR, "at": _TIME,
}, {"reason": _STR, "attended": _ID, "participants": _ID, "sha256": _STR,
    "signer": _STR})

MAIL_RECEIVED_PAYLOAD = _object({
    "message_id": _STR, "agency_id": _ID, "from": _STR, "subject": _STR, "received_at": _TIME,
    "attachments": {"type": "array", "items": _object(
        {"name": _STR, "sha256": _STR, "size": _ID})},
}, {"inbound_id": _ID, "mailbox": _STR})

TRACE_CAPTURE_PAYLOAD = _object({
    "party_id": _ID, "count": _ID, "first_leaf": _ID, "last_leaf": _ID,
    "event_ids": {"type": "array", "items": _STR}, "at": _TIME,
}, {"capture_id": {"type": ["string", "null"]}})
MARKET_ORDER_PAYLOAD = _object({
    "order_id": _ID, "code": _STR, "seller_id": _ID, "listing_id": _ID, "crop": _STR,
    "quantity": _ID, "total": _ID, "action": _STR, "from_status": {"type": ["string", "null"]},
    "to_status": _STR, "at": _TIME,
}, {"commune_id": _OPT_ID, "refund_amount": _ID})

MARKET_SELLER_PAYLOAD = _object({
    "seller_id": _ID, "kind": _STR, "commune_code": _STR, "status": _STR, "at": _TIME,
})

MARKET_LISTING_PAYLOAD = _object({
    "listing_id": _ID, "seller_id": _ID, "crop": _STR, "price_vnd": _ID, "gtin": _STR,
    "lot": _STR, "at": _TIME,
})


CORR_OUT_PAYLOAD = _object({
    "outgoing_id": _ID, "uuid": _STR, "notation": _STR, "agency_id": _ID,
    "recipients": {"type": "array", "items": _STR}, "sha256": _STR,
})

CORR_IN_PAYLOAD = _object({
    "incoming_id": _ID, "agency_id": _ID, "incoming_number": _ID, "year": _ID, "source": _STR,
    "notation": _STR, "state": _STR, "due_on": {"type": ["string", "null"]},
})


@dataclass(frozen=True)
class EventType:
    name: str
    aggregate_type: str
    schema: dict[str, Any]
    description_vi: str
    description_en: str


# Vietnamese names of the dossier event types (the UI's words for the lifecycle steps).
_DOSSIER_VI = {
    "dossier.submitted": "Nộp hồ sơ trực tuyến",
    "dossier.received": "Tiếp nhận hồ sơ",
    "dossier.refused": "Từ chối tiếp nhận",
    "dossier.supplement_requested": "Yêu cầu bổ sung",
    "dossier.supplemented": "Bổ sung hồ sơ",
    "dossier.assigned": "Phân công",
    "dossier.forwarded": "Chuyển bước",
    "dossier.returned_to_step": "Trả về bước trước",
    "dossier.payment_requested": "Yêu cầu thanh toán",
    "dossier.paid": "Thanh toán",
    "dossier.approved": "Phê duyệt, hoàn thành xử lý",
    "dossier.result_returned": "Trả kết quả",
    "dossier.withdrawn": "Rút hồ sơ",
    "dossier.stopped": "Dừng xử lý",
    "dossier.apologized": "Xin lỗi, hẹn lại ngày trả",
    "dossier.rated": "Đánh giá",
    "dossier.imported": "Nhập từ hệ thống cũ",
}


def _dossier_types() -> dict[str, EventType]:
    out: dict[str, EventType] = {}
    for action, name in DOSSIER_ACTION_TYPES.items():
        if name not in out:  # receive and create_direct share "dossier.received"
            out[name] = EventType(name, "dossier", DOSSIER_PAYLOAD, _DOSSIER_VI[name],
                                  f"dossier lifecycle step ({action})")
    return out


_OTHERS = [
    EventType("payment.settled", "payment", PAYMENT_PAYLOAD, "Đã thanh toán phí, lệ phí",
              "a requested fee was paid (counter or gateway)"),
    EventType("payment.refunded", "payment", PAYMENT_PAYLOAD, "Đã hoàn tiền",
              "a payment was refunded"),
    EventType("document.issued", "document", DOCUMENT_PAYLOAD, "Đã phát hành văn bản có ký số",
              "a signed PDF (one-stop form, result, certified copy) was issued"),
    EventType("dossier.result_attached", "dossier", RESULT_PAYLOAD,
              "Đã đính kèm kết quả giải quyết",
              "the result of a decision was attached (uploaded and sealed, or generated), "
              "or replaced"),
    EventType("dossier.transferred", "dossier", TRANSFER_PAYLOAD,
              "Chuyển hồ sơ sang cơ quan kế nhiệm",
              "an open dossier was moved from an abolished agency to its successor"),
    EventType("certificate.issued", "certificate", CERTIFICATE_PAYLOAD,
              "Đã cấp chứng thư số", "a certificate was issued or renewed"),
    EventType("certificate.revoked", "certificate", CERTIFICATE_PAYLOAD,
              "Đã thu hồi chứng thư số", "a certificate was revoked"),
    EventType("correspondence.outgoing_released", "outgoing_document", CORR_OUT_PAYLOAD,
              "Đã phát hành văn bản đi", "a signed outgoing document was released to recipients"),
    EventType("correspondence.incoming_registered", "incoming_document", CORR_IN_PAYLOAD,
              "Đã vào sổ văn bản đến", "an incoming document was registered"),
    EventType("correspondence.incoming_assigned", "incoming_document", CORR_IN_PAYLOAD,
              "Đã phân công xử lý văn bản đến", "an incoming document was assigned"),
    EventType("correspondence.incoming_completed", "incoming_document", CORR_IN_PAYLOAD,
              "Đã xử lý xong văn bản đến", "an incoming document was completed"),
    EventType("feedback.received", "feedback", FEEDBACK_PAYLOAD,
              "Đã nhận phản ánh, kiến nghị", "a citizen filed feedback"),
    EventType("feedback.refused", "feedback", FEEDBACK_PAYLOAD,
              "Từ chối tiếp nhận phản ánh", "feedback was refused"),
    EventType("feedback.answered", "feedback", FEEDBACK_PAYLOAD,
              "Đã trả lời phản ánh, kiến nghị", "feedback was answered"),
    EventType("meeting.scheduled", "meeting", MEETING_PAYLOAD, "Đã lên lịch cuộc họp",
              "a meeting was scheduled (participants invited)"),
    EventType("meeting.cancelled", "meeting", MEETING_PAYLOAD, "Đã hủy cuộc họp",
              "a scheduled meeting was cancelled"),
    EventType("meeting.closed", "meeting", MEETING_PAYLOAD, "Cuộc họp đã kết thúc",
              "a meeting was closed; its votes are final"),
    EventType("minutes.signed", "meeting", MEETING_PAYLOAD, "Biên bản họp đã được ký số",
              "the chair signed the meeting's minutes (PAdES)"),
    EventType("mail.received", "mail", MAIL_RECEIVED_PAYLOAD, "Đã nhận thư công vụ",
              "a message arrived in an agency's official mailbox (IMAP)"),
    EventType("trace.events_captured", "trace_party", TRACE_CAPTURE_PAYLOAD,
              "Đã ghi nhận sự kiện truy xuất nguồn gốc",
              "EPCIS events were captured and appended to the traceability ledger"),
    EventType("market.seller_verified", "market_seller", MARKET_SELLER_PAYLOAD,
              "Chợ nông sản: đã xác minh người bán", "a market officer verified a seller"),
    EventType("market.listing_published", "market_listing", MARKET_LISTING_PAYLOAD,
              "Chợ nông sản: sản phẩm được đăng bán", "a verified seller published a listing"),
    EventType("market.order_placed", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: đơn hàng mới", "a buyer placed an order (stock reserved)"),
    EventType("market.order_paid", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: đơn hàng đã thanh toán", "an order was paid through the gateway"),
    EventType("market.order_confirmed", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: người bán xác nhận đơn", "the seller confirmed an order"),
    EventType("market.order_shipped", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: đơn hàng đang giao", "the seller shipped an order"),
    EventType("market.order_delivered", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: đã giao hàng", "the buyer received an order"),
    EventType("market.order_cancelled", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: đơn hàng bị hủy", "an order was cancelled (stock released)"),
    EventType("market.order_disputed", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: khiếu nại đơn hàng", "the buyer disputed an order"),
    EventType("market.order_resolved", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: đã giải quyết khiếu nại", "a market officer settled a dispute"),
    EventType("market.order_dispute_answered", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: người bán trả lời khiếu nại", "the seller answered a dispute"),
    EventType("market.order_escalated", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: khiếu nại chuyển cán bộ quản lý",
              "a dispute the seller left unanswered went to the market officers"),
    EventType("market.order_completed", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: đơn hàng hoàn tất", "a delivered order closed after its time limit"),
    EventType("market.order_refunded", "market_order", MARKET_ORDER_PAYLOAD,
              "Chợ nông sản: đã hoàn tiền đơn hàng", "money of an order went back to the buyer"),
]


EVENT_TYPES: dict[str, EventType] = {**_dossier_types(), **{t.name: t for t in _OTHERS}}
DOSSIER_TYPES: frozenset[str] = frozenset(DOSSIER_ACTION_TYPES.values())
