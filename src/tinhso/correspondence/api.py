"""/api/v1/correspondence: outgoing and incoming documents, edXML import/export, search,
exports, the IOC card. Officials of the holding agency only (selectors scope every read).

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import StrictStr

from tinhso.core.errors import ValidationFailed
from tinhso.correspondence import exchange, exports, push, selectors
from tinhso.correspondence import services_in as inc
from tinhso.correspondence import services_out as out
from tinhso.correspondence.doctypes import DocType
from tinhso.correspondence.models import IncomingDocument, OutgoingDocument

router = Router(tags=["correspondence"])
DAY_MIN, DAY_MAX = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
XML = "application/xml"


class CorrDocTypeOut(Schema):
    code: str
    name: str


class CorrOutgoingIn(Schema):
    doc_type: DocType
    subject: StrictStr = Field(..., min_length=1, max_length=500, pattern=r"\S")
    body: StrictStr = Field("", max_length=50_000)
    recipients_text: StrictStr = Field("", max_length=4000)
    unit_id: int | None = Field(None, ge=1, le=2**62)


class CorrOutgoingEditIn(Schema):
    subject: StrictStr = Field(..., min_length=1, max_length=500, pattern=r"\S")
    body: StrictStr = Field("", max_length=50_000)
    recipients_text: StrictStr | None = Field(None, max_length=4000)
    expected_version: int | None = Field(None, ge=1, le=1_000_000)


class CorrCommentIn(Schema):
    text: StrictStr = Field(..., min_length=1, max_length=4000, pattern=r"\S")


class CorrStepIn(Schema):
    note: StrictStr = Field("", max_length=4000)
    signer_title: StrictStr = Field("", max_length=120)
    authority: StrictStr = Field("", max_length=120)


class CorrExternalIn(Schema):
    code: StrictStr = Field(..., min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    name: StrictStr = Field("", max_length=200)


class CorrReleaseIn(Schema):
    agency_codes: list[StrictStr] = Field(default_factory=list, max_length=200)
    external: list[CorrExternalIn] = Field(default_factory=list, max_length=200)


class CorrReasonIn(Schema):
    reason: StrictStr = Field(..., min_length=1, max_length=2000, pattern=r"\S")


class CorrRecipientOut(Schema):
    code: str
    name: str
    status: str
    status_at: dt.datetime | None


class CorrOutgoingOut(Schema):
    id: int
    uuid: str
    agency: str
    doc_type: str
    state: str
    state_label: str
    subject: str
    body: str
    version: int
    number: int | None
    notation: str
    promulgated_on: dt.date | None
    signer: str
    pdf_sha256: str
    recipients: list[CorrRecipientOut]


class CorrIncomingIn(Schema):
    source: Literal["paper", "email"] = "paper"
    sender_name: StrictStr = Field(..., min_length=1, max_length=200, pattern=r"\S")
    sender_code: StrictStr = Field("", max_length=40)
    number: StrictStr = Field("", max_length=20)
    notation: StrictStr = Field("", max_length=60)
    subject: StrictStr = Field(..., min_length=1, max_length=500, pattern=r"\S")
    doc_type: StrictStr = Field("", max_length=4)
    promulgated_on: dt.date | None = Field(None, ge=DAY_MIN, le=DAY_MAX)
    external_ref: StrictStr | None = Field(None, min_length=1, max_length=120)


class CorrAssignIn(Schema):
    unit_id: int = Field(..., ge=1, le=2**62)
    handler_id: int | None = Field(None, ge=1, le=2**62)
    working_days: int = Field(10, ge=1, le=365)
    note: StrictStr = Field("", max_length=4000)


class CorrForwardIn(Schema):
    unit_id: int | None = Field(None, ge=1, le=2**62)
    handler_id: int | None = Field(None, ge=1, le=2**62)
    note: StrictStr = Field("", max_length=4000)


class CorrNoteIn(Schema):
    note: StrictStr = Field(..., min_length=1, max_length=4000, pattern=r"\S")


class CorrIncomingOut(Schema):
    id: int
    agency: str
    year: int
    incoming_number: int
    received_at: dt.datetime
    source: str
    sender_name: str
    sender_code: str
    number: str
    notation: str
    subject: str
    promulgated_on: dt.date | None
    state: str
    handling_unit: str
    handler: str
    due_on: dt.date | None
    files: list[dict[str, Any]]


class CorrRegisterQuery(Schema):
    q: StrictStr = Field("", max_length=200)
    date_from: dt.date | None = Field(None, ge=DAY_MIN, le=DAY_MAX)
    date_to: dt.date | None = Field(None, ge=DAY_MIN, le=DAY_MAX)
    cursor: StrictStr | None = Field(None, max_length=80)
    limit: int = Field(50, ge=1, le=200)


class CorrIncomingQuery(CorrRegisterQuery):
    state: Literal["", "open", "overdue", "registered", "assigned", "processing", "completed",
                   "rejected", "withdrawn"] = ""


class CorrOutgoingPage(Schema):
    items: list[CorrOutgoingOut]
    next_cursor: str | None


class CorrIncomingPage(Schema):
    items: list[CorrIncomingOut]
    next_cursor: str | None


class CorrUnitLoadOut(Schema):
    agency: str
    unit: str
    open: int
    due_soon: int
    overdue: int


class CorrExportQuery(Schema):
    kind: Literal["in", "out"] = Field(..., description="in: sổ đến, out: sổ đi")
    format: Literal["csv", "xlsx", "pdf"] = "csv"
    q: StrictStr = Field("", max_length=200)
    date_from: dt.date | None = Field(None, ge=DAY_MIN, le=DAY_MAX)
    date_to: dt.date | None = Field(None, ge=DAY_MIN, le=DAY_MAX)


def outgoing_out(doc: OutgoingDocument, user: Any) -> dict[str, Any]:
    return {
        "id": doc.pk, "uuid": str(doc.uuid), "agency": doc.agency.code,
        "doc_type": doc.doc_type, "state": doc.state, "state_label": doc.get_state_display(),
        "subject": doc.subject, "body": doc.body, "version": doc.version, "number": doc.number,
        "notation": doc.notation, "promulgated_on": doc.promulgated_on,
        "signer": doc.signer.full_name if doc.signer_id and doc.signer else "",
        "pdf_sha256": doc.pdf_sha256,
        "recipients": [{"code": r.code, "name": r.name, "status": r.status,
                        "status_at": r.status_at} for r in selectors.recipients(doc, user)],
    }


def incoming_out(doc: IncomingDocument, user: Any) -> dict[str, Any]:
    return {
        "id": doc.pk, "agency": doc.agency.code, "year": doc.year,
        "incoming_number": doc.incoming_number, "received_at": doc.received_at,
        "source": doc.source, "sender_name": doc.sender_name, "sender_code": doc.sender_code,
        "number": doc.number, "notation": doc.notation, "subject": doc.subject,
        "promulgated_on": doc.promulgated_on, "state": doc.state,
        "handling_unit": doc.handling_unit.name if doc.handling_unit else "",
        "handler": doc.handler.full_name if doc.handler else "", "due_on": doc.due_on,
        "files": [{"id": f.pk, "name": f.name, "sha256": f.sha256, "size": f.size}
                  for f in selectors.files_of(user, incoming=doc)],
    }


@router.get("/doc-types", response=list[CorrDocTypeOut], summary="Loại văn bản (NĐ 30/2020)")
def doc_types(request: HttpRequest) -> list[dict[str, str]]:
    return [{"code": t.value, "name": t.label} for t in DocType]


@router.get("/outgoing", response=CorrOutgoingPage, summary="Sổ văn bản đi (tìm kiếm)")
def outgoing_list(request: HttpRequest, f: Query[CorrRegisterQuery]) -> dict[str, Any]:
    page = selectors.outgoing_register(request.user, query=f.q, date_from=f.date_from,
                                       date_to=f.date_to, cursor=f.cursor, limit=f.limit)
    return {"items": [outgoing_out(d, request.user) for d in page.items],
            "next_cursor": page.next_cursor}


@router.post("/outgoing", response={201: CorrOutgoingOut}, summary="Tạo dự thảo văn bản đi")
def outgoing_create(request: HttpRequest, payload: CorrOutgoingIn) -> Any:
    unit = selectors.unit_get(request.user, payload.unit_id)
    doc = out.outgoing_create(acting_user=request.user, doc_type=payload.doc_type.value,
                              subject=payload.subject, body=payload.body,
                              recipients_text=payload.recipients_text, unit=unit)
    return Status(201, outgoing_out(doc, request.user))


@router.get("/outgoing/{doc_id}", response=CorrOutgoingOut, summary="Một văn bản đi")
def outgoing_detail(request: HttpRequest, doc_id: int) -> dict[str, Any]:
    return outgoing_out(selectors.outgoing_get(request.user, doc_id), request.user)


@router.put("/outgoing/{doc_id}", response=CorrOutgoingOut,
            summary="Sửa dự thảo (lưu thành phiên bản mới)")
def outgoing_edit(request: HttpRequest, doc_id: int, payload: CorrOutgoingEditIn) -> Any:
    doc = selectors.outgoing_get(request.user, doc_id)
    doc = out.outgoing_edit(acting_user=request.user, document=doc, subject=payload.subject,
                            body=payload.body, recipients_text=payload.recipients_text,
                            expected_version=payload.expected_version)
    return outgoing_out(doc, request.user)


@router.post("/outgoing/{doc_id}/comments", response={201: dict[str, Any]},
             summary="Góp ý dự thảo")
def outgoing_comment(request: HttpRequest, doc_id: int, payload: CorrCommentIn) -> Any:
    doc = selectors.outgoing_get(request.user, doc_id)
    event = out.outgoing_comment(acting_user=request.user, document=doc, text=payload.text)
    return Status(201, {"id": event.pk, "at": event.at.isoformat()})


STEPS: dict[str, Callable[..., OutgoingDocument]] = {
    "submit": out.outgoing_submit, "approve": out.outgoing_approve,
    "return": out.outgoing_return, "sign": out.outgoing_sign, "seal": out.outgoing_seal,
}


@router.post("/outgoing/{doc_id}/steps/{step}", response=CorrOutgoingOut,
             summary="Trình, duyệt, trả lại, ký (lãnh đạo), đóng dấu (văn thư)")
def outgoing_step(request: HttpRequest, doc_id: int,
                  step: Literal["submit", "approve", "return", "sign", "seal"],
                  payload: CorrStepIn) -> Any:
    doc = selectors.outgoing_get(request.user, doc_id)
    kwargs: dict[str, Any] = {"acting_user": request.user, "document": doc}
    if step in ("submit", "approve", "return"):
        kwargs["note"] = payload.note
    if step == "sign":
        kwargs.update(signer_title=payload.signer_title, authority=payload.authority)
    return outgoing_out(STEPS[step](**kwargs), request.user)


@router.post("/outgoing/{doc_id}/release", response=CorrOutgoingOut,
             summary="Phát hành tới nơi nhận (trong tỉnh và ngoài tỉnh)")
def outgoing_release(request: HttpRequest, doc_id: int, payload: CorrReleaseIn) -> Any:
    doc = selectors.outgoing_get(request.user, doc_id)
    doc = exchange.outgoing_release(acting_user=request.user, document=doc,
                                    agency_codes=list(payload.agency_codes),
                                    external=[(e.code, e.name) for e in payload.external])
    return outgoing_out(doc, request.user)


@router.post("/outgoing/{doc_id}/withdraw", response=CorrOutgoingOut,
             summary="Thu hồi văn bản đã phát hành")
def outgoing_withdraw(request: HttpRequest, doc_id: int, payload: CorrReasonIn) -> Any:
    doc = selectors.outgoing_get(request.user, doc_id)
    doc = exchange.outgoing_withdraw(acting_user=request.user, document=doc,
                                     reason=payload.reason)
    return outgoing_out(doc, request.user)


@router.get("/outgoing/{doc_id}/edxml", response={200: None},
            summary="Gói edXML đã gửi của văn bản")
def outgoing_edxml(request: HttpRequest, doc_id: int) -> HttpResponse:
    doc = selectors.outgoing_get(request.user, doc_id)
    response = HttpResponse(exchange.export_package(doc), content_type=XML)
    response["Content-Disposition"] = f'attachment; filename="edxml-{doc.uuid}.xml"'
    return response


@router.post("/edxml/import", response=dict[str, Any],
             summary="Nhận gói edXML hoặc thông điệp trạng thái (tệp)")
def edxml_import(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    if file.size is not None and file.size > 50 * 1024 * 1024:
        raise ValidationFailed("EDXML_TOO_LARGE", "Gói edXML quá lớn.", "Too large.")
    agency = getattr(request.user, "agency", None)
    if agency is None:
        raise ValidationFailed("CORR_NO_AGENCY", "Tài khoản không thuộc cơ quan nào.",
                               "The account belongs to no agency.")
    result = exchange.import_any(data=file.read(), agency=agency, acting_user=request.user)
    if isinstance(result, list):
        return {"kind": "document", "incoming": [incoming_out(d, request.user) for d in result]}
    return {"kind": "status"}


class CorrReceivedOut(Schema):
    agency: str
    incoming_id: int
    incoming_number: int


class CorrReceiveOut(Schema):
    kind: Literal["document", "status"]
    document_id: str
    registered: list[CorrReceivedOut]


RECEIVE_BODY = {"requestBody": {"required": True, "content": {XML: {"schema": {
    "type": "string", "description": "an edXML package or status message"}}}}}


@router.post("/edxml/receive", response=CorrReceiveOut, openapi_extra=RECEIVE_BODY,
             summary="Nhận gói edXML đẩy tới qua LGSP (liên thông văn bản)")
def edxml_receive(request: HttpRequest) -> dict[str, Any]:
    """The LGSP service other members push packages and status messages to (through the
    gateway, which presents a service account's token): the raw XML is the body. A package
    is registered once in every addressed agency here; pushing it again answers the same."""
    return push.receive_pushed(user=request.user, data=request.body,
                               content_type=request.content_type or "")


@router.get("/incoming", response=CorrIncomingPage, summary="Sổ văn bản đến (tìm kiếm)")
def incoming_list(request: HttpRequest, f: Query[CorrIncomingQuery]) -> dict[str, Any]:
    page = selectors.incoming_register(request.user, query=f.q, date_from=f.date_from,
                                       date_to=f.date_to, state=f.state, cursor=f.cursor,
                                       limit=f.limit)
    return {"items": [incoming_out(d, request.user) for d in page.items],
            "next_cursor": page.next_cursor}


@router.post("/incoming", response={201: CorrIncomingOut},
             summary="Vào sổ văn bản đến (bản giấy, thư điện tử)")
def incoming_create(request: HttpRequest, payload: CorrIncomingIn) -> Any:
    user = request.user
    if not getattr(user, "agency_id", None):
        raise ValidationFailed("CORR_NO_AGENCY", "Tài khoản không thuộc cơ quan nào.",
                               "The account belongs to no agency.")
    doc = inc.incoming_register(acting_user=user, agency=getattr(user, "agency", None),
                                **payload.dict())
    return Status(201, incoming_out(doc, user))


@router.post("/incoming/{doc_id}/files", response={201: CorrIncomingOut},
             summary="Đính kèm bản scan (PDF, ảnh)")
def incoming_file(request: HttpRequest, doc_id: int, file: File[UploadedFile]) -> Any:
    from tinhso.correspondence.uploads import scan_attach

    doc = selectors.incoming_get(request.user, doc_id)
    scan_attach(acting_user=request.user, incoming=doc, upload=file)
    return Status(201, incoming_out(doc, request.user))


@router.get("/incoming/{doc_id}", response=CorrIncomingOut, summary="Một văn bản đến")
def incoming_detail(request: HttpRequest, doc_id: int) -> dict[str, Any]:
    return incoming_out(selectors.incoming_get(request.user, doc_id), request.user)


@router.post("/incoming/{doc_id}/assign", response=CorrIncomingOut, summary="Phân công xử lý")
def incoming_assign(request: HttpRequest, doc_id: int, payload: CorrAssignIn) -> Any:
    user = request.user
    doc = selectors.incoming_get(user, doc_id)
    doc = inc.incoming_assign(acting_user=user, incoming=doc,
                              unit=selectors.unit_get(user, payload.unit_id),
                              handler=selectors.colleague_get(user, payload.handler_id),
                              working_days=payload.working_days, note=payload.note)
    return incoming_out(doc, user)


@router.post("/incoming/{doc_id}/forward", response=CorrIncomingOut, summary="Chuyển xử lý")
def incoming_forward(request: HttpRequest, doc_id: int, payload: CorrForwardIn) -> Any:
    user = request.user
    doc = selectors.incoming_get(user, doc_id)
    doc = inc.incoming_forward(acting_user=user, incoming=doc,
                               unit=selectors.unit_get(user, payload.unit_id),
                               handler=selectors.colleague_get(user, payload.handler_id),
                               note=payload.note)
    return incoming_out(doc, user)


@router.post("/incoming/{doc_id}/note", response=CorrIncomingOut, summary="Ý kiến xử lý")
def incoming_note(request: HttpRequest, doc_id: int, payload: CorrNoteIn) -> Any:
    doc = selectors.incoming_get(request.user, doc_id)
    return incoming_out(inc.incoming_note(acting_user=request.user, incoming=doc,
                                          note=payload.note), request.user)


@router.post("/incoming/{doc_id}/complete", response=CorrIncomingOut, summary="Hoàn thành")
def incoming_complete(request: HttpRequest, doc_id: int, payload: CorrStepIn) -> Any:
    doc = selectors.incoming_get(request.user, doc_id)
    return incoming_out(inc.incoming_complete(acting_user=request.user, incoming=doc,
                                              note=payload.note), request.user)


@router.post("/incoming/{doc_id}/reject", response=CorrIncomingOut,
             summary="Từ chối văn bản gửi nhầm")
def incoming_reject(request: HttpRequest, doc_id: int, payload: CorrReasonIn) -> Any:
    doc = selectors.incoming_get(request.user, doc_id)
    return incoming_out(inc.incoming_reject(acting_user=request.user, incoming=doc,
                                            reason=payload.reason), request.user)


@router.get("/ioc", response=list[CorrUnitLoadOut],
            summary="IOC: văn bản đến sắp hạn, quá hạn theo đơn vị")
def ioc(request: HttpRequest) -> list[dict[str, Any]]:
    return [vars(r) for r in selectors.ioc_due_by_unit(request.user)]


@router.get("/export", response={200: None}, summary="Xuất sổ (CSV, Excel, PDF)")
def export(request: HttpRequest, f: Query[CorrExportQuery]) -> HttpResponse:
    data, ctype, name = exports.export(request.user, register=f.kind, fmt=f.format,
                                       query=f.q, date_from=f.date_from, date_to=f.date_to)
    response = HttpResponse(data, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

