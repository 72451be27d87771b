"""Signed documents the platform issues, and the e-certification register (sổ chứng thực)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tinhso.documents.querysets import AgencyOwnedQuerySet, DossierAgencyQuerySet


class DocumentForm(models.TextChoices):
    """The one-stop forms of Circular 01/2018/TT-VPCP, the result, and certified copies."""

    RECEIPT = "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    SUPPLEMENT = "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
    REFUSAL = "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
    APOLOGY = "04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    # 05–07 as numbered in Annex I of Circular 03/2025/TT-VPCP (which replaced the annex of
    # Circular 01/2018/TT-VPCP); numbering UNCONFIRMED against the official text, docs/documents.md.
    STOP = "05", "Thông báo dừng giải quyết hồ sơ"
    CONTROL = "06", "Phiếu kiểm soát quá trình giải quyết hồ sơ"
    REGISTER = "07", "Sổ theo dõi hồ sơ"
    RESULT = "result", "Kết quả giải quyết thủ tục hành chính"
    CERTIFIED_COPY = "copy", "Bản sao chứng thực điện tử từ bản chính"
    FEE_RECEIPT = "bl", "Biên lai thu phí, lệ phí điện tử"
    MINUTES = "bb", "Biên bản cuộc họp"  # filed by correspondence/issued.py
    FEE_SETTLEMENT = "qt", "Bảng kê thu phí, lệ phí trong ngày"


def document_path(instance: Document, filename: str) -> str:
    return f"documents/{instance.sha256[:2]}/{instance.sha256}.pdf"


class Document(models.Model):
    uuid = models.UUIDField("mã xác minh", default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name="hồ sơ", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="documents")
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan ban hành",
                               on_delete=models.PROTECT, related_name="documents")
    form = models.CharField("loại văn bản", max_length=8, choices=DocumentForm.choices)
    file = models.FileField("tệp PDF đã ký", upload_to=document_path, max_length=200)
    size = models.PositiveBigIntegerField("dung lượng")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    attachment = models.OneToOneField("dossiers.Attachment", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="document")
    # [{"common_name", "serial", "kind", "certificate_id"}] in signing order.
    signers = models.JSONField("người ký", default=list)
    signed_at = models.DateTimeField("thời điểm ký")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AgencyOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "văn bản điện tử đã ký"
        verbose_name_plural = "văn bản điện tử đã ký"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["dossier", "form"], name="document_dossier_form")]

    def __str__(self) -> str:
        return f"{self.get_form_display()} — {self.uuid}"


class CertificationCounter(models.Model):
    """Gap-free numbering of the register per agency and year (row locked while numbering)."""

    agency = models.ForeignKey("units.Agency", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="certification_counter_uniq")
        ]


class CertificationRegisterEntry(models.Model):
    """One line of the e-certification register (sổ chứng thực bản sao từ bản chính)."""

    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan chứng thực",
                               on_delete=models.PROTECT, related_name="certifications")
    year = models.PositiveSmallIntegerField("năm")
    book_number = models.CharField("quyển số", max_length=40)
    number = models.PositiveIntegerField("số chứng thực")
    certified_on = models.DateField("ngày chứng thực")
    original_description = models.CharField("bản chính (loại giấy tờ)", max_length=300)
    pages = models.PositiveSmallIntegerField("số trang")
    copies = models.PositiveSmallIntegerField("số bản", default=1)
    fee = models.PositiveIntegerField("lệ phí (đồng)")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người chứng thực",
                                on_delete=models.PROTECT, related_name="+")
    applicant_name = models.CharField("người yêu cầu", max_length=200)
    applicant_id_number = models.CharField("số định danh người yêu cầu", max_length=14,
                                           blank=True)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name="hồ sơ", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="certifications")
    document = models.OneToOneField(Document, verbose_name="bản sao điện tử",
                                    on_delete=models.PROTECT, related_name="certification")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AgencyOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "sổ chứng thực bản sao điện tử"
        verbose_name_plural = "sổ chứng thực bản sao điện tử"
        ordering = ["agency", "-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "number"],
                                    name="certification_number_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.number}/{self.book_number}"

    @property
    def certification_code(self) -> str:
        return f"{self.number}/{self.year}/SCT/BS"


class IssueState(models.TextChoices):
    PENDING = "pending", "Đang ký"
    SIGNED = "signed", "Đã ký"
    FAILED = "failed", "Lỗi"


class DocumentJob(models.Model):
    """The form one dossier step produces, issued by a job after the step commits.

    Unique per (dossier event, form): however often the job or the "Phát hành PDF" button runs,
    a step has one document. ``document_uuid`` is chosen when the job is created and becomes
    the Document's uuid, so a worker killed after storing the document but before marking the
    job signed is recognised on the next run instead of signing a second copy.
    """

    dossier = models.ForeignKey("dossiers.Dossier", verbose_name="hồ sơ",
                                on_delete=models.PROTECT, related_name="document_jobs")
    dossier_event = models.ForeignKey("dossiers.DossierEvent", verbose_name="bước hồ sơ",
                                      on_delete=models.PROTECT, related_name="+")
    # Only the forms a dossier step produces (receipts and copies are issued otherwise).
    form = models.CharField("loại văn bản", max_length=8, choices=[
        (f.value, f.label) for f in (DocumentForm.RECEIPT, DocumentForm.SUPPLEMENT,
                                     DocumentForm.REFUSAL, DocumentForm.APOLOGY,
                                     DocumentForm.STOP, DocumentForm.CONTROL,
                                     DocumentForm.RESULT)])
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người ký", null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField("trạng thái", max_length=10, choices=IssueState.choices,
                             default=IssueState.PENDING)
    reason = models.TextField("lý do lỗi", blank=True)
    attempts = models.PositiveSmallIntegerField("số lần ký", default=0)
    document_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.OneToOneField(Document, verbose_name="văn bản", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="job")
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    objects = DossierAgencyQuerySet.as_manager()

    class Meta:
        verbose_name = "lượt phát hành văn bản"
        verbose_name_plural = "lượt phát hành văn bản"
        ordering = ["dossier", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dossier_event", "form"],
                                    name="document_job_once_per_step"),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="document_job_state")]

    def __str__(self) -> str:
        return f"{self.get_form_display()} — {self.get_state_display()}"


class SignerPosition(models.TextChoices):
    """Who may sign a certified copy (Decree 23/2015/NĐ-CP art. 5)."""

    # Art. 5(2): at the commune People's Committee.
    CHAIRMAN = "chairman", "Chủ tịch Ủy ban nhân dân"
    VICE_CHAIRMAN = "vice_chairman", "Phó Chủ tịch Ủy ban nhân dân"
    # Art. 5(1): at the (former) district Justice Office.
    HEAD = "head", "Trưởng phòng Tư pháp"
    DEPUTY_HEAD = "deputy_head", "Phó Trưởng phòng Tư pháp"
    # Art. 5(4): notaries of a notary practice organisation.
    NOTARY = "notary", "Công chứng viên"


class CompetentSigner(models.Model):
    """An official the agency has registered as competent to sign certified copies.

    ``certified_copy_issue`` refuses anyone else (CERTIFIER_NOT_COMPETENT) while
    TINHSO_CERTIFIED_COPY_SIGNERS_REQUIRED is on. Rows are never deleted: a signer leaving
    office gets ``valid_to``, so the register keeps who was competent on a given day.
    """

    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan chứng thực",
                               on_delete=models.PROTECT, related_name="competent_signers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người ký",
                             on_delete=models.PROTECT, related_name="signer_positions")
    position = models.CharField("chức vụ", max_length=20, choices=SignerPosition.choices)
    valid_from = models.DateField("từ ngày")
    valid_to = models.DateField("đến ngày", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AgencyOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "người có thẩm quyền ký chứng thực"
        verbose_name_plural = "người có thẩm quyền ký chứng thực"
        ordering = ["agency", "position", "user"]
        indexes = [models.Index(fields=["agency", "user"], name="signer_agency_user")]
        constraints = [
            # One open registration per official and agency, even under concurrent adds.
            models.UniqueConstraint(fields=["agency", "user"],
                                    condition=models.Q(valid_to__isnull=True),
                                    name="signer_open_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_position_display()} ({self.agency})"


class ResultSource(models.TextChoices):
    GENERATED = "generated", "Tạo từ mẫu của thủ tục"
    UPLOADED = "uploaded", "Tệp PDF do cơ quan tải lên"


class DossierResult(models.Model):
    """The result attached to one decision (the leader's approval): exactly one at a time.

    Either generated from the procedure's template by a signing job (``job``; ``document`` is
    set when the job has signed) or an uploaded PDF sealed by the platform (``document`` at
    once). The partial unique constraint makes "one current result per decision" hold under
    racing requests; a replacement is an explicit, audited act that marks the old row
    ``replaced_at`` (with who and why) and keeps it, never an overwrite.
    """

    dossier = models.ForeignKey("dossiers.Dossier", verbose_name="hồ sơ",
                                on_delete=models.PROTECT, related_name="results")
    decision = models.ForeignKey("dossiers.DossierEvent", verbose_name="quyết định (phê duyệt)",
                                 on_delete=models.PROTECT, related_name="+")
    source = models.CharField("nguồn kết quả", max_length=10, choices=ResultSource.choices)
    # Foreign keys, not one-to-one: a result replaced and later reinstated is a new row
    # pointing at the same signed document (history is kept, never rewritten).
    document = models.ForeignKey(Document, verbose_name="văn bản kết quả", null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="results")
    job = models.ForeignKey(DocumentJob, verbose_name="lượt ký", null=True, blank=True,
                            on_delete=models.PROTECT, related_name="results")
    attached_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người đính kèm",
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    attached_at = models.DateTimeField("thời điểm đính kèm")
    replaced_at = models.DateTimeField("thời điểm bị thay thế", null=True, blank=True)
    replaced_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người thay thế",
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    replace_reason = models.TextField("lý do thay thế", blank=True)
    objects = DossierAgencyQuerySet.as_manager()

    class Meta:
        verbose_name = "kết quả giải quyết"
        verbose_name_plural = "kết quả giải quyết"
        ordering = ["dossier", "attached_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["decision"],
                                    condition=models.Q(replaced_at__isnull=True),
                                    name="dossier_result_one_per_decision"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} — {self.dossier_id}"

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None
