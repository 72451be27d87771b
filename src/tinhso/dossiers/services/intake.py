"""Intake: online submission, counter intake, reception, refusal, supplements."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, cast

import jsonschema
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tinhso.accounts.models import AccountKind, User
from tinhso.catalog.models import ApplicantType, OnlineLevel, Procedure
from tinhso.core import lookupcache
from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.core.text import nfc
from tinhso.dossiers import form_limits, uploads
from tinhso.dossiers import lifecycle as lc
from tinhso.dossiers.codes import assign_code_last, next_dossier_code, pending_code
from tinhso.dossiers.events import record_event
from tinhso.dossiers.models import (
    Action,
    ApplicantKind,
    Attachment,
    AttachmentKind,
    Channel,
    Dossier,
    IdempotencyRecord,
    Status,
)
from tinhso.dossiers.paperwork import issue_after_commit
from tinhso.dossiers.services import _common as c
from tinhso.units.models import Agency
from tinhso.units.reform import require_in_force
from tinhso.workdays import deadlines

Files = Sequence[tuple[str, "UploadedFile[Any]"]]  # quoted: not subscriptable at run time


def _load_procedure(code: str) -> Procedure | None:
    return (
        Procedure.objects.filter(code=code, is_active=True).prefetch_related("components").first()
    )


def _procedure(code: str) -> Procedure:
    # The procedure, its form schema and components: per-process cache, invalidated in every
    # process by any change to the catalogue (tinhso.core.lookupcache).
    procedure = lookupcache.get(lookupcache.CATALOG, ("procedure", code),
                                lambda: _load_procedure(code))
    if procedure is None:
        raise NotFound("Không tìm thấy thủ tục hành chính.", "Unknown procedure.",
                       {"procedure": code}, code="PROCEDURE_NOT_FOUND")
    return procedure


def _load_agency(procedure_id: int, agency_code: str) -> tuple[Agency, bool] | None:
    # One round trip: the agency, its unit (for the reform check) and whether it implements
    # the procedure (issue 12).
    implements = Procedure.agencies.through.objects.filter(
        procedure_id=procedure_id, agency_id=OuterRef("pk"))
    agency = (Agency.objects.filter(code=agency_code, is_active=True).select_related("unit")
              .annotate(implements_procedure=Exists(implements)).first())
    if agency is None:
        return None
    return agency, bool(getattr(agency, "implements_procedure", False))  # the annotation


def _agency_for(procedure: Procedure, agency_code: str) -> Agency:
    found = lookupcache.get(lookupcache.CATALOG, ("agency", procedure.pk, agency_code),
                            lambda: _load_agency(procedure.pk, agency_code))
    if found is None:
        raise ValidationFailed("AGENCY_NOT_FOUND", "Không tìm thấy cơ quan tiếp nhận.",
                               "Unknown agency.", {"agency": agency_code})
    agency, implements = found
    if not implements:
        raise ValidationFailed(
            "AGENCY_NOT_IMPLEMENTING",
            "Cơ quan này không giải quyết thủ tục đã chọn.",
            "This agency does not handle the chosen procedure.",
            {"agency": agency_code, "procedure": procedure.code},
        )
    # The 2025 reform: no dossier reaches an agency of an abolished unit (AGENCY_ABOLISHED).
    require_in_force(agency, at=c.now(), procedure_id=procedure.pk)
    return agency


def validate_form_data(procedure: Procedure, form_data: Any) -> dict[str, Any]:
    if not isinstance(form_data, dict):
        raise ValidationFailed("FORM_INVALID", "Dữ liệu tờ khai phải là một đối tượng JSON.",
                               "Form data must be a JSON object.")
    form_limits.check_size(form_data)
    schema = procedure.form_schema or {"type": "object"}
    # Dates are checked (format "date" is only an annotation unless a checker is given), and
    # strings without their own maxLength get the platform's default (form_limits).
    validator = jsonschema.Draft202012Validator(
        form_limits.bounded_schema(schema), format_checker=form_limits.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(form_data), key=lambda e: list(e.path))
    if errors:
        details = []
        for err in errors:
            path = ".".join(str(p) for p in err.path) or (
                err.validator_value[0] if err.validator == "required" and
                isinstance(err.validator_value, list) else "")
            if err.validator == "required":
                missing = err.message.split("'")[1] if "'" in err.message else ""
                path = missing or path
            title = schema.get("properties", {}).get(path, {}).get("title", path)
            details.append({"field": path, "title_vi": title, "message_en": err.message,
                            "rule": err.validator})
        fields = ", ".join(d["title_vi"] or d["field"] for d in details)
        raise ValidationFailed(
            "FORM_INVALID",
            f"Tờ khai chưa hợp lệ: kiểm tra các trường {fields}.",
            "The form data does not match the procedure's form.",
            {"errors": details},
        )
    return cast(dict[str, Any], _nfc_strings(form_data))


def _nfc_strings(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {k: _nfc_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc_strings(v) for v in value]
    return value


def check_files(procedure: Procedure, files: Files, *, require_all: bool
                ) -> list[uploads.CheckedFile]:
    components = {comp.code: comp for comp in procedure.components.all()}
    checked = []
    for code, upload in files:
        if code not in components:
            raise ValidationFailed(
                "UNKNOWN_COMPONENT", f"Thành phần hồ sơ “{code}” không thuộc thủ tục này.",
                f"Component '{code}' is not part of this procedure.",
                {"component": code, "known": sorted(components)},
            )
        checked.append(uploads.check_upload(code, upload))
    if require_all:
        given = {f.component_code for f in checked}
        missing = [comp for code, comp in components.items() if comp.required and code not in given]
        if missing:
            raise ValidationFailed(
                "COMPONENT_MISSING",
                "Còn thiếu giấy tờ bắt buộc: " + "; ".join(m.name for m in missing) + ".",
                "Required documents are missing.",
                {"missing": [m.code for m in missing]},
            )
    return checked


def attach_files(dossier: Dossier, checked: list[uploads.CheckedFile], *, user: User | None,
                 kind: str, stored: dict[str, str] | None = None) -> list[Attachment]:
    """Attachment rows for ``checked``; files not in ``stored`` (sha → name) are stored now."""
    components = {comp.code: comp for comp in dossier.procedure.components.all()}
    rows = []
    for item in checked:
        name = (stored or {}).get(item.sha256) or uploads.store(item)
        attachment = Attachment(
            dossier=dossier, component=components.get(item.component_code), kind=kind,
            original_name=item.original_name, content_type=item.content_type, size=item.size,
            sha256=item.sha256, uploaded_by=user,
        )
        attachment.file.name = name
        rows.append(attachment)
    return Attachment.objects.bulk_create(rows)


def _applicant_identity(user: User) -> tuple[str, str]:
    from tinhso.accounts.validators import validate_id_number, validate_tax_code

    if user.kind == AccountKind.CITIZEN:
        return ApplicantKind.CITIZEN, validate_id_number(user.id_number)
    if user.kind == AccountKind.ORGANISATION:
        return ApplicantKind.ORGANISATION, validate_tax_code(user.tax_code)
    raise PermissionDenied({"reason": "only citizens and organisations submit online"})


def _check_applicant_type(procedure: Procedure, kind: str) -> None:
    if procedure.applicant_type != ApplicantType.BOTH and procedure.applicant_type != kind:
        raise ValidationFailed(
            "APPLICANT_TYPE_MISMATCH",
            "Thủ tục này không dành cho đối tượng người nộp đã chọn.",
            "This procedure is not available to this kind of applicant.",
            {"procedure_applicant_type": procedure.applicant_type, "applicant_kind": kind},
        )


def submission_hash(procedure_code: str, agency_code: str, form_data: Any,
                    checked: list[uploads.CheckedFile]) -> str:
    body = json.dumps(
        {"p": procedure_code, "a": agency_code, "f": form_data,
         "files": sorted((f.component_code, f.sha256) for f in checked)},
        sort_keys=True, ensure_ascii=False, default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _replay(user: User, key: str, request_hash: str) -> Dossier | None:
    record = IdempotencyRecord.objects.select_related("dossier").filter(user=user, key=key).first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise Conflict(
            "IDEMPOTENCY_KEY_REUSED",
            "Mã Idempotency-Key này đã được dùng cho một yêu cầu khác.",
            "This Idempotency-Key was already used for a different request.",
            {"key": key},
        )
    return record.dossier


class _KeyTaken(Exception):
    """The Idempotency-Key already has a record: roll the submission back and replay."""


def _remember_key(user: User, key: str, request_hash: str, dossier: Dossier) -> bool:
    """Record the key in ONE statement (``INSERT … ON CONFLICT DO NOTHING``), instead of a
    SELECT before the work and an INSERT after it; False when the key was already recorded
    (a concurrent retry's insert is waited for, then seen as a conflict)."""
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, key, request_hash, dossier_id, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [user.pk, key, request_hash, dossier.pk,
             connection.ops.adapt_datetimefield_value(timezone.now())])
        return cursor.fetchone() is not None


def dossier_submit_online(
    *, acting_user: User, procedure_code: str, agency_code: str, form_data: Any,
    files: Files = (), idempotency_key: str | None = None, applicant_phone: str = "",
    applicant_email: str = "", applicant_address: str = "",
) -> Dossier:
    """A citizen or organisation submits a dossier online (status 1, no clock yet).

    With an Idempotency-Key a retry of the same request returns the same dossier; the same
    key with a different request is a 409.
    """
    kind, id_number = _applicant_identity(acting_user)
    procedure = _procedure(procedure_code)
    if procedure.online_level == OnlineLevel.NONE:
        raise ValidationFailed("PROCEDURE_NOT_ONLINE",
                               "Thủ tục này không tiếp nhận hồ sơ trực tuyến.",
                               "This procedure does not accept online submissions.",
                               {"procedure": procedure_code})
    _check_applicant_type(procedure, kind)
    agency = _agency_for(procedure, agency_code)
    data = validate_form_data(procedure, form_data)
    checked = check_files(procedure, files, require_all=True)
    key = (idempotency_key or "").strip()[:100]
    request_hash = submission_hash(procedure_code, agency_code, data, checked)
    # Write the files before the transaction: file I/O must not lengthen it. They are never
    # removed here, even if this request fails: see ``uploads.store``.
    stored = {item.sha256: uploads.store(item) for item in checked}
    try:
        with transaction.atomic():
            at = c.now()
            # The code comes last (assign_code_last): the day's counter row, which every
            # submission to this agency today queues on, is locked only from that statement
            # to the commit (decision 0028).
            dossier = Dossier.objects.create(
                code=pending_code(),
                procedure=procedure, agency=agency, unit_id=agency.unit_id,
                channel=Channel.ONLINE, status=Status.NEW, applicant=acting_user,
                applicant_kind=kind, applicant_id_number=id_number,
                applicant_name=nfc(acting_user.full_name or acting_user.username),
                applicant_phone=applicant_phone or acting_user.phone,
                applicant_email=applicant_email or acting_user.email,
                applicant_address=nfc(applicant_address or acting_user.address),
                form_data=data, submitted_at=at, fee_amount=procedure.fee,
                components_digitized=bool(checked),
            )
            attach_files(dossier, checked, user=acting_user, kind=AttachmentKind.COMPONENT,
                         stored=stored)
            if key and not _remember_key(acting_user, key, request_hash, dossier):
                raise _KeyTaken
            record_event(dossier, actor=acting_user, action=Action.SUBMIT, from_status=None,
                         to_status=Status.NEW, at=at)
            # Nothing after this but the commit: a failure after it would roll the number back
            # only after holding the counter for every other submission meanwhile.
            assign_code_last(dossier, timezone.localdate(at))
    except _KeyTaken:
        # A retry: the key was recorded before (the transaction above rolled back, code
        # number included). Same request: its dossier; another request: 409.
        existing = _replay(acting_user, key, request_hash)
        if existing is None:  # pragma: no cover - the record cannot vanish (no delete path)
            raise
        return existing
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its dossier.
        if key and (existing := _replay(acting_user, key, request_hash)) is not None:
            return existing
        raise
    return dossier


def _start_clock(dossier: Dossier, at: Any) -> None:
    # The procedure's deadline rule: working days, same day with a 15:00 cut-off, or hours.
    due = deadlines.due_moment(at, deadlines.DeadlineRule.of(dossier.procedure),
                               agency=dossier.agency)
    dossier.received_at = at
    dossier.due_at = due
    dossier.original_due_at = due


def dossier_create_direct(
    *, acting_user: User, procedure_code: str, applicant_kind: str, applicant_id_number: str,
    applicant_name: str, form_data: Any, files: Files = (), channel: int = Channel.DIRECT,
    applicant_phone: str = "", applicant_email: str = "", applicant_address: str = "",
) -> Dossier:
    """Counter (or postal) intake by a receiver: the dossier is received at once (status 2)."""
    from tinhso.accounts.validators import validate_id_number, validate_tax_code

    if not acting_user.is_official or not acting_user.has_role("receiver") or \
            acting_user.agency_id is None:
        raise PermissionDenied({"required_roles": ["receiver"]})
    if channel not in (Channel.DIRECT, Channel.POSTAL):
        raise ValidationFailed("INVALID_CHANNEL", "Kênh tiếp nhận không hợp lệ.",
                               "Invalid intake channel.", {"channel": channel})
    if applicant_kind == ApplicantKind.CITIZEN:
        id_number = validate_id_number(applicant_id_number)
    elif applicant_kind == ApplicantKind.ORGANISATION:
        id_number = validate_tax_code(applicant_id_number)
    else:
        raise ValidationFailed("INVALID_APPLICANT_KIND", "Loại người nộp không hợp lệ.",
                               "Invalid applicant kind.", {"applicant_kind": applicant_kind})
    name = nfc((applicant_name or "").strip())
    if not name:
        raise ValidationFailed("APPLICANT_NAME_REQUIRED", "Vui lòng nhập tên người nộp.",
                               "The applicant's name is required.")
    procedure = _procedure(procedure_code)
    _check_applicant_type(procedure, applicant_kind)
    agency = _agency_for(procedure, cast(Agency, acting_user.agency).code)  # an official
    data = validate_form_data(procedure, form_data)
    checked = check_files(procedure, files, require_all=False)
    stored = {item.sha256: uploads.store(item) for item in checked}  # before the lock
    with transaction.atomic():
        at = c.now()
        dossier = Dossier(
            code=next_dossier_code(agency, timezone.localdate(at)),
            procedure=procedure, agency=agency, unit_id=agency.unit_id, channel=channel,
            status=Status.RECEIVED, applicant_kind=applicant_kind,
            applicant_id_number=id_number, applicant_name=name,
            applicant_phone=applicant_phone, applicant_email=applicant_email,
            applicant_address=nfc(applicant_address), form_data=data, submitted_at=at,
            fee_amount=procedure.fee, components_digitized=bool(checked),
        )
        _start_clock(dossier, at)
        dossier.save()
        attach_files(dossier, checked, user=acting_user, kind=AttachmentKind.COMPONENT,
                     stored=stored)
        c.open_reception_steps(dossier, at, acting_user)
        c.save(dossier, "current_step", "current_role", "assignee")
        event = record_event(dossier, actor=acting_user, action=Action.CREATE_DIRECT,
                             from_status=None, to_status=Status.RECEIVED, at=at)
        issue_after_commit(acting_user=acting_user, dossier=dossier, form="01", event=event)
    return dossier


@transaction.atomic
def dossier_receive(*, acting_user: User, dossier: Dossier, note: str = "",
                    expected_version: int | None = None) -> Dossier:
    """Accept an online dossier: the legal clock starts now (form 01, receipt)."""
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.RECEIVE, acting_user, dossier, at)
    require_in_force(dossier.agency, at=at, procedure_id=dossier.procedure_id)
    _start_clock(dossier, at)
    dossier.status = Status.RECEIVED
    c.open_reception_steps(dossier, at, acting_user)
    c.save(dossier, "status", "received_at", "due_at", "original_due_at", "current_step",
           "current_role", "assignee")
    event = record_event(dossier, actor=acting_user, action=Action.RECEIVE,
                         from_status=Status.NEW, to_status=Status.RECEIVED, note=note.strip(),
                         at=at)
    # Form 01 follows by job; the event is passed on, not read back (issue 12).
    issue_after_commit(acting_user=acting_user, dossier=dossier, form="01", event=event)
    return dossier


@transaction.atomic
def dossier_refuse(*, acting_user: User, dossier: Dossier, reason: str,
                   expected_version: int | None = None) -> Dossier:
    """Refuse to accept (form 03): ends processing."""
    reason = lc.clean_reason(Action.REFUSE, reason)
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.REFUSE, acting_user, dossier, at)
    dossier.status = Status.REFUSED
    dossier.finished_at = at
    c.save(dossier, "status", "finished_at")
    record_event(dossier, actor=acting_user, action=Action.REFUSE, from_status=Status.NEW,
                 to_status=Status.REFUSED, note=reason, at=at)
    issue_after_commit(acting_user=acting_user, dossier=dossier, form="03",
                       extra={"reason": reason})
    return dossier
