"""Traceability on GS1 EPCIS 2.0: parties, their locations and prefixes, captured events, the
EPC index of the query interface, capture jobs and the verifiable ledger (RFC 9162)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tinhso.trace.querysets import (
    EventQuerySet,
    NamedQueryQuerySet,
    PartyChildQuerySet,
    PartyQuerySet,
    SubscriptionQuerySet,
)


class AppendOnlyError(RuntimeError):
    pass


class AppendOnly(models.Model):
    """Rows written once; ``tinhso trace verify-log`` catches what goes around it."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


class PartyKind(models.TextChoices):
    FARM = "farm", "Nông hộ, trang trại"
    COOPERATIVE = "cooperative", "Hợp tác xã"
    TRADER = "trader", "Thương lái, doanh nghiệp thu mua"
    PROCESSOR = "processor", "Cơ sở chế biến"
    RETAILER = "retailer", "Cửa hàng, nhà bán lẻ"


class TraceParty(models.Model):
    """A farm, co-operative, trader, processor or retailer that captures events."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="tài khoản",
                                on_delete=models.PROTECT, related_name="trace_party")
    name = models.CharField("tên", max_length=200)
    kind = models.CharField("loại", max_length=12, choices=PartyKind.choices)
    commune = models.ForeignKey("units.AdminUnit", verbose_name="xã, phường", null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Opt-in (decision 0020): the party's full events (quantities, partners) readable by anyone
    # through the EPCIS query interface. Off: only the party and the province read them.
    events_public = models.BooleanField("công khai toàn bộ sự kiện", default=False)
    objects = PartyQuerySet.as_manager()

    class Meta:
        verbose_name = "bên truy xuất"
        verbose_name_plural = "bên truy xuất"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class LocationKind(models.TextChoices):
    FARM = "farm", "Vườn, trang trại"
    WAREHOUSE = "warehouse", "Kho, sân phơi"
    PROCESSOR = "processor", "Nhà máy chế biến"
    STORE = "store", "Cửa hàng"


class TraceLocation(models.Model):
    """A GLN the party owns (a farm, a drying yard, a warehouse, a factory, a shop)."""

    party = models.ForeignKey(TraceParty, on_delete=models.PROTECT, related_name="locations")
    gln = models.CharField("GLN", max_length=13, unique=True)
    name = models.CharField("tên", max_length=200)
    kind = models.CharField("loại", max_length=12, choices=LocationKind.choices)
    commune = models.ForeignKey("units.AdminUnit", verbose_name="xã, phường", null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    parcel = models.ForeignKey("iot.Parcel", verbose_name="thửa đất (IoT)", null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="+")
    objects = PartyChildQuerySet.as_manager()

    class Meta:
        verbose_name = "địa điểm (GLN)"
        verbose_name_plural = "địa điểm (GLN)"
        ordering = ["gln"]

    def __str__(self) -> str:
        return f"{self.name} ({self.gln})"


class CompanyPrefix(models.Model):
    """A GS1 company prefix (or a GTIN/SSCC prefix) the party numbers its products under."""

    party = models.ForeignKey(TraceParty, on_delete=models.PROTECT, related_name="prefixes")
    prefix = models.CharField("tiền tố", max_length=12, unique=True)
    objects = PartyChildQuerySet.as_manager()

    class Meta:
        verbose_name = "tiền tố mã GS1"
        verbose_name_plural = "tiền tố mã GS1"

    def __str__(self) -> str:
        return self.prefix


class Crop(models.TextChoices):
    CASHEW = "cashew", "Điều"
    PEPPER = "pepper", "Hồ tiêu"
    RUBBER = "rubber", "Cao su"
    OTHER = "other", "Khác"


class Product(models.Model):
    """A trade item (GTIN) as buyers see it on the resolver page: public."""

    gtin = models.CharField("GTIN-14", max_length=14, unique=True)
    party = models.ForeignKey(TraceParty, on_delete=models.PROTECT, related_name="products")
    name = models.CharField("tên sản phẩm", max_length=200)
    crop = models.CharField("cây trồng", max_length=10, choices=Crop.choices)

    class Meta:
        verbose_name = "sản phẩm (GTIN)"
        verbose_name_plural = "sản phẩm (GTIN)"
        ordering = ["gtin"]

    def __str__(self) -> str:
        return f"{self.name} ({self.gtin})"


class CertificateKind(models.TextChoices):
    VIETGAP = "vietgap", "VietGAP"
    OCOP = "ocop", "OCOP"
    ORGANIC = "organic", "Hữu cơ (TCVN 11041)"


class Certificate(models.Model):
    """A VietGAP/OCOP/organic certificate: the public register's data, shown to buyers."""

    party = models.ForeignKey(TraceParty, on_delete=models.PROTECT, related_name="certificates")
    gtin = models.CharField("GTIN-14 (trống: mọi sản phẩm)", max_length=14, blank=True)
    kind = models.CharField("loại", max_length=10, choices=CertificateKind.choices)
    decision_number = models.CharField("số quyết định / giấy chứng nhận", max_length=100)
    issuer = models.CharField("cơ quan cấp", max_length=200)
    issued_on = models.DateField("ngày cấp")
    valid_until = models.DateField("hiệu lực đến", null=True, blank=True)
    stars = models.PositiveSmallIntegerField("số sao OCOP", null=True, blank=True)

    class Meta:
        verbose_name = "chứng nhận"
        verbose_name_plural = "chứng nhận"
        ordering = ["kind", "issued_on"]


class CaptureState(models.TextChoices):
    QUEUED = "queued", "Đang chờ"
    RUNNING = "running", "Đang xử lý"
    DONE = "done", "Xong"
    FAILED = "failed", "Thất bại"


class CaptureJob(models.Model):
    """One ``POST /epcis/capture``: the document, processed by a background job."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    party = models.ForeignKey(TraceParty, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=8, choices=CaptureState.choices,
                             default=CaptureState.QUEUED)
    rollback = models.BooleanField(default=True)
    document = models.JSONField()
    event_count = models.PositiveIntegerField(default=0)
    captured = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    objects = PartyChildQuerySet.as_manager()

    class Meta:
        verbose_name = "lượt ghi nhận"
        verbose_name_plural = "lượt ghi nhận"
        indexes = [models.Index(fields=["state", "created_at"], name="trace_capture_state")]


class Event(AppendOnly):
    """A captured EPCIS event and leaf ``leaf_index`` of the ledger.

    ``document`` is the event as stored (with ``eventID`` and ``recordTime``); ``event_hash`` its
    CBV 2.0 hash; ``leaf_hash`` RFC 9162's hash of ``ledger.leaf_data(event)``. The query columns
    hold canonical forms (Web URIs, constrained Digital Links).
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.CharField(max_length=300, unique=True)
    event_hash = models.CharField(max_length=100, db_index=True)
    event_type = models.CharField(max_length=24)
    action = models.CharField(max_length=8, blank=True)
    event_time = models.DateTimeField()
    record_time = models.DateTimeField()
    biz_step = models.CharField(max_length=200, blank=True)
    disposition = models.CharField(max_length=200, blank=True)
    read_point = models.CharField(max_length=300, blank=True)
    biz_location = models.CharField(max_length=300, blank=True)
    document = models.JSONField()
    party = models.ForeignKey(TraceParty, on_delete=models.PROTECT, related_name="+",
                              db_index=False)
    leaf_index = models.PositiveBigIntegerField(unique=True)
    leaf_hash = models.BinaryField(max_length=32)
    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = "sự kiện EPCIS"
        verbose_name_plural = "sự kiện EPCIS"
        ordering = ["leaf_index"]
        indexes = [
            models.Index(fields=["event_time", "id"], name="trace_ev_time"),
            models.Index(fields=["biz_step", "event_time"], name="trace_ev_step"),
            models.Index(fields=["event_type", "event_time"], name="trace_ev_type"),
            models.Index(fields=["biz_location", "event_time"], name="trace_ev_bizloc"),
            models.Index(fields=["read_point", "event_time"], name="trace_ev_readpoint"),
        ]


class EpcRole(models.IntegerChoices):
    EPC = 1, "epcList"
    PARENT = 2, "parentID"
    CHILD = 3, "childEPCs"
    INPUT = 4, "inputEPCList"
    OUTPUT = 5, "outputEPCList"
    CLASS = 6, "quantityList"
    CHILD_CLASS = 7, "childQuantityList"
    INPUT_CLASS = 8, "inputQuantityList"
    OUTPUT_CLASS = 9, "outputQuantityList"


class EventEpc(AppendOnly):
    """The EPC look-up table: one row per identifier an event names, in canonical form."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="epcs",
                              db_index=False)
    epc = models.CharField(max_length=300)
    role = models.PositiveSmallIntegerField(choices=EpcRole.choices)

    class Meta:
        # varchar_pattern_ops (PostgreSQL; ignored elsewhere): equality and prefix (LIKE 'x%')
        # look-ups both use it — MATCH_epcClass with a bare GTIN matches every lot of it.
        indexes = [models.Index(fields=["epc", "event"], name="trace_epc_lookup",
                                opclasses=["varchar_pattern_ops", "int8_ops"]),
                   models.Index(fields=["event"], name="trace_epc_event")]


class LedgerState(models.Model):
    """One row: the ledger's size. Appends lock it: one writer, gap-free leaf numbers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    tree_size = models.PositiveBigIntegerField(default=0)


class LedgerNode(AppendOnly):
    """Hash of a complete aligned subtree (level >= 1), stored as its last leaf arrives."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"],
                                               name="trace_node_uniq")]


class LedgerHead(AppendOnly):
    """RFC 9162 §4.10 signed tree head of the ledger, time-stamped (RFC 3161) by the platform."""

    tree_size = models.PositiveBigIntegerField()
    timestamp_ms = models.PositiveBigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    signature = models.BinaryField()
    signature_algorithm = models.CharField(max_length=40)
    certificate_pem = models.TextField()
    timestamp_token = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "gốc cây sổ cái đã ký"
        verbose_name_plural = "gốc cây sổ cái đã ký"
        ordering = ["tree_size", "timestamp_ms"]
        indexes = [models.Index(fields=["tree_size"], name="trace_head_size")]


class NamedQuery(models.Model):
    """``POST /epcis/queries``: a SimpleEventQuery saved under a name (unique in the
    repository, as the binding's ``/queries/{queryName}`` path requires), owned by an account."""

    name = models.CharField(max_length=100, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    query = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    objects = NamedQueryQuerySet.as_manager()

    class Meta:
        verbose_name = "truy vấn EPCIS đặt tên"
        verbose_name_plural = "truy vấn EPCIS đặt tên"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QuerySubscription(models.Model):
    """A webhook subscription to a named query (``stream`` or a cron-like ``schedule``).

    ``cursor`` is the ledger leaf index of the last event the receiver acknowledged (2xx):
    leaves are numbered in commit order, so "leaf_index > cursor" never skips an event that
    commits late, and a crash before the cursor moves only repeats a delivery (at least once).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    query = models.ForeignKey(NamedQuery, on_delete=models.CASCADE,
                              related_name="subscriptions")
    dest = models.CharField(max_length=500)  # an http(s) URL, checked by the service
    signature_token_enc = models.BinaryField(null=True, blank=True)
    stream = models.BooleanField(default=False)
    schedule = models.JSONField(null=True, blank=True)
    report_if_empty = models.BooleanField(default=False)
    initial_record_time = models.DateTimeField()
    cursor = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = "đăng ký nhận sự kiện EPCIS"
        verbose_name_plural = "đăng ký nhận sự kiện EPCIS"
        ordering = ["created_at"]
        indexes = [models.Index(fields=["due_at"], name="trace_sub_due")]
