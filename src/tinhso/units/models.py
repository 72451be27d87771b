"""Administrative units (both structures) and the agencies that sit in them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q


class Structure(models.TextChoices):
    # Three levels (province / district / commune) until 30 June 2025.
    LEGACY_3 = "legacy3", "3 cấp (trước 01/7/2025)"
    # Two levels (province / commune) from 1 July 2025.
    CURRENT_2 = "current2", "2 cấp (từ 01/7/2025)"


class Level(models.IntegerChoices):
    PROVINCE = 1, "Cấp tỉnh"
    DISTRICT = 2, "Cấp huyện"
    COMMUNE = 3, "Cấp xã"


REFORM_DATE = dt.date(2025, 7, 1)


class AdminUnit(models.Model):
    structure = models.CharField("cơ cấu", max_length=10, choices=Structure.choices)
    code = models.CharField("mã", max_length=10)
    name = models.CharField("tên", max_length=120)
    unit_type = models.CharField("loại", max_length=40,
                                 help_text="Tỉnh, Huyện, Thị xã, Xã, Phường…")
    level = models.PositiveSmallIntegerField("cấp", choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="đơn vị cấp trên", null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    valid_from = models.DateField("hiệu lực từ", null=True, blank=True)
    valid_to = models.DateField("hiệu lực đến", null=True, blank=True)
    successor = models.ForeignKey(
        "self", verbose_name="đơn vị kế thừa", null=True, blank=True,
        on_delete=models.PROTECT, related_name="predecessors",
    )
    latitude = models.FloatField("vĩ độ", null=True, blank=True)
    longitude = models.FloatField("kinh độ", null=True, blank=True)

    class Meta:
        verbose_name = "đơn vị hành chính"
        verbose_name_plural = "đơn vị hành chính"
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="unit_structure_code_uniq"),
        ]
        indexes = [models.Index(fields=["parent", "level"])]
        ordering = ["structure", "code"]

    def __str__(self) -> str:
        return f"{self.unit_type} {self.name}".strip()

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class AgencyKind(models.TextChoices):
    PUBLIC_SERVICE_CENTRE = "centre", "Trung tâm phục vụ hành chính công"
    DEPARTMENT = "department", "Sở, ban, ngành"
    PEOPLES_COMMITTEE = "committee", "Ủy ban nhân dân"
    BRANCH = "branch", "Chi nhánh, đơn vị trực thuộc"
    OTHER = "other", "Khác"


class Agency(models.Model):
    """An agency (cơ quan, đơn vị) with its identifier code (Decision 20/2020/QĐ-TTg)."""

    code = models.CharField("mã định danh", max_length=40, unique=True)
    name = models.CharField("tên", max_length=200)
    short_name = models.CharField("tên viết tắt", max_length=60, blank=True)
    kind = models.CharField("loại", max_length=20, choices=AgencyKind.choices)
    unit = models.ForeignKey(
        AdminUnit, verbose_name="đơn vị hành chính", on_delete=models.PROTECT,
        related_name="agencies",
    )
    parent = models.ForeignKey(
        "self", verbose_name="cơ quan cấp trên", null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    has_one_stop_desk = models.BooleanField("có bộ phận một cửa", default=True)
    one_stop_desk_name = models.CharField("tên bộ phận một cửa", max_length=200, blank=True)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    phone = models.CharField("điện thoại", max_length=40, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    # Office hours: two periods a day (default 07:30–11:30, 13:30–17:30).
    morning_start = models.TimeField("giờ làm sáng từ", default=dt.time(7, 30))
    morning_end = models.TimeField("giờ làm sáng đến", default=dt.time(11, 30))
    afternoon_start = models.TimeField("giờ làm chiều từ", default=dt.time(13, 30))
    afternoon_end = models.TimeField("giờ làm chiều đến", default=dt.time(17, 30))
    is_active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        verbose_name = "cơ quan"
        verbose_name_plural = "cơ quan"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(morning_start__lt=models.F("morning_end"))
                & Q(morning_end__lte=models.F("afternoon_start"))
                & Q(afternoon_start__lt=models.F("afternoon_end")),
                name="agency_office_hours_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def office_periods(self) -> tuple[tuple[dt.time, dt.time], tuple[dt.time, dt.time]]:
        return (
            (self.morning_start, self.morning_end),
            (self.afternoon_start, self.afternoon_end),
        )
