"""Daily settlement per agency (bảng kê thu phí, lệ phí trong ngày).

What the agency collected by channel and gave back, what it owes the treasury (all fees and
charges collected, less refunds: fees go to the state budget through the treasury, Decree
11/2020/NĐ-CP), and what is still open: attempts pending at the gateway, refunds pending, bank
transfers waiting in the review queue. Read from the append-only money ledger, so a day's figures
never change once the day is over (a late event appears on the day it happened).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from tinhso.core.errors import PermissionDenied
from tinhso.core.numwords import bang_chu
from tinhso.documents import issue as doc_issue
from tinhso.documents.models import Document, DocumentForm
from tinhso.documents.render import FormContent
from tinhso.payments.models import (
    REVIEW_STATUSES,
    AttemptStatus,
    LedgerEntry,
    LedgerKind,
    PaymentAttempt,
    Refund,
    RefundStatus,
    StatementLine,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNEL_NAMES = {"vnpay": "VNPAY (trực tuyến)", "vietqr": "Chuyển khoản VietQR",
                 "counter": "Tại quầy", "online": "Trực tuyến (hệ thống cũ)",
                 "cash": "Tiền mặt", "card": "Thẻ", "transfer": "Chuyển khoản tại quầy"}
SETTLE_ROLES = ("receiver", "leader", "agency_admin", "province_admin")


@dataclass
class ChannelTotals:
    channel: str
    name: str
    collected_count: int = 0
    collected: int = 0
    refunded_count: int = 0
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.collected - self.refunded


@dataclass
class Settlement:
    agency_id: int
    agency_code: str
    agency_name: str
    day: dt.date
    channels: list[ChannelTotals] = field(default_factory=list)
    pending_attempts: tuple[int, int] = (0, 0)  # count, amount
    pending_refunds: tuple[int, int] = (0, 0)
    disputed: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def collected(self) -> int:
        return sum(c.collected for c in self.channels)

    @property
    def refunded(self) -> int:
        return sum(c.refunded for c in self.channels)

    @property
    def owed_to_treasury(self) -> int:
        return self.collected - self.refunded


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=VN)
    return start, start + dt.timedelta(days=1)


def require_settlement_access(user: Any, agency: Any) -> None:
    from tinhso.accounts.permissions import can_act_on_agency, is_active_official

    if not (is_active_official(user) and can_act_on_agency(user, agency.pk)
            and user.has_role(*SETTLE_ROLES)):
        raise PermissionDenied({"required_roles": list(SETTLE_ROLES)})


def settlement_for(*, agency: Any, day: dt.date) -> Settlement:
    start, end = day_bounds(day)
    result = Settlement(agency_id=agency.pk, agency_code=agency.code, agency_name=agency.name,
                        day=day)
    rows = (LedgerEntry.objects.filter(agency_id=agency.pk, at__gte=start, at__lt=end)
            .values("channel", "kind").annotate(n=Count("id"), total=Sum("amount"))
            .order_by("channel", "kind"))
    by_channel: dict[str, ChannelTotals] = {}
    for row in rows:
        totals = by_channel.setdefault(row["channel"], ChannelTotals(
            channel=row["channel"], name=CHANNEL_NAMES.get(row["channel"], row["channel"])))
        if row["kind"] == LedgerKind.COLLECTED:
            totals.collected_count, totals.collected = row["n"], int(row["total"] or 0)
        else:
            totals.refunded_count, totals.refunded = row["n"], -int(row["total"] or 0)
    result.channels = list(by_channel.values())
    pending = PaymentAttempt.objects.filter(
        payment__dossier__agency_id=agency.pk, status=AttemptStatus.PENDING,
        created_at__lt=end).aggregate(n=Count("id"), total=Sum("amount"))
    result.pending_attempts = (pending["n"], int(pending["total"] or 0))
    refunds = Refund.objects.filter(
        attempt__payment__dossier__agency_id=agency.pk, status=RefundStatus.PENDING,
        requested_at__lt=end).aggregate(n=Count("id"), total=Sum("amount"))
    result.pending_refunds = (refunds["n"], int(refunds["total"] or 0))
    disputed = (StatementLine.objects.filter(
        Q(agency_id=agency.pk), status__in=REVIEW_STATUSES, booked_at__lt=end)
        .values("status").annotate(n=Count("id"), total=Sum("amount")).order_by("status"))
    result.disputed = {row["status"]: (row["n"], int(row["total"] or 0)) for row in disputed}
    return result


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def settlement_csv(s: Settlement) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["Cơ quan", "Ngày", "Kênh", "Số khoản thu", "Số tiền thu", "Số khoản hoàn",
                     "Số tiền hoàn", "Còn lại"])
    for c in s.channels:
        writer.writerow([s.agency_code, s.day.isoformat(), c.name, c.collected_count,
                         c.collected, c.refunded_count, c.refunded, c.net])
    writer.writerow([s.agency_code, s.day.isoformat(), "Tổng cộng (nộp kho bạc)", "",
                     s.collected, "", s.refunded, s.owed_to_treasury])
    writer.writerow([s.agency_code, s.day.isoformat(), "Đang chờ cổng thanh toán",
                     s.pending_attempts[0], s.pending_attempts[1], "", "", ""])
    writer.writerow([s.agency_code, s.day.isoformat(), "Hoàn tiền đang chờ",
                     s.pending_refunds[0], s.pending_refunds[1], "", "", ""])
    for status, (n, total) in s.disputed.items():
        writer.writerow([s.agency_code, s.day.isoformat(), f"Sao kê cần xử lý: {status}", n,
                         total, "", "", ""])
    return out.getvalue()


def _content(s: Settlement, agency: Any, verify_url: str) -> FormContent:
    p: list[str] = [f"<b>Ngày thu:</b> {s.day.strftime('%d/%m/%Y')}"]
    for c in s.channels:
        p.append(f"&nbsp;&nbsp;– {escape(c.name)}: thu {c.collected_count} khoản, "
                 f"{vnd(c.collected)}; hoàn {c.refunded_count} khoản, {vnd(c.refunded)}.")
    if not s.channels:
        p.append("&nbsp;&nbsp;– Không có khoản thu nào trong ngày.")
    p.append(f"<b>Tổng số phải nộp kho bạc:</b> {vnd(s.owed_to_treasury)} "
             f"({escape(bang_chu(s.owed_to_treasury))}).")
    p.append(f"<b>Đang chờ cổng thanh toán:</b> {s.pending_attempts[0]} lượt, "
             f"{vnd(s.pending_attempts[1])}. <b>Hoàn tiền đang chờ:</b> "
             f"{s.pending_refunds[0]} lượt, {vnd(s.pending_refunds[1])}.")
    disputed = sum(n for n, _ in s.disputed.values())
    p.append(f"<b>Giao dịch sao kê cần xử lý:</b> {disputed} khoản, "
             f"{vnd(sum(t for _, t in s.disputed.values()))}.")
    return FormContent(
        agency_parent=agency.parent.name if agency.parent_id else "", agency=agency.name,
        place=agency.unit.name if agency.unit_id else "",
        title=DocumentForm.FEE_SETTLEMENT.label, number=s.day.strftime("%d%m%Y"),
        issued_at=timezone.now(), paragraphs=p, signer_title="Đơn vị thu",
        signer_name=agency.name, verify_url=verify_url,
        footer=f"Cơ quan: {agency.code} · Ngày {s.day.strftime('%d/%m/%Y')}")


@transaction.atomic
def settlement_issue_pdf(*, acting_user: Any, agency: Any, day: dt.date) -> Document:
    """The day's settlement as a PDF sealed with the agency's certificate (kept and verifiable).

    A day may be issued again (e.g. after a late refund): each issue is a new document."""
    require_settlement_access(acting_user, agency)
    s = settlement_for(agency=agency, day=day)
    doc_uuid = doc_issue.new_document_uuid()
    content = _content(s, agency, doc_issue.verify_url(doc_uuid))
    return doc_issue.document_issue_sealed(
        agency=agency, dossier=None, form=DocumentForm.FEE_SETTLEMENT, content=content,
        doc_uuid=doc_uuid, acting_user=acting_user, stamp_title="Đơn vị thu")
