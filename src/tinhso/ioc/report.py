"""Printable monthly report (PDF) of the 766 index of a unit, with its groups, indicators,
the ranking of the units or agencies under it and the plain figures. reportlab + Be Vietnam Pro;
all text NFC."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tinhso.core.text import nfc

FONT = "IocBeVietnamPro"
FONT_BOLD = "IocBeVietnamPro-Bold"
_registered = False


def _fonts() -> None:
    global _registered
    if _registered:
        return
    from fontpkg_be_vietnam_pro import ROOT

    files = ROOT / "files"
    pdfmetrics.registerFont(TTFont(FONT, str(files / "BeVietnamPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(files / "BeVietnamPro-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                  boldItalic=FONT_BOLD)
    _registered = True


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")
    return f"{value:,}".replace(",", ".")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %".replace(".", ",")


def monthly_report_pdf(*, scope_label: str, month: dt.date, document: dict[str, Any],
                       figures: dict[str, Any], ranking_rows: list[dict[str, Any]],
                       ranking_title: str) -> bytes:
    _fonts()
    styles = {
        "title": ParagraphStyle("t", fontName=FONT_BOLD, fontSize=14, leading=18,
                                alignment=1, spaceAfter=4),
        "sub": ParagraphStyle("s", fontName=FONT, fontSize=10, leading=13, alignment=1),
        "h": ParagraphStyle("h", fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8,
                            spaceAfter=4),
        "p": ParagraphStyle("p", fontName=FONT, fontSize=9, leading=12),
        "cell": ParagraphStyle("c", fontName=FONT, fontSize=8, leading=10),
    }

    def P(text: str, style: str = "p") -> Paragraph:  # noqa: N802
        return Paragraph(nfc(text), styles[style])

    def table(rows: list[list[Any]], widths: list[float]) -> Table:
        data = [[P(str(c), "cell") if isinstance(c, str) else c for c in row] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8c8c8c")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return t

    story: list[Any] = [
        P("BÁO CÁO CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP", "title"),
        P("trong thực hiện thủ tục hành chính, dịch vụ công (Quyết định 766/QĐ-TTg)", "sub"),
        P(f"{scope_label} — tháng {month:%m/%Y} (số liệu đến hết ngày "
          f"{dt.date.fromisoformat(document['to']):%d/%m/%Y})", "sub"),
        Spacer(1, 6 * mm),
        P(f"<b>Tổng điểm: {_num(document['score'])} / {_num(document['max'])}</b> "
          "(thang 100 điểm của Cổng Dịch vụ công quốc gia; chỉ số chưa có dữ liệu được 0 "
          f"điểm). Phần có dữ liệu: {_num(document['covered_score'])} / "
          f"{_num(document['covered_max'])} điểm.", "p"),
        P("Tổng hợp", "h"),
    ]
    story.append(table([
        ["Hồ sơ tiếp nhận", "Nộp trực tuyến", "Giải quyết xong", "Đúng hạn", "Quá hạn",
         "Đang giải quyết", "Thanh toán trực tuyến"],
        [_num(figures["received"]), _pct(figures["online_rate"]), _num(figures["finished"]),
         _pct(figures["on_time_rate"]), _num(figures["overdue"]),
         _num(figures["open_total"]), _num(figures["paid_online"])],
    ], [25 * mm] * 7))
    story.append(P("Điểm theo nhóm chỉ số", "h"))
    story.append(table(
        [["Nhóm", "Điểm", "Tối đa", "Tối đa có dữ liệu"]]
        + [[g["name_vi"], _num(g["score"]), _num(g["max"]), _num(g["covered_max"])]
           for g in document["groups"]],
        [90 * mm, 25 * mm, 25 * mm, 35 * mm]))
    story.append(P("Chi tiết chỉ số", "h"))
    rows = [["Mã", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Điểm", "Tối đa"]]
    for g in document["groups"]:
        for i in g["indicators"]:
            rows.append([i["code"], i["name_vi"], _num(i["numerator"]), _num(i["denominator"]),
                         _pct(i["ratio"]), _num(i["score"]), _num(i["max"])])
    story.append(table(rows, [38 * mm, 62 * mm, 16 * mm, 16 * mm, 18 * mm, 14 * mm, 14 * mm]))
    story.append(P("«—»: chưa có dữ liệu (nguồn dữ liệu chưa kết nối) hoặc không phát sinh "
                   "trong kỳ; các chỉ số này được 0 điểm trên thang 100 điểm (so sánh được "
                   "với Cổng Dịch vụ công quốc gia).", "p"))
    if ranking_rows:
        story.append(P(ranking_title, "h"))
        story.append(table(
            [["#", "Đơn vị", "Điểm", "Tối đa", "Tiếp nhận", "Đúng hạn", "Trực tuyến",
              "Quá hạn"]]
            + [[str(n), r["name"], _num(r["score"]), _num(r["max"]), _num(r["received"]),
                _pct(r["on_time_rate"]), _pct(r["online_rate"]), _num(r["overdue"])]
               for n, r in enumerate(ranking_rows, start=1)],
            [8 * mm, 62 * mm, 16 * mm, 16 * mm, 18 * mm, 20 * mm, 20 * mm, 16 * mm]))
    story.append(Spacer(1, 4 * mm))
    story.append(P(f"Lập lúc {timezone.localtime():%H:%M ngày %d/%m/%Y} từ dữ liệu của "
                   "hệ thống tỉnh số.", "p"))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm,
                            title=nfc(f"Chỉ số 766 — {scope_label} — {month:%m/%Y}"),
                            author="tỉnh số")
    doc.build(story)
    return buffer.getvalue()
