"""Portal writes: online drafts, and accounts linked through OpenID Connect.

Drafts are the applicant's scratch pad; the dossier exists only once ``draft_submit`` calls
``tinhso.dossiers.services.dossier_submit_online`` (which checks everything again and writes the
dossier's first event).
"""

from __future__ import annotations

from typing import Any, cast

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.accounts.models import AccountKind, User
from tinhso.catalog.models import OnlineLevel, Procedure, ProcedureComponent
from tinhso.core import blobs
from tinhso.core.errors import NotFound, PermissionDenied, ValidationFailed
from tinhso.core.text import nfc
from tinhso.dossiers.models import Dossier
from tinhso.portal.models import Draft, DraftFile, OidcIdentity
from tinhso.units.models import Agency

# How many files one component of a draft may hold (scans of several pages).
MAX_FILES_PER_COMPONENT = 10


def _require_applicant(user: User) -> None:
    if not user.is_authenticated or user.kind not in (AccountKind.CITIZEN,
                                                      AccountKind.ORGANISATION):
        raise PermissionDenied({"reason": "applicants only"})


# The schema sections that describe the person who files the dossier; the first one the
# procedure's form has is prefilled from the account (and the OpenID Connect claims).
REQUESTER_SECTIONS = ("nguoi_yeu_cau", "nguoi_dang_ky", "nguoi_su_dung_dat")
# Claims kept in the session at an OpenID Connect sign-in (portal/oidc_views), for prefilling.
OIDC_PROFILE_CLAIMS = ("birthdate", "gender", "address", "phone_number", "name")
_GENDERS = {"male": "Nam", "female": "Nữ", "nam": "Nam", "nu": "Nữ", "nữ": "Nữ"}


def requester_prefill(schema: dict[str, Any], user: User,
                      claims: dict[str, Any] | None = None) -> dict[str, Any]:
    """``form_data`` holding what the account (and verified OIDC claims) already says about the
    requester, limited to the fields the procedure's form has. Never overrides typed data:
    it is only used when a draft is created."""
    props = (schema or {}).get("properties") or {}
    section = next((k for k in REQUESTER_SECTIONS if k in props), None)
    if section is None:
        return {}
    fields = props[section].get("properties") or {}
    claims = claims or {}
    address = claims.get("address")
    if isinstance(address, dict):
        address = address.get("formatted")
    values: dict[str, Any] = {
        "ho_ten": user.full_name or str(claims.get("name") or ""),
        "so_dinh_danh": user.id_number,
        "noi_cu_tru": user.address or str(address or ""),
        "dia_chi": user.address or str(address or ""),
        "so_dien_thoai": user.phone or str(claims.get("phone_number") or ""),
        "ngay_sinh": str(claims.get("birthdate") or ""),
        "gioi_tinh": _GENDERS.get(str(claims.get("gender") or "").lower(), ""),
    }
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields or not value:
            continue
        spec = fields[key]
        if spec.get("enum") and value not in spec["enum"]:
            continue
        if spec.get("format") == "date":
            import datetime as dt
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                continue
        out[key] = nfc(str(value)).strip()[: int(spec.get("maxLength", 255))]
    return {section: out} if out else {}


@transaction.atomic
def draft_create(*, acting_user: User, procedure: Procedure,
                 oidc_claims: dict[str, Any] | None = None) -> Draft:
    _require_applicant(acting_user)
    if procedure.online_level == OnlineLevel.NONE or not procedure.is_active:
        raise ValidationFailed("PROCEDURE_NOT_ONLINE",
                               "Thủ tục này không tiếp nhận hồ sơ trực tuyến.",
                               "This procedure does not accept online submissions.",
                               {"procedure": procedure.code})
    agencies = list(procedure.agencies.filter(is_active=True)[:2])
    return Draft.objects.create(
        owner=acting_user, procedure=procedure,
        agency=agencies[0] if len(agencies) == 1 else None,
        contact={"phone": acting_user.phone, "email": acting_user.email,
                 "address": acting_user.address},
        form_data=requester_prefill(procedure.form_schema, acting_user, oidc_claims),
    )


def draft_get(*, user: User, draft_id: Any) -> Draft:
    """The user's own unsubmitted draft, else 404 (never reveal another user's draft)."""
    draft = (Draft.objects.select_related("procedure", "procedure__field", "agency")
             .filter(pk=draft_id, owner=user).first()) if user.is_authenticated else None
    if draft is None:
        raise NotFound("Không tìm thấy hồ sơ nháp", "Draft not found")
    return draft


@transaction.atomic
def draft_save_contact(*, acting_user: User, draft: Draft, agency: Agency,
                       contact: dict[str, str]) -> Draft:
    if draft.owner_id != acting_user.pk:
        raise NotFound("Không tìm thấy hồ sơ nháp", "Draft not found")
    if not draft.procedure.agencies.filter(pk=agency.pk, is_active=True).exists():
        raise ValidationFailed("AGENCY_NOT_IMPLEMENTING",
                               "Cơ quan này không thực hiện thủ tục đã chọn.",
                               "This agency does not implement the procedure.",
                               {"field": "agency"})
    from tinhso.units.reform import require_in_force

    require_in_force(agency, procedure_id=draft.procedure_id)  # AGENCY_ABOLISHED
    draft.agency = agency
    draft.contact = {k: nfc(str(v or "")).strip() for k, v in contact.items()}
    _mark_step(draft, "contact")
    draft.save(update_fields=["agency", "contact", "completed_steps", "updated_at"])
    return draft


@transaction.atomic
def draft_save_form(*, acting_user: User, draft: Draft, form_data: dict[str, Any],
                    step_key: str) -> Draft:
    if draft.owner_id != acting_user.pk:
        raise NotFound("Không tìm thấy hồ sơ nháp", "Draft not found")
    draft.form_data = form_data
    _mark_step(draft, step_key)
    draft.save(update_fields=["form_data", "completed_steps", "updated_at"])
    return draft


def _mark_step(draft: Draft, key: str) -> None:
    if key not in draft.completed_steps:
        draft.completed_steps = [*draft.completed_steps, key]


def draft_add_file(*, acting_user: User, draft: Draft, component: ProcedureComponent,
                   upload: UploadedFile[Any]) -> DraftFile:
    """Check the file by content (the dossier's own upload rules) and keep it with the draft."""
    from tinhso.dossiers.uploads import check_upload

    if draft.owner_id != acting_user.pk:
        raise NotFound("Không tìm thấy hồ sơ nháp", "Draft not found")
    if component.procedure_id != draft.procedure_id:
        raise ValidationFailed("UNKNOWN_COMPONENT", "Giấy tờ không thuộc thủ tục này.",
                               "The component is not part of this procedure.",
                               {"component": component.code})
    checked = check_upload(component.code, upload)
    with transaction.atomic():
        count = DraftFile.objects.select_for_update().filter(
            draft=draft, component=component).count()
        if count >= MAX_FILES_PER_COMPONENT:
            raise ValidationFailed(
                "TOO_MANY_FILES",
                f"Mỗi loại giấy tờ chỉ được tải tối đa {MAX_FILES_PER_COMPONENT} tệp.",
                f"At most {MAX_FILES_PER_COMPONENT} files per document.",
                {"component": component.code})
        row = DraftFile(draft=draft, component=component, original_name=checked.original_name,
                        content_type=checked.content_type, size=checked.size,
                        sha256=checked.sha256)
        # Content-addressed and never deleted by a request (tinhso.core.blobs): two drafts may
        # hold the same file; the sweep removes it once no row references it.
        row.file.name = blobs.put(checked.content, area="drafts", sha256=checked.sha256).name
        row.save()
        Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now())
    return row


def draft_remove_file(*, acting_user: User, draft: Draft, file_id: int) -> None:
    row = DraftFile.objects.filter(pk=file_id, draft=draft, draft__owner=acting_user).first()
    if row is None:
        raise NotFound("Không tìm thấy tệp", "File not found")
    row.delete()  # the file goes with the sweep (tinhso sweep-media), never here


def draft_files_as_uploads(draft: Draft) -> list[tuple[str, UploadedFile[Any]]]:
    result: list[tuple[str, UploadedFile[Any]]] = []
    for row in draft.files.select_related("component").order_by("uploaded_at", "id"):
        try:
            with blobs.open_verified(cast(str, row.file.name), sha256=row.sha256,
                                     size=row.size) as handle:
                content = handle.read()
        except blobs.StoredFileUnavailable as exc:  # reported by blobs; the citizen re-uploads
            raise ValidationFailed("FILE_CHANGED", "Tệp đã tải lên bị hỏng, vui lòng tải lại.",
                                   "A stored file was damaged; upload it again.",
                                   {"file": row.original_name, "field": "files",
                                    "problem": exc.problem}) from exc
        result.append((row.component.code, SimpleUploadedFile(row.original_name, content,
                                                               row.content_type)))
    return result


def draft_submit(*, acting_user: User, draft: Draft) -> Dossier:
    """Submit the draft as an online dossier; idempotent (the draft id is the key)."""
    from tinhso.dossiers.services import dossier_submit_online

    if draft.owner_id != acting_user.pk:
        raise NotFound("Không tìm thấy hồ sơ nháp", "Draft not found")
    if draft.dossier_code:
        existing = Dossier.objects.filter(code=draft.dossier_code, applicant=acting_user).first()
        if existing is not None:
            return existing
    if draft.agency is None:
        raise ValidationFailed("AGENCY_REQUIRED", "Vui lòng chọn nơi nộp hồ sơ.",
                               "Choose where to submit.", {"field": "agency"})
    contact = draft.contact or {}
    dossier = dossier_submit_online(
        acting_user=acting_user, procedure_code=draft.procedure.code,
        agency_code=draft.agency.code, form_data=draft.form_data,
        files=draft_files_as_uploads(draft), idempotency_key=f"draft-{draft.pk}",
        applicant_phone=contact.get("phone", ""), applicant_email=contact.get("email", ""),
        applicant_address=contact.get("address", ""))
    with transaction.atomic():
        Draft.objects.filter(pk=draft.pk).update(dossier_code=dossier.code,
                                                 updated_at=timezone.now())
        DraftFile.objects.filter(draft=draft).delete()  # files: by the sweep
    draft.dossier_code = dossier.code
    return dossier


def draft_delete(*, acting_user: User, draft: Draft) -> None:
    if draft.owner_id != acting_user.pk:
        raise NotFound("Không tìm thấy hồ sơ nháp", "Draft not found")
    draft.delete()  # its files go with the sweep (tinhso sweep-media)


def oidc_user_for_claims(*, issuer: str, claims: dict[str, Any], id_number_claim: str) -> User:
    """The account for a verified OpenID Connect identity: linked before, found by the
    personal ID number, or created (a citizen account without a password)."""
    from tinhso.accounts.services import audit_log_write
    from tinhso.accounts.validators import validate_id_number

    subject = str(claims["sub"])
    with transaction.atomic():
        identity = OidcIdentity.objects.select_related("user").filter(
            issuer=issuer, subject=subject).first()
        if identity is not None:
            OidcIdentity.objects.filter(pk=identity.pk).update(last_login_at=timezone.now())
            return identity.user
        raw_number = str(claims.get(id_number_claim) or "")
        if not raw_number:
            raise ValidationFailed(
                "OIDC_NO_ID_NUMBER",
                "Nhà cung cấp định danh không cung cấp số định danh cá nhân.",
                "The identity provider did not return a personal ID number.",
                {"claim": id_number_claim})
        id_number = validate_id_number(raw_number)
        user = User.objects.filter(kind=AccountKind.CITIZEN, id_number=id_number).first()
        if user is None:
            name = nfc(str(claims.get("name") or " ".join(
                str(claims.get(k, "")) for k in ("family_name", "given_name")).strip()))
            user = User(username=id_number, kind=AccountKind.CITIZEN, id_number=id_number,
                        full_name=name[:150], email=str(claims.get("email") or "")[:254])
            user.set_unusable_password()
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError as exc:
                raise ValidationFailed(
                    "ACCOUNT_EXISTS", "Đã có tài khoản khác dùng tên đăng nhập này.",
                    "Another account uses this user name.", {"field": "username"}) from exc
            audit_log_write(actor=user, action="citizen_register_oidc", object_type="user",
                            object_id=user.pk, data={"issuer": issuer})
        OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject,
                                    last_login_at=timezone.now())
        audit_log_write(actor=user, action="oidc_link", object_type="user", object_id=user.pk,
                        data={"issuer": issuer})
        return user
