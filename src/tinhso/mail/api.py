"""/api/v1/mail: the official address book, sending from the agency's address, the delivery
log and received mail.

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from tinhso.core.errors import NotFound, PermissionDenied
from tinhso.core.paging import bounded_pagination
from tinhso.mail import permissions, selectors, services
from tinhso.mail.models import OutboundMail

router = Router(tags=["mail"])


class MailAddressOut(Schema):
    kind: str
    name: str
    position: str
    email: str
    phone: str
    agency: str
    agency_name: str


class MailSendIn(Schema):
    to: list[str] = Field(..., min_length=1, max_length=services.MAX_RECIPIENTS)
    subject: str = Field(..., max_length=services.MAX_SUBJECT, json_schema_extra={
        "pattern": r"^[^\r\n]*\S[^\r\n]*$"})
    body: str = Field("", max_length=services.MAX_BODY)


class MailOutboundOut(Schema):
    id: int
    agency: str
    from_address: str
    to: list[str]
    subject: str
    state: str
    attempts: int
    log: list[dict[str, Any]]
    message_id: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class MailInboundOut(Schema):
    id: int
    agency: str
    mailbox: str
    message_id: str
    from_address: str
    subject: str
    received_at: dt.datetime
    attachments: list[dict[str, Any]]


def _outbound(mail: OutboundMail) -> dict[str, Any]:
    return {"id": mail.pk, "agency": mail.agency.code, "from_address": mail.from_address,
            "to": mail.to, "subject": mail.subject, "state": mail.state,
            "attempts": mail.attempts, "log": mail.log, "message_id": mail.message_id,
            "created_at": mail.created_at, "sent_at": mail.sent_at}


@router.get("/addresses", response=list[MailAddressOut], summary="Danh bạ thư công vụ")
@paginate(bounded_pagination(100, default=100))
def addresses(request: HttpRequest, q: Annotated[str, Field(max_length=100)] = "",
              agency: Annotated[str, Field(max_length=40)] = "") -> Any:
    if not permissions.can_read_directory(request.user):
        raise PermissionDenied()
    return [{"kind": e.kind, "name": e.name, "position": e.position, "email": e.email,
             "phone": e.phone, "agency": e.agency.code, "agency_name": e.agency.name}
            for e in selectors.address_book(request.user, q, agency)[:2000]]


@router.post("/send", response={201: MailOutboundOut},
             summary="Gửi thư công vụ từ địa chỉ của cơ quan")
def send(request: HttpRequest, payload: MailSendIn) -> Any:
    user = request.user
    agency = getattr(user, "agency", None)
    if agency is None or not permissions.can_send_for(user, agency.pk):
        raise PermissionDenied()
    mail = services.mail_send(agency=agency, to=payload.to, subject=payload.subject,
                              body=payload.body, acting_user=user, source="api")
    return Status(201, _outbound(mail))


@router.get("/sent", response=list[MailOutboundOut], summary="Nhật ký thư đã gửi")
@paginate(bounded_pagination(100, default=100))
def sent(request: HttpRequest) -> Any:
    return [_outbound(m) for m in selectors.outbound_visible_to(request.user)[:1000]]


@router.get("/sent/{mail_id}", response=MailOutboundOut, summary="Một thư đã gửi")
def sent_one(request: HttpRequest,
             mail_id: Annotated[int, Field(ge=1, le=2_147_483_647)]) -> Any:
    mail = selectors.outbound_visible_to(request.user).filter(pk=mail_id).first()
    if mail is None:
        raise NotFound("Không tìm thấy thư.", "Mail not found.", {"id": mail_id})
    return _outbound(mail)


@router.get("/received", response=list[MailInboundOut], summary="Thư đến")
@paginate(bounded_pagination(100, default=100))
def received(request: HttpRequest) -> Any:
    return [{"id": m.pk, "agency": m.agency.code, "mailbox": m.mailbox.address,
             "message_id": m.message_id, "from_address": m.from_address, "subject": m.subject,
             "received_at": m.received_at,
             "attachments": [{"name": a["name"], "sha256": a["sha256"], "size": a["size"]}
                             for a in m.attachments]}
            for m in selectors.inbound_visible_to(request.user)[:1000]]
