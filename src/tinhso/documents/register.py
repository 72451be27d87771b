"""Form 07, the dossier register (Sổ theo dõi hồ sơ) of an agency over a period.

One line per dossier the agency received in the period, in reception order: code, procedure,
applicant, reception, appointment, end of processing, return, and whether it was done before,
on or after its legal appointment. Produced as a landscape PDF (reportlab, Be Vietnam Pro) or
an Excel workbook (openpyxl). The register is an internal book: it is not signed.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

from django.db.models import QuerySet
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from tinhso.accounts.permissions import can_act_on_agency
from tinhso.core.errors import NotFound, PermissionDenied, ValidationFailed
from tinhso.core.text import nfc
from tinhso.documents import control, render

HEADER = ["STT", "Mã hồ sơ", "Thủ tục hành chính", "Người nộp (cá nhân, tổ chức)",
          "Địa chỉ, số điện thoại", "Nhận hồ sơ", "Hẹn trả kết quả", "Hoàn thành xử lý",
          "Trả kết quả", "Trạng thái", "Kết quả", "Ghi chú"]
MAX_DAYS = 366
MAX_ROWS = 20_000  # a year of a busy commune; larger books are split by period


def parse_register_period(date_from: str | None, date_to: str | None
                          ) -> tuple[dt.date, dt.date]:
    try:
        start = dt.date.fromisoformat((date_from or "").strip())
        end = dt.date.fromisoformat((date_to or "").strip())
    except ValueError:
        start = end = None  # type: ignore[assignment]
    if start is None or end is None or end < start or (end - start).days >= MAX_DAYS:
        raise ValidationFailed(
            "INVALID_PERIOD",
            f"Kỳ không hợp lệ: cần from, to dạng YYYY-MM-DD, to không trước from, tối đa "
            f"{MAX_DAYS} ngày.",
            f"Invalid period: from and to as YYYY-MM-DD, to not before from, at most "
            f"{MAX_DAYS} days.", {"from": date_from, "to": date_to})
    return start, end


def register_agency(user: Any, code: str | None) -> Any:
    """The agency whose register ``user`` asks for: its own officials and province admins."""
    from tinhso.units.models import Agency

    agency = Agency.objects.select_related("parent", "unit").filter(code=code or "").first()
    if agency is None:
        raise NotFound("Không tìm thấy cơ quan.", "Agency not found.", {"agency": code})
    if not can_act_on_agency(user, agency.pk):
        # Officials of other agencies and applicants learn nothing about its dossiers.
        raise PermissionDenied({"agency": code})
    return agency


def register_dossiers(agency: Any, start: dt.date, end: dt.date) -> QuerySet[Any]:
    from tinhso.dossiers.models import Dossier
    from tinhso.ioc.profile import day_start

    return (Dossier.objects
            .filter(agency=agency, received_at__gte=day_start(start),
                    received_at__lt=day_start(end + dt.timedelta(days=1)))
            .select_related("procedure").order_by("received_at", "id"))


def _result(d: Any) -> str:
    return control.overall_vi(d)


def register_rows(agency: Any, start: dt.date, end: dt.date) -> list[list[Any]]:
    """The register's lines (without the header), datetimes as aware values."""
    rows: list[list[Any]] = []
    for n, d in enumerate(register_dossiers(agency, start, end)[:MAX_ROWS], start=1):
        notes = []
        if d.supplement_count:
            notes.append(f"Bổ sung {d.supplement_count} lần")
        if d.apology_count:
            notes.append(f"Xin lỗi, hẹn lại {d.apology_count} lần")
        contact = ", ".join(x for x in (d.applicant_address, d.applicant_phone) if x)
        rows.append([n, d.code, d.procedure.name, d.applicant_name, contact, d.received_at,
                     d.original_due_at or d.due_at, d.finished_at, d.returned_at,
                     d.get_status_display(), _result(d), "; ".join(notes)])
    return rows


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"{render.local(value):%d/%m/%Y %H:%M}"
    return "" if value is None else str(value)


def register_pdf(agency: Any, start: dt.date, end: dt.date, rows: list[list[Any]]) -> bytes:
    render.register_fonts()
    buf = BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(buf, pagesize=page, leftMargin=28, rightMargin=28, topMargin=30,
                            bottomMargin=30, title="Sổ theo dõi hồ sơ", author=nfc(agency.name))
    title = ParagraphStyle("t", fontName=render.FONT_BOLD, fontSize=14, leading=18,
                           alignment=1)
    sub = ParagraphStyle("s", fontName=render.FONT, fontSize=10, leading=14, alignment=1)
    width = page[0] - 56
    widths = [30, 140, 110, 90, 70, 62, 62, 62, 62, 60, 55, 66]
    scale = width / sum(widths)
    story: list[Any] = [
        Paragraph(nfc(agency.name.upper()), sub),
        Paragraph("SỔ THEO DÕI HỒ SƠ", title),
        Paragraph(f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y} — {len(rows)} hồ sơ", sub),
        Spacer(1, 8),
        render.grid([HEADER] + [[_text(v) for v in row] for row in rows],
                    [w * scale for w in widths], width=width, size=7),
    ]
    doc.build(story)
    return buf.getvalue()


def register_xlsx(agency: Any, start: dt.date, end: dt.date, rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from tinhso.ioc.exports import _cell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="So theo doi ho so")
    sheet.append([nfc(f"{agency.name} — Sổ theo dõi hồ sơ từ {start:%d/%m/%Y} "
                      f"đến {end:%d/%m/%Y}")])
    from openpyxl.cell import WriteOnlyCell

    header = []
    for h in HEADER:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    buf = BytesIO()
    book.save(buf)
    return buf.getvalue()
