"""The administrative-procedure catalogue (thủ tục hành chính)."""

from __future__ import annotations

from django.db import models


class ProcedureLevel(models.TextChoices):
    PROVINCE = "province", "Cấp tỉnh"
    DISTRICT = "district", "Cấp huyện"
    COMMUNE = "commune", "Cấp xã"


class ApplicantType(models.TextChoices):
    CITIZEN = "citizen", "Công dân"
    ORGANISATION = "organisation", "Tổ chức"
    BOTH = "both", "Công dân, tổ chức"


class OnlineLevel(models.TextChoices):
    FULL = "full", "Toàn trình"
    PARTIAL = "partial", "Một phần"
    NONE = "none", "Không trực tuyến"


class ResultType(models.TextChoices):
    PAPER = "paper", "Bản giấy"
    ELECTRONIC = "electronic", "Bản điện tử"


class DeadlineKind(models.TextChoices):
    """How the procedure's processing time is counted (docs/workdays.md, "Deadline kinds")."""

    # processing_days × the agency's daily office time (the general rule).
    WORKING_DAYS = "working_days", "Ngày làm việc"
    # Done within the day of reception, or the next working day when received after the
    # cut-off (Decree 23/2015 art. 7 for certified copies; civil-status "ngay trong ngày").
    SAME_DAY = "same_day", "Trong ngày (sau giờ chốt: ngày làm việc tiếp theo)"
    # processing_hours of office time (e.g. a certified copy of many documents, extended by
    # the agency under Decree 23/2015 art. 7).
    HOURS = "hours", "Giờ làm việc"


class Field(models.Model):
    """A field (lĩnh vực) such as Hộ tịch, Chứng thực, Đất đai."""

    code = models.CharField("mã", max_length=40, unique=True)
    name = models.CharField("tên", max_length=200)

    class Meta:
        verbose_name = "lĩnh vực"
        verbose_name_plural = "lĩnh vực"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    code = models.CharField("mã thủ tục", max_length=40, unique=True)
    name = models.CharField("tên thủ tục", max_length=500)
    # name folded to ASCII lower case (no diacritics) for diacritics-insensitive search.
    search_text = models.CharField(max_length=600, editable=False, db_index=True)
    field = models.ForeignKey(Field, verbose_name="lĩnh vực", on_delete=models.PROTECT,
                              related_name="procedures")
    level = models.CharField("cấp thực hiện", max_length=10, choices=ProcedureLevel.choices)
    agencies = models.ManyToManyField("units.Agency", verbose_name="cơ quan thực hiện",
                                      related_name="procedures", blank=True)
    # The implementing body as the national database words it ("Ủy ban nhân dân cấp xã"); the
    # demo loader uses it to link the procedure to concrete agencies.
    implementing_body = models.CharField("cơ quan thực hiện (theo danh mục)", max_length=300,
                                         blank=True)
    description = models.TextField("mô tả", blank=True)
    # Working days; decimals allow "trong ngày" (0.5) style deadlines.
    processing_days = models.DecimalField("thời hạn giải quyết (ngày làm việc)", max_digits=5,
                                          decimal_places=1)
    deadline_kind = models.CharField("cách tính thời hạn", max_length=16,
                                     choices=DeadlineKind.choices,
                                     default=DeadlineKind.WORKING_DAYS)
    # Only for HOURS: the office hours allowed.
    processing_hours = models.DecimalField("thời hạn (giờ làm việc)", max_digits=6,
                                           decimal_places=1, null=True, blank=True)
    # Only for SAME_DAY: received after this local time ⇒ due the next working day.
    # Empty: the setting TINHSO_SAME_DAY_CUTOFF (default 15:00).
    cutoff_time = models.TimeField("giờ chốt tiếp nhận trong ngày", null=True, blank=True)
    # The clock stops while the applicant carries out financial obligations (status 6), as
    # for a supplement (land procedures: Decree 101/2024/NĐ-CP).
    payment_pauses_clock = models.BooleanField(
        "không tính thời gian thực hiện nghĩa vụ tài chính", default=False)
    fee = models.PositiveBigIntegerField("phí, lệ phí (VND)", default=0)
    fee_note = models.CharField("ghi chú phí", max_length=500, blank=True)
    applicant_type = models.CharField("đối tượng", max_length=20, choices=ApplicantType.choices)
    online_level = models.CharField("mức độ trực tuyến", max_length=10,
                                    choices=OnlineLevel.choices)
    result_type = models.CharField("loại kết quả", max_length=12, choices=ResultType.choices)
    result_name = models.CharField("tên kết quả", max_length=300, blank=True)
    legal_basis = models.TextField("căn cứ pháp lý", blank=True)
    form_schema = models.JSONField("biểu mẫu (JSON Schema)", default=dict, blank=True)
    # [{"code": "receive", "name": "Tiếp nhận", "role": "receiver", "share": 0.1}, ...]
    process_template = models.JSONField("quy trình", default=list, blank=True)
    announced_at = models.DateField("ngày công bố", null=True, blank=True)
    published_at = models.DateField("ngày công khai trên CSDL quốc gia", null=True, blank=True)
    effective_from = models.DateField("ngày hiệu lực", null=True, blank=True)
    is_active = models.BooleanField("đang áp dụng", default=True)
    popularity = models.PositiveIntegerField("mức độ phổ biến", default=0)
    # Caveats about the data itself (unconfirmed code, approximated deadline, …).
    note = models.TextField("ghi chú dữ liệu", blank=True)

    class Meta:
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"
        ordering = ["code"]
        indexes = [
            # Search lists active procedures by popularity, then name.
            models.Index(fields=["is_active", "-popularity", "name"], name="procedure_rank_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def has_fee(self) -> bool:
        return self.fee > 0


class ProcedureComponent(models.Model):
    """A required or optional document of the dossier (thành phần hồ sơ)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="components")
    code = models.CharField("mã", max_length=40)
    name = models.CharField("tên giấy tờ", max_length=500)
    required = models.BooleanField("bắt buộc", default=True)
    copies = models.PositiveSmallIntegerField("số bản", default=1)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "thành phần hồ sơ"
        verbose_name_plural = "thành phần hồ sơ"
        ordering = ["procedure", "order"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "code"], name="component_code_uniq")
        ]

    def __str__(self) -> str:
        return self.name
