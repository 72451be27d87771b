"""IOC data: daily KPI facts kept current with the dossier event log, and notifications.

``DailyFact`` holds, per local day × agency × administrative unit × procedure, the counters the
766 indicators need (see docs/kpi.md for what each counter means and why the facts are keyed by
the day a dossier was received, finished and became overdue). ``DossierFactState`` remembers,
per dossier, what it currently contributes to the facts, so that every new event can subtract
the old contribution and add the new one inside the event's own transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.ioc.querysets import DossierFactStateQuerySet, FactQuerySet, NotificationQuerySet

# Counter columns of DailyFact, in a fixed order (the upsert SQL and the verifier use it).
FACT_COUNTERS: tuple[str, ...] = (
    "received",              # base dossiers received on the day (not withdrawn)
    "received_online",       # … of which submitted online (channel 2)
    "received_paid_online",  # … of which paid online (so far)
    "received_digitized",    # … of which components digitised
    "finished_on_time",      # base dossiers whose processing ended on the day, on time
    "finished_late",         # … late (after the appointment, or more than one supplement)
    "finished_with_result",  # … ended processed/returned (a result exists)
    "finished_eresult",      # … with an electronic result
    "finished_digitized",    # … with components digitised and an electronic result
    "finished_rated",        # … rated by the applicant
    "finished_disliked",     # … rated -1
    "finished_unsatisfied",  # … rated -1 or with a petition about them
    "finished_multi_supplement",  # … with more than one supplement request
    "overdue_started",       # base dossiers that became overdue (unfinished) on the day
    "overdue_ended",         # … overdue dossiers whose processing ended on the day
    "refused",               # dossiers refused at reception on the day (outside the base)
)
# Money sums, per received day (VND): fees due and fees paid online.
FACT_AMOUNTS: tuple[str, ...] = ("fee_amount", "paid_online_amount")
FACT_COLUMNS: tuple[str, ...] = FACT_COUNTERS + FACT_AMOUNTS


class FactCounters(models.Model):
    """The key columns and FACT_COLUMNS shared by the daily and the monthly facts (one
    definition, so the two tables can never drift apart)."""

    # No one-column indexes: (agency, day), (unit, day), (procedure, day) and their monthly
    # twins start with these columns and answer the same lookups (decision 0031).
    agency = models.ForeignKey("units.Agency", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    unit = models.ForeignKey("units.AdminUnit", on_delete=models.CASCADE, related_name="+",
                             db_index=False)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE,
                                  related_name="+", db_index=False)

    received = models.IntegerField(default=0)
    received_online = models.IntegerField(default=0)
    received_paid_online = models.IntegerField(default=0)
    received_digitized = models.IntegerField(default=0)
    finished_on_time = models.IntegerField(default=0)
    finished_late = models.IntegerField(default=0)
    finished_with_result = models.IntegerField(default=0)
    finished_eresult = models.IntegerField(default=0)
    finished_digitized = models.IntegerField(default=0)
    finished_rated = models.IntegerField(default=0)
    finished_disliked = models.IntegerField(default=0)
    finished_unsatisfied = models.IntegerField(default=0)
    finished_multi_supplement = models.IntegerField(default=0)
    overdue_started = models.IntegerField(default=0)
    overdue_ended = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    fee_amount = models.BigIntegerField(default=0)
    paid_online_amount = models.BigIntegerField(default=0)
    objects = FactQuerySet.as_manager()

    class Meta:
        abstract = True


class DailyFact(FactCounters):
    day = models.DateField("ngày")

    class Meta:
        verbose_name = "số liệu ngày"
        verbose_name_plural = "số liệu ngày"
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "unit", "procedure"],
                                    name="ioc_fact_key_uniq"),
        ]
        indexes = [
            models.Index(fields=["agency", "day"], name="ioc_fact_agency_day"),
            models.Index(fields=["unit", "day"], name="ioc_fact_unit_day"),
            models.Index(fields=["procedure", "day"], name="ioc_fact_procedure_day"),
        ]


class MonthlyFact(FactCounters):
    """The same counters summed per calendar month (``month`` = its first day), kept in the
    same transaction as DailyFact: long periods and "open at the period end" prefix sums read
    whole months here and only the partial months from DailyFact."""

    month = models.DateField("tháng")

    class Meta:
        verbose_name = "số liệu tháng"
        verbose_name_plural = "số liệu tháng"
        constraints = [
            models.UniqueConstraint(fields=["month", "agency", "unit", "procedure"],
                                    name="ioc_mfact_key_uniq"),
        ]
        indexes = [
            models.Index(fields=["agency", "month"], name="ioc_mfact_agency_month"),
            models.Index(fields=["unit", "month"], name="ioc_mfact_unit_month"),
            models.Index(fields=["procedure", "month"], name="ioc_mfact_procedure_month"),
        ]


OPEN_COLUMNS_MONTHLY: tuple[str, ...] = ("received", "finished", "overdue_started",
                                          "overdue_ended")


class OpenMonthFact(models.Model):
    """The four counters behind "open (and overdue) at the end of the period", per month ×
    agency × unit, without the procedure: the prefix sums over the whole history read a few
    rows per agency and month at any volume. Procedure and field scopes use MonthlyFact."""

    month = models.DateField("tháng")
    # Covered by the (agency, month) and (unit, month) indexes below (decision 0031).
    agency = models.ForeignKey("units.Agency", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    unit = models.ForeignKey("units.AdminUnit", on_delete=models.CASCADE, related_name="+",
                             db_index=False)
    received = models.IntegerField(default=0)
    finished = models.IntegerField(default=0)
    overdue_started = models.IntegerField(default=0)
    overdue_ended = models.IntegerField(default=0)
    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = "số liệu hồ sơ tồn theo tháng"
        verbose_name_plural = "số liệu hồ sơ tồn theo tháng"
        constraints = [
            models.UniqueConstraint(fields=["month", "agency", "unit"],
                                    name="ioc_openfact_key_uniq"),
        ]
        indexes = [models.Index(fields=["agency", "month"], name="ioc_openfact_agency"),
                   models.Index(fields=["unit", "month"], name="ioc_openfact_unit")]


class DossierFactState(models.Model):
    """What one dossier contributes to the facts now, plus the event memory needed to
    recompute it without reading the dossier's whole event log again."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE,
                                   primary_key=True, related_name="+")
    agency_id_key = models.BigIntegerField(null=True)
    unit_id_key = models.BigIntegerField(null=True)
    procedure_id_key = models.BigIntegerField(null=True)
    # The profile (see tinhso.ioc.profile.Profile); days are local (Asia/Ho_Chi_Minh) dates.
    received_day = models.DateField(null=True)
    finished_day = models.DateField(null=True)
    overdue_day = models.DateField(null=True)
    refused_day = models.DateField(null=True)
    flags = models.PositiveIntegerField(default=0)
    fee_amount = models.BigIntegerField(default=0)
    # Event memory.
    request_count = models.PositiveSmallIntegerField(default=0)
    second_request_at = models.DateTimeField(null=True)
    pause_started_at = models.DateTimeField(null=True)
    end_seen = models.BooleanField(default=False)
    end_pause_started_at = models.DateTimeField(null=True)
    # Maintained by the feedback app: a (non-refused) petition names this dossier.
    complained = models.BooleanField(default=False)
    # The newest DossierEvent counted: an event delivered again (after a rebuild or a bulk load
    # that already counted it) is recognised and skipped. A dossier's events are written one
    # transaction at a time (its row is locked), so their ids grow in delivery order.
    last_event_id = models.BigIntegerField(default=0)
    objects = DossierFactStateQuerySet.as_manager()

    class Meta:
        verbose_name = "đóng góp số liệu của hồ sơ"
        verbose_name_plural = "đóng góp số liệu của hồ sơ"
        # Drill-down from a number to its dossiers filters on exactly these columns, newest
        # first with keyset pagination on (day, dossier).
        indexes = [
            models.Index(fields=["received_day", "dossier"], name="ioc_state_received"),
            models.Index(fields=["finished_day", "dossier"], name="ioc_state_finished"),
            models.Index(fields=["agency_id_key", "received_day"], name="ioc_state_agency_recv"),
            models.Index(fields=["agency_id_key", "finished_day"], name="ioc_state_agency_fin"),
            models.Index(fields=["unit_id_key", "received_day"], name="ioc_state_unit_recv"),
            models.Index(fields=["unit_id_key", "finished_day"], name="ioc_state_unit_fin"),
            models.Index(fields=["procedure_id_key", "received_day"], name="ioc_state_proc_recv"),
            models.Index(fields=["overdue_day", "dossier"], name="ioc_state_open_overdue",
                         condition=models.Q(finished_day__isnull=True)),
        ]


class NotificationKind(models.TextChoices):
    NEAR_DUE = "near_due", "Hồ sơ sắp đến hạn"
    OVERDUE = "overdue", "Hồ sơ quá hạn"
    INDICATOR_LOW = "indicator_low", "Chỉ số dưới ngưỡng"
    PETITION_OVERDUE = "petition_overdue", "Phản ánh, kiến nghị quá hạn"


class Notification(models.Model):
    """An in-app notification (also e-mailed). ``key`` names the event it announces, so the
    unique constraint makes a periodic scan idempotent: one notification per event and user."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="ioc_notifications")
    kind = models.CharField("loại", max_length=20, choices=NotificationKind.choices)
    key = models.CharField("sự kiện", max_length=200)
    title = models.CharField("tiêu đề", max_length=300)
    body = models.TextField("nội dung", blank=True)
    url = models.CharField("liên kết", max_length=300, blank=True)
    dossier = models.ForeignKey("dossiers.Dossier", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("units.Agency", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("thời điểm", auto_now_add=True)
    read_at = models.DateTimeField("đã đọc lúc", null=True, blank=True)
    emailed_at = models.DateTimeField("đã gửi thư lúc", null=True, blank=True)
    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "key"],
                                    name="ioc_notification_once"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"],
                                name="ioc_notification_inbox")]

    def __str__(self) -> str:
        return self.title
