"""Smart-agriculture IoT: farms, parcels, devices, readings, roll-ups and agronomic alarms.

Shaped after FIWARE's agri data models (AgriFarm, AgriParcel, AgriCrop, WeatherObserved): a Farm
has Parcels in a commune; a Device on a parcel reports telemetry keys (soil moisture, air
temperature, …). Readings are (device, key, ts) → value, stored once whatever the order or the
number of times they arrive; hourly and daily roll-ups are kept up to date on insert (ingest.py).
On PostgreSQL the readings table is partitioned by month (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.iot.querysets import (
    AgriOfficerQuerySet,
    AlarmNoticeQuerySet,
    AlarmQuerySet,
    DeviceChildQuerySet,
    DeviceQuerySet,
    FarmQuerySet,
    ParcelQuerySet,
)


class OwnerKind(models.TextChoices):
    HOUSEHOLD = "household", "Hộ gia đình"
    COOPERATIVE = "cooperative", "Hợp tác xã"
    ENTERPRISE = "enterprise", "Doanh nghiệp"


class Crop(models.TextChoices):
    PEPPER = "pepper", "Hồ tiêu"
    CASHEW = "cashew", "Điều"
    RUBBER = "rubber", "Cao su"
    COFFEE = "coffee", "Cà phê"
    DURIAN = "durian", "Sầu riêng"
    OTHER = "other", "Khác"


class Stage(models.TextChoices):
    VEGETATIVE = "vegetative", "Sinh trưởng"
    FLOWERING = "flowering", "Ra hoa"
    FRUITING = "fruiting", "Nuôi quả"
    HARVEST = "harvest", "Thu hoạch"
    DORMANT = "dormant", "Nghỉ, rụng lá"


class Farm(models.Model):
    name = models.CharField("tên trang trại", max_length=200)
    owner_kind = models.CharField("loại chủ", max_length=12, choices=OwnerKind.choices)
    owner_name = models.CharField("tên chủ", max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="tài khoản chủ", null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="farms")
    commune = models.ForeignKey("units.AdminUnit", verbose_name="xã, phường",
                                on_delete=models.PROTECT, related_name="farms")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = FarmQuerySet.as_manager()

    class Meta:
        verbose_name = "trang trại"
        verbose_name_plural = "trang trại"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Parcel(models.Model):
    farm = models.ForeignKey(Farm, on_delete=models.CASCADE, related_name="parcels")
    name = models.CharField("tên thửa", max_length=200)
    area_ha = models.DecimalField("diện tích (ha)", max_digits=9, decimal_places=4)
    latitude = models.FloatField("vĩ độ", null=True, blank=True)
    longitude = models.FloatField("kinh độ", null=True, blank=True)
    crop = models.CharField("cây trồng", max_length=12, choices=Crop.choices)
    variety = models.CharField("giống", max_length=100, blank=True)
    planting_year = models.PositiveSmallIntegerField("năm trồng", null=True, blank=True)
    stage = models.CharField("giai đoạn", max_length=12, choices=Stage.choices,
                             default=Stage.VEGETATIVE)
    objects = ParcelQuerySet.as_manager()

    class Meta:
        verbose_name = "thửa đất"
        verbose_name_plural = "thửa đất"
        ordering = ["farm_id", "name", "id"]

    def __str__(self) -> str:
        return f"{self.farm.name} — {self.name}"


class Device(models.Model):
    """A field station. Its secret token is stored as SHA-256 only, with a public prefix."""

    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField("tên thiết bị", max_length=200)
    token_prefix = models.CharField("tiền tố mã", max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The MQTT user name at the broker (public; the token is its password).
    mqtt_username = models.CharField("tên MQTT", max_length=64, unique=True)
    is_active = models.BooleanField("đang hoạt động", default=True)
    # False while the broker has not confirmed the client was created/deleted (sync-broker).
    broker_synced = models.BooleanField("đã đồng bộ broker", default=False)
    last_seen_at = models.DateTimeField("lần cuối gửi dữ liệu", null=True, blank=True)
    bad_payloads = models.PositiveIntegerField("số gói tin lỗi", default=0)
    last_error = models.CharField("lỗi gần nhất", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = "thiết bị"
        verbose_name_plural = "thiết bị"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.mqtt_username})"


class Sensor(models.Model):
    """A telemetry key a device reports (declared, or learned on first reading)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="sensors")
    key = models.CharField("khoá", max_length=40)
    unit = models.CharField("đơn vị", max_length=20, blank=True)
    objects = DeviceChildQuerySet.as_manager()

    class Meta:
        verbose_name = "cảm biến"
        verbose_name_plural = "cảm biến"
        constraints = [models.UniqueConstraint(fields=["device", "key"], name="iot_sensor_key")]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.key}"


class Reading(models.Model):
    """One raw value. The primary key (device, key, ts) is what makes a duplicate a no-op and,
    because it contains ts, lets PostgreSQL partition the table by time."""

    pk = models.CompositePrimaryKey("device", "key", "ts")
    device = models.ForeignKey(Device, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    key = models.CharField(max_length=40)
    ts = models.DateTimeField()
    value = models.FloatField()
    objects = DeviceChildQuerySet.as_manager()


class RetryDigest(models.Model):
    """The SHA-256 of a recent timestamp-less message of a device. A message without ``ts`` is
    stamped on receipt, so a retry of it would be a new reading; a digest seen less than
    ``TINHSO_IOT_RETRY_WINDOW_SECONDS`` ago marks it as the retry it is (iot/retries.py)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    objects = DeviceChildQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "digest"],
                                               name="iot_retry_digest_uniq")]


class Rollup(models.Model):
    """count/sum/min/max of a device's key per hour (period 'h') or day ('d'), added to on
    every insert; avg = sum/count. Commutative, so out-of-order arrival gives the same rows."""

    pk = models.CompositePrimaryKey("device", "key", "period", "bucket")
    device = models.ForeignKey(Device, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    key = models.CharField(max_length=40)
    period = models.CharField(max_length=1)
    bucket = models.DateTimeField()
    count = models.BigIntegerField()
    total = models.FloatField()
    low = models.FloatField()
    high = models.FloatField()
    objects = DeviceChildQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["period", "bucket"], name="iot_rollup_bucket")]


class Severity(models.TextChoices):
    CRITICAL = "critical", "Nghiêm trọng"
    MAJOR = "major", "Cao"
    MINOR = "minor", "Trung bình"
    WARNING = "warning", "Cảnh báo"


SEVERITY_ORDER = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.WARNING]


class AlarmRule(models.Model):
    """An agronomic rule, editable in the admin: all its conditions hold over the last
    ``duration_hours`` of a parcel's hourly roll-ups → an alarm. ``kind=offline`` rules instead
    fire when a device has sent nothing for ``duration_hours``."""

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", "Ngưỡng cảm biến"
        OFFLINE = "offline", "Thiết bị mất kết nối"

    code = models.SlugField("mã", max_length=40, unique=True)
    name = models.CharField("tên", max_length=200)
    kind = models.CharField("loại", max_length=10, choices=Kind.choices, default=Kind.THRESHOLD)
    crop = models.CharField("cây trồng (trống = mọi cây)", max_length=12, blank=True,
                            choices=Crop.choices)
    stages = models.CharField("giai đoạn (trống = mọi giai đoạn, phân cách bằng dấu phẩy)",
                              max_length=120, blank=True)
    duration_hours = models.FloatField("thời gian duy trì (giờ)")
    severity = models.CharField("mức độ", max_length=10, choices=Severity.choices)
    advice = models.TextField("khuyến cáo", blank=True)
    source = models.TextField("nguồn ngưỡng", blank=True)
    enabled = models.BooleanField("đang dùng", default=True)

    class Meta:
        verbose_name = "quy tắc cảnh báo"
        verbose_name_plural = "quy tắc cảnh báo"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, crop: str, stage: str) -> bool:
        if self.crop and self.crop != crop:
            return False
        stages = {s.strip() for s in self.stages.split(",") if s.strip()}
        return not stages or stage in stages


class AlarmCondition(models.Model):
    class Aggregate(models.TextChoices):
        AVG = "avg", "trung bình"
        MIN = "min", "thấp nhất"
        MAX = "max", "cao nhất"
        SUM = "sum", "tổng"

    class Op(models.TextChoices):
        GE = "ge", "≥"
        LE = "le", "≤"

    rule = models.ForeignKey(AlarmRule, on_delete=models.CASCADE, related_name="conditions")
    key = models.CharField("khoá cảm biến", max_length=40)
    aggregate = models.CharField("phép gộp", max_length=3, choices=Aggregate.choices)
    op = models.CharField("so sánh", max_length=2, choices=Op.choices)
    threshold = models.FloatField("ngưỡng")

    class Meta:
        verbose_name = "điều kiện"
        verbose_name_plural = "điều kiện"

    def __str__(self) -> str:
        return f"{self.aggregate}({self.key}) {self.get_op_display()} {self.threshold}"


class Alarm(models.Model):
    """An alarm on a parcel (or a device for 'offline'), with the farm and commune copied so
    the IOC counts by farm and commune without joins (propagation parcel → farm → commune).
    At most one active alarm per (rule, parcel, device): a partial unique constraint."""

    rule = models.ForeignKey(AlarmRule, on_delete=models.PROTECT, related_name="alarms")
    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="alarms")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="alarms")
    farm = models.ForeignKey(Farm, on_delete=models.CASCADE, related_name="alarms")
    commune = models.ForeignKey("units.AdminUnit", on_delete=models.PROTECT, related_name="+")
    crop = models.CharField(max_length=12, choices=Crop.choices)
    severity = models.CharField("mức độ", max_length=10, choices=Severity.choices)
    active = models.BooleanField("đang hoạt động", default=True)
    created_at = models.DateTimeField("phát sinh")
    last_seen_at = models.DateTimeField("lần cuối thoả điều kiện")
    cleared_at = models.DateTimeField("kết thúc", null=True, blank=True)
    acknowledged_at = models.DateTimeField("xác nhận lúc", null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    details = models.JSONField(default=dict, blank=True)
    objects = AlarmQuerySet.as_manager()

    class Meta:
        verbose_name = "cảnh báo"
        verbose_name_plural = "cảnh báo"
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two partial constraints rather than nulls_distinct=False, which SQLite lacks.
            models.UniqueConstraint(fields=["rule", "parcel"],
                                    condition=models.Q(active=True, device__isnull=True),
                                    name="iot_alarm_one_active_parcel"),
            models.UniqueConstraint(fields=["rule", "parcel", "device"],
                                    condition=models.Q(active=True, device__isnull=False),
                                    name="iot_alarm_one_active_device"),
        ]
        indexes = [models.Index(fields=["active", "commune"], name="iot_alarm_commune")]

    def __str__(self) -> str:
        return f"{self.rule.name} — {self.parcel}"


class AgriOfficer(models.Model):
    """The commune's agricultural officer(s) (cán bộ nông nghiệp xã), told of its alarms."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="agri_communes")
    commune = models.ForeignKey("units.AdminUnit", on_delete=models.CASCADE, related_name="+")
    objects = AgriOfficerQuerySet.as_manager()

    class Meta:
        verbose_name = "cán bộ nông nghiệp xã"
        verbose_name_plural = "cán bộ nông nghiệp xã"
        constraints = [models.UniqueConstraint(fields=["user", "commune"], name="iot_officer")]


class AlarmNotice(models.Model):
    """Who must be told of an alarm being raised or cleared (delivered by the notifications
    app once wired; see notify_alarm)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="notices")
    event = models.CharField(max_length=10)  # raised | cleared
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+")
    reason = models.CharField(max_length=20)  # owner | officer
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AlarmNoticeQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alarm", "event", "recipient"],
                                               name="iot_notice_once")]
