"""Exports of the registers: CSV (UTF-8 with BOM, formula-safe), XLSX (openpyxl write-only)
and the register as a PDF table (sổ đăng ký văn bản đi / đến), with each row's retention.

Rows are read in keyset batches, so an export of a large register streams in constant memory;
one export stops at MAX_ROWS (narrow the dates for more).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from tinhso.core.text import nfc
from tinhso.correspondence import selectors
from tinhso.correspondence.doctypes import retain_until, retention_label, type_label

MAX_ROWS = 100_000
BATCH = 1000
OUT_HEADERS = ["Số, ký hiệu", "Ngày ban hành", "Loại", "Trích yếu", "Người ký", "Nơi nhận",
               "Trạng thái", "Thời hạn bảo quản", "Bảo quản đến năm"]
IN_HEADERS = ["Số đến", "Ngày đến", "Cơ quan gửi", "Số, ký hiệu", "Ngày văn bản", "Trích yếu",
              "Nguồn", "Đơn vị xử lý", "Hạn xử lý", "Trạng thái", "Thời hạn bảo quản"]


def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return value.strftime("%d/%m/%Y")


def outgoing_rows(user: Any, **filters: Any) -> Iterator[list[Any]]:
    cursor, seen = None, 0
    while seen < MAX_ROWS:
        page = selectors.outgoing_register(user, cursor=cursor, limit=BATCH, **filters)
        for d in page.items:
            until = retain_until(d.doc_type, d.year or 0)
            yield [d.notation, _day(d.promulgated_on), type_label(d.doc_type), d.subject,
                   d.signer.full_name if d.signer else "",
                   "; ".join(x.strip() for x in d.recipients_text.splitlines() if x.strip()),
                   d.get_state_display(), retention_label(d.doc_type),
                   "" if until is None else until]
        seen += len(page.items)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def incoming_rows(user: Any, **filters: Any) -> Iterator[list[Any]]:
    cursor, seen = None, 0
    while seen < MAX_ROWS:
        page = selectors.incoming_register(user, cursor=cursor, limit=BATCH, **filters)
        for d in page.items:
            yield [d.incoming_number, _day(d.received_at), d.sender_name, d.notation,
                   _day(d.promulgated_on), d.subject, d.get_source_display(),
                   d.handling_unit.name if d.handling_unit else "", _day(d.due_on),
                   d.get_state_display(), retention_label(d.doc_type) if d.doc_type else ""]
        seen += len(page.items)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a cell starting like a formula stays text (CSV injection)
    return value


def to_csv(headers: list[str], rows: Iterator[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(headers: list[str], rows: Iterator[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    bold = Font(bold=True)
    cells = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(headers: list[str], rows: Iterator[list[Any]], *, title: str,
           agency_name: str) -> bytes:
    """The register as a landscape A4 table, header row repeated on every page."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from tinhso.documents.render import FONT, FONT_BOLD, grid, register_fonts

    register_fonts()
    out = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(out, pagesize=page, leftMargin=30, rightMargin=30, topMargin=30,
                            bottomMargin=30, title=nfc(title), author=nfc(agency_name))
    head = ParagraphStyle("h", fontName=FONT_BOLD, fontSize=13, leading=17, alignment=1)
    sub = ParagraphStyle("s", fontName=FONT, fontSize=10, leading=13, alignment=1)
    data = [headers, *[[str(v) for v in row] for row in rows]]
    story = [Paragraph(nfc(agency_name.upper()), sub), Paragraph(nfc(title.upper()), head),
             Paragraph(nfc(f"In ngày {_day(timezone.localdate())}"), sub), Spacer(1, 10),
             grid(data, width=page[0] - 60, size=7.5)]
    doc.build(story)
    return out.getvalue()


def export(user: Any, *, register: str, fmt: str, **filters: Any) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a register export."""
    if register == "out":
        headers, rows, title = OUT_HEADERS, outgoing_rows(user, **filters), "Sổ văn bản đi"
    else:
        headers, rows, title = IN_HEADERS, incoming_rows(user, **filters), "Sổ văn bản đến"
    name = "so-van-ban-di" if register == "out" else "so-van-ban-den"
    if fmt == "xlsx":
        return (to_xlsx(headers, rows, title),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                f"{name}.xlsx")
    if fmt == "pdf":
        agency = getattr(getattr(user, "agency", None), "name", "") or ""
        return to_pdf(headers, rows, title=title, agency_name=agency), "application/pdf", \
            f"{name}.pdf"
    return to_csv(headers, rows), "text/csv; charset=utf-8", f"{name}.csv"
