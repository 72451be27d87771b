"""/api/v1/dossiers: online submission, lists and queues, actions, public tracking."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status as HttpStatus

from tinhso.accounts.models import User
from tinhso.core import ratelimit
from tinhso.core.api_schema import PARAMS_KEY
from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.core.paging import check_limit, limit_param
from tinhso.core.requests import AuthedRequest
from tinhso.dossiers import dispatch, selectors, services
from tinhso.dossiers.dispatch import ActionInput
from tinhso.dossiers.models import Action, Dossier, Status
from tinhso.dossiers.schemas import (
    ActionIn,
    AttachmentOut,
    DossierOut,
    DossierPage,
    DossierResultOut,
    EventOut,
    QueueCount,
    TrackIn,
    TrackOut,
)

router = Router(tags=["dossiers"])

MAX_PAGE = 100


def dossier_out(dossier: Dossier, user: User) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.code,
        "procedure_name": dossier.procedure.name,
        "agency": dossier.agency.code,
        "agency_name": dossier.agency.name,
        "channel": dossier.channel,
        "status": dossier.status,
        "status_name": Status(dossier.status).label,
        "applicant_kind": dossier.applicant_kind,
        "applicant_name": dossier.applicant_name,
        "form_data": dossier.form_data,
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "original_due_at": dossier.original_due_at,
        "finished_at": dossier.finished_at,
        "returned_at": dossier.returned_at,
        "current_step": dossier.current_step,
        "supplement_count": dossier.supplement_count,
        "fee_amount": dossier.fee_amount,
        "paid_online": dossier.paid_online,
        "rating": dossier.rating,
        "version": dossier.version,
        "allowed_actions": selectors.allowed_actions(user, dossier),
    }


def _submission_payload(request: HttpRequest) -> dict[str, Any]:
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        raw = request.POST.get("payload")
        if raw is None:
            raise ValidationFailed("PAYLOAD_REQUIRED",
                                   "Thiếu trường “payload” (JSON) trong biểu mẫu gửi lên.",
                                   "The multipart field 'payload' (JSON) is missing.")
    elif content_type == "application/json":
        raw = request.body.decode("utf-8", errors="replace")
    else:
        raise ValidationFailed("UNSUPPORTED_MEDIA_TYPE",
                               "Chỉ chấp nhận multipart/form-data hoặc application/json.",
                               "Use multipart/form-data or application/json.",
                               {"content_type": content_type}, status=415)
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationFailed("MALFORMED_JSON", "Nội dung “payload” không phải JSON hợp lệ.",
                               "The payload is not valid JSON.",
                               {"line": exc.lineno, "column": exc.colno}, status=400) from exc
    if not isinstance(payload, dict):
        raise ValidationFailed("MALFORMED_JSON", "“payload” phải là một đối tượng JSON.",
                               "The payload must be a JSON object.", status=400)
    for key in ("procedure", "agency"):
        if not isinstance(payload.get(key), str) or not payload[key]:
            raise ValidationFailed("FIELD_REQUIRED", f"Thiếu trường “{key}”.",
                                   f"The field '{key}' is required.", {"field": key})
    return payload


def _files(request: HttpRequest) -> list[tuple[str, Any]]:
    return [(code, upload) for code in request.FILES for upload in request.FILES.getlist(code)]


SUBMIT_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["payload"],
                    "properties": {
                        "payload": {
                            "type": "string",
                            "description": 'JSON: {"procedure", "agency", "form_data", '
                                           '"phone", "email", "address"}',
                        },
                    },
                    "additionalProperties": {"type": "string", "format": "binary",
                                             "description": "one file per component code"},
                }
            }
        }
    },
    "parameters": [{"in": "header", "name": "Idempotency-Key", "required": False,
                    "schema": {"type": "string", "maxLength": 100}}],
}


@router.post("/", response={201: DossierOut}, openapi_extra=SUBMIT_DOC,
             summary="Nộp hồ sơ trực tuyến / submit a dossier online")
def submit(request: AuthedRequest) -> HttpStatus[dict[str, Any]]:
    payload = _submission_payload(request)
    dossier = services.dossier_submit_online(
        acting_user=request.user,
        procedure_code=payload["procedure"],
        agency_code=payload["agency"],
        form_data=payload.get("form_data", {}),
        files=_files(request),
        idempotency_key=request.headers.get("Idempotency-Key"),
        applicant_phone=str(payload.get("phone", ""))[:20],
        applicant_email=str(payload.get("email", ""))[:254],
        applicant_address=str(payload.get("address", ""))[:255],
    )
    return HttpStatus(201, dossier_out(dossier, request.user))


_LIST_PARAMS = {PARAMS_KEY: {
    "queue": {"schema": {"type": "string", "enum": list(selectors.QUEUES)}},
    "status": {"schema": {"type": "integer", "minimum": 1, "maximum": 10}},
    "procedure": {"schema": {"type": "string", "maxLength": 40}},
    "limit": limit_param(MAX_PAGE, 50),
    "cursor": {"schema": {"type": "string", "pattern": "^[0-9]{0,18}$"}},
}}


@router.get("/", response=DossierPage, summary="Danh sách hồ sơ / list dossiers",
            openapi_extra=_LIST_PARAMS)
def list_dossiers(request: AuthedRequest, queue: str | None = None, status: int | None = None,
                  procedure: str | None = None, limit: int = 50,
                  cursor: str | None = None) -> dict[str, Any]:
    """Newest first, keyset-paginated (``next_cursor``): constant cost on 10 million rows."""
    check_limit(limit, MAX_PAGE)
    qs = (selectors.dossier_queue(request.user, queue) if queue
          else selectors.dossiers_visible_to(request.user))
    if status is not None:
        if not 1 <= status <= 10:
            raise ValidationFailed("INVALID_STATUS", "Trạng thái hồ sơ phải từ 1 đến 10.",
                                   "The dossier status must be 1 to 10.", {"status": status})
        qs = qs.filter(status=status)
    if procedure:
        if len(procedure) > 40:
            raise ValidationFailed("INVALID_PROCEDURE", "Mã thủ tục dài quá 40 ký tự.",
                                   "The procedure code is longer than 40 characters.",
                                   {"procedure": procedure[:40]})
        qs = qs.filter(procedure__code=procedure)
    qs = qs.order_by("-id")
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            raise ValidationFailed("INVALID_CURSOR", "Tham số cursor không hợp lệ.",
                                   "Invalid cursor.", {"cursor": cursor})
        qs = qs.filter(id__lt=int(cursor))
    rows = list(qs[: limit + 1])
    items = [{
        "code": d.code, "procedure": d.procedure.code, "procedure_name": d.procedure.name,
        "agency": d.agency.code, "status": d.status, "channel": d.channel,
        "applicant_name": d.applicant_name, "received_at": d.received_at, "due_at": d.due_at,
    } for d in rows[:limit]]
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


@router.get("/queues", response=list[QueueCount], summary="Số hồ sơ theo hàng đợi")
def queues(request: AuthedRequest) -> list[dict[str, Any]]:
    counts = selectors.queue_counts(request.user)
    return [{"queue": k, "name_vi": v, "count": counts[k]} for k, v in selectors.QUEUES.items()]


@router.post("/track", response=TrackOut, auth=None,
             summary="Tra cứu hồ sơ (mã hồ sơ + số định danh) / public tracking")
def track(request: HttpRequest, body: TrackIn) -> dict[str, Any]:
    # The same limits as the portal's tracking page: all look-ups, and wrong guesses.
    address = ratelimit.client_address(request)
    ratelimit.check_rate(ratelimit.tracking_rate(), address)
    ratelimit.tracking_limit().check(address)
    found = selectors.dossier_track_public(body.code, body.id_number)
    if found is None:
        ratelimit.tracking_limit().fail(address)
        raise NotFound("Không tìm thấy hồ sơ với mã và số giấy tờ đã nhập.",
                       "No dossier matches this code and ID number.", code="DOSSIER_NOT_FOUND")
    return found


@router.get("/{code}", response=DossierOut)
def detail(request: AuthedRequest, code: str) -> dict[str, Any]:
    return dossier_out(selectors.dossier_get_for_user(request.user, code), request.user)


@router.get("/{code}/events", response=list[EventOut])
def events(request: AuthedRequest, code: str) -> list[dict[str, Any]]:
    dossier = selectors.dossier_get_for_user(request.user, code)
    return [{
        "at": e.at, "action": e.action, "action_name": Action(e.action).label,
        "from_status": e.from_status, "to_status": e.to_status, "note": e.note,
        "due_at": e.due_at, "actor": (e.actor.full_name or e.actor.username) if e.actor else None,
    } for e in selectors.dossier_timeline(dossier)]


@router.get("/{code}/attachments", response=list[AttachmentOut])
def attachments(request: AuthedRequest, code: str) -> list[dict[str, Any]]:
    dossier = selectors.dossier_get_for_user(request.user, code)
    return [{
        "id": a.id, "component": a.component.code if a.component else None, "kind": a.kind,
        "original_name": a.original_name, "content_type": a.content_type, "size": a.size,
        "sha256": a.sha256, "uploaded_at": a.uploaded_at,
    } for a in dossier.attachments.select_related("component").order_by("id")]


@router.post("/{code}/supplement", response=DossierOut,
             summary="Bổ sung hồ sơ (người nộp) / answer a supplement request")
def supplement(request: AuthedRequest, code: str) -> dict[str, Any]:
    dossier = selectors.dossier_get_for_user(request.user, code)
    form_data = None
    note = ""
    if request.POST.get("payload"):
        payload = _submission_payload_optional(request.POST["payload"])
        form_data = payload.get("form_data")
        note = str(payload.get("note", ""))
    dossier = services.dossier_supplement(acting_user=request.user, dossier=dossier,
                                          files=_files(request), form_data=form_data, note=note)
    return dossier_out(dossier, request.user)


def _submission_payload_optional(raw: str) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationFailed("MALFORMED_JSON", "Nội dung “payload” không phải JSON hợp lệ.",
                               "The payload is not valid JSON.", status=400) from exc
    if not isinstance(payload, dict):
        raise ValidationFailed("MALFORMED_JSON", "“payload” phải là một đối tượng JSON.",
                               "The payload must be a JSON object.", status=400)
    return payload


def _if_match(request: HttpRequest) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    cleaned = raw.strip().strip('"').removeprefix("W/").strip('"')
    if not (cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 18):
        raise ValidationFailed("INVALID_IF_MATCH", "Tiêu đề If-Match phải là số phiên bản.",
                               "If-Match must be the dossier version number.", {"value": raw})
    return int(cleaned)


@router.post("/{code}/actions/{action}", response=DossierOut,
             summary="Thao tác trên hồ sơ / act on a dossier",
             openapi_extra={"parameters": [{
                 "in": "header", "name": "If-Match", "required": False,
                 "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]{1,18}"?$'}}]})
def act(request: AuthedRequest, code: str, action: str, body: ActionIn) -> dict[str, Any]:
    dossier = selectors.dossier_get_for_user(request.user, code)
    data = ActionInput(
        note=body.note, reason=body.reason, assignee_username=body.assignee or None,
        step_index=body.step_index, amount=body.amount, payment_id=body.payment_id,
        online=body.online, reference=body.reference, new_due_at=body.new_due_at,
        rating=body.rating)
    dossier = dispatch.dossier_act(acting_user=request.user, dossier=dossier, action=action,
                                   data=data, expected_version=_if_match(request))
    return dossier_out(dossier, request.user)


RESULT_DOC = {
    "requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["source"],
        "properties": {
            "source": {"type": "string", "enum": ["uploaded", "generated"]},
            "file": {"type": "string", "format": "binary",
                     "description": "the result's PDF (source=uploaded)"},
            "replace": {"type": "string", "enum": ["true", "false"],
                        "description": "replace the current result (leaders, with reason)"},
            "reason": {"type": "string", "maxLength": 2000},
        },
        "additionalProperties": False,
    }}}},
}


def result_out(result: Any) -> dict[str, Any]:
    from tinhso.documents.models import IssueState
    from tinhso.documents.services import verify_url

    document = result.document
    state = "signed" if document is not None else (
        "failed" if result.job is not None and result.job.state == IssueState.FAILED
        else "signing")
    return {
        "source": result.source, "source_name": result.get_source_display(), "state": state,
        "document_uuid": str(document.uuid) if document else None,
        "verify_url": verify_url(document.uuid) if document else None,
        "attachment_id": document.attachment_id if document else None,
        "attached_at": result.attached_at,
        "attached_by": (result.attached_by.full_name or result.attached_by.username)
        if result.attached_by else None,
        "replaced_count": result.dossier.results.filter(replaced_at__isnull=False).count(),
    }


@router.get("/{code}/result", response=DossierResultOut,
            summary="Kết quả giải quyết của hồ sơ / the dossier's result")
def result(request: HttpRequest, code: str) -> dict[str, Any]:
    from tinhso.documents.results import current_result

    dossier = selectors.dossier_get_for_user(request.user, code)  # type: ignore[arg-type]
    found = current_result(dossier)
    if found is None:
        raise NotFound("Hồ sơ chưa có kết quả giải quyết.", "The dossier has no result yet.",
                       code="RESULT_NOT_FOUND")
    return result_out(found)


@router.post("/{code}/result", response={201: DossierResultOut}, openapi_extra=RESULT_DOC,
             summary="Đính kèm kết quả giải quyết (tệp PDF hoặc tạo từ mẫu) / attach the result")
def result_attach(request: HttpRequest, code: str) -> HttpStatus[dict[str, Any]]:
    """Exactly one result per decision: a second attach is 409 RESULT_ALREADY_ATTACHED unless
    ``replace=true`` with a ``reason`` (leaders; audited, the old result is kept)."""
    from tinhso.documents.results import result_attach as attach

    dossier = selectors.dossier_get_for_user(request.user, code)  # type: ignore[arg-type]
    replace = request.POST.get("replace", "false")
    if replace not in ("true", "false"):
        raise ValidationFailed("INVALID_REPLACE", "Trường “replace” phải là true hoặc false.",
                               "'replace' must be true or false.", {"replace": replace[:10]})
    attached = attach(acting_user=request.user, dossier=dossier,
                      source=request.POST.get("source", ""), upload=request.FILES.get("file"),
                      replace=replace == "true", reason=request.POST.get("reason", ""))
    return HttpStatus(201, result_out(attached))
