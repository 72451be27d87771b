"""Vietnamese PDFs with reportlab and Be Vietnam Pro: the one-stop forms and the result.

Layout of every form: the issuing agency at top left, the national motto at top right, place
and date, a title, the body, the signer's block; at the bottom a QR code to the public
verification page and one visible signature stamp per signer. The stamp's Vietnamese text is
drawn here; the signature widget placed over its last line shows the signing time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from io import BytesIO
from xml.sax.saxutils import escape

import segno
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph, Table, TableStyle

from tinhso.core.text import nfc

FONT = "BeVietnamPro"
FONT_BOLD = "BeVietnamPro-Bold"
FONT_ITALIC = "BeVietnamPro-Italic"
MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
PAGE_W, PAGE_H = A4
MARGIN = 56
_registered = False


def register_fonts() -> None:
    """Register Be Vietnam Pro once per process (the TTFs ship in fontpkg-be-vietnam-pro)."""
    global _registered
    if _registered:
        return
    from fontpkg_be_vietnam_pro import ROOT

    files = ROOT / "files"
    pdfmetrics.registerFont(TTFont(FONT, str(files / "BeVietnamPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(files / "BeVietnamPro-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(files / "BeVietnamPro-Italic.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                  boldItalic=FONT_BOLD)
    _registered = True


def local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def date_line(place: str, when: dt.datetime) -> str:
    d = local(when)
    return nfc(f"{place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}")


def datetime_vi(value: dt.datetime | None) -> str:
    if value is None:
        return "…"
    d = local(value)
    return f"{d.hour:02d} giờ {d.minute:02d} phút, ngày {d.day:02d}/{d.month:02d}/{d.year}"


@dataclass(frozen=True)
class StampSpec:
    """A visible signature stamp: who signs and the box of its signature widget."""

    title: str          # "Người tiếp nhận", "Cơ quan"
    signer: str         # certificate common name
    organisation: str
    box: tuple[int, int, int, int]  # the stamp's rectangle (x1, y1, x2, y2), page points

    @property
    def widget_box(self) -> tuple[int, int, int, int]:
        """The last line of the stamp, where pyhanko prints the signing time."""
        x1, y1, x2, _ = self.box
        return (x1 + 64, y1 + 4, x2 - 4, y1 + 18)


def stamp_boxes(count: int, *, bottom: int = 40) -> list[tuple[int, int, int, int]]:
    """Up to two stamps side by side at the bottom right, clear of the QR code at left."""
    width, height, gap = 200, 74, 8
    right = int(PAGE_W) - MARGIN
    boxes = []
    for i in range(count):
        x2 = right - i * (width + gap)
        boxes.append((x2 - width, bottom, x2, bottom + height))
    return boxes


@dataclass
class FormContent:
    agency_parent: str
    agency: str
    place: str
    title: str
    number: str
    issued_at: dt.datetime
    paragraphs: list[str]
    signer_title: str
    signer_name: str
    verify_url: str
    stamps: list[StampSpec] = field(default_factory=list)
    footer: str = ""
    # An optional table after the paragraphs (form 06): header row first, plain text cells;
    # widths in points (None: equal columns over the text width).
    table: list[list[str]] | None = None
    col_widths: list[float] | None = None


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=15.5,
                          alignment=TA_JUSTIFY, spaceAfter=3)
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=13.5,
                                leading=18, alignment=TA_CENTER, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontName=FONT_ITALIC,
                                   alignment=TA_CENTER, spaceAfter=10),
    }


def _centered(c: Canvas, text: str, x: float, y: float, font: str, size: float) -> float:
    c.setFont(font, size)
    c.drawCentredString(x, y, nfc(text))
    return pdfmetrics.stringWidth(nfc(text), font, size)


def draw_header(c: Canvas, content: FormContent) -> float:
    """Agency at left, national motto at right; returns the y below the header."""
    left_x, right_x, top = MARGIN + 95, PAGE_W - MARGIN - 130, PAGE_H - 52
    y = top
    if content.agency_parent:
        _centered(c, content.agency_parent.upper(), left_x, y, FONT, 10)
        y -= 14
    width = _centered(c, content.agency.upper()[:48], left_x, y, FONT_BOLD, 10)
    c.setLineWidth(0.6)
    c.line(left_x - min(width, 120) / 2, y - 4, left_x + min(width, 120) / 2, y - 4)
    if content.number:
        _centered(c, f"Số: {content.number}", left_x, y - 20, FONT, 10)
    width = _centered(c, MOTTO_1, right_x, top, FONT_BOLD, 10.5)
    width = _centered(c, MOTTO_2, right_x, top - 15, FONT_BOLD, 11)
    c.line(right_x - width / 2, top - 19, right_x + width / 2, top - 19)
    c.setFont(FONT_ITALIC, 10.5)
    c.drawCentredString(right_x, top - 38, date_line(content.place, content.issued_at))
    return min(y - 34, top - 56)


def draw_qr(c: Canvas, url: str, x: float, y: float, size: float = 74) -> None:
    """QR code as vector squares (no raster image, stays sharp when printed)."""
    qr = segno.make(url, error="m")
    matrix = list(qr.matrix)
    n = len(matrix)
    cell = size / n
    c.setFillColor(colors.black)
    for row_index, row in enumerate(matrix):
        for col_index, value in enumerate(row):
            if value:
                c.rect(x + col_index * cell, y + size - (row_index + 1) * cell, cell, cell,
                       stroke=0, fill=1)
    c.setFont(FONT, 7)
    c.drawString(x, y - 9, "Quét mã để xác minh văn bản")


def draw_stamp(c: Canvas, stamp: StampSpec) -> None:
    x1, y1, x2, y2 = stamp.box
    red = colors.Color(0.78, 0.1, 0.1)
    c.saveState()
    c.setStrokeColor(red)
    c.setFillColor(red)
    c.setLineWidth(1.2)
    c.roundRect(x1, y1, x2 - x1, y2 - y1, 4, stroke=1, fill=0)
    c.setFont(FONT_BOLD, 8.5)
    c.drawString(x1 + 6, y2 - 13, nfc(f"ĐÃ KÝ SỐ — {stamp.title}".upper()[:40]))
    c.setFont(FONT, 7.5)
    c.drawString(x1 + 6, y2 - 27, nfc(f"Ký bởi: {stamp.signer}")[:52])
    c.drawString(x1 + 6, y2 - 40, nfc(f"Cơ quan: {stamp.organisation}")[:52])
    c.drawString(x1 + 6, y1 + 8, "Thời gian ký:")
    c.restoreState()


def render_form(content: FormContent) -> bytes:
    register_fonts()
    styles = _styles()
    buf = BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=False)
    c.setTitle(nfc(content.title))
    c.setAuthor(nfc(content.agency))
    c.setSubject(nfc(content.title))
    c.setCreator("tinhso")
    y = draw_header(c, content)
    story = [Paragraph(escape(nfc(content.title.upper())), styles["title"])]
    if content.footer:
        story.append(Paragraph(escape(nfc(content.footer)), styles["subtitle"]))
    else:
        story.append(Paragraph("&nbsp;", styles["subtitle"]))
    for text in content.paragraphs:
        # Paragraph markup: callers give plain text; <b> is added by the form builders.
        story.append(Paragraph(nfc(text), styles["body"]))
    if content.table:
        story.append(grid(content.table, content.col_widths))
    # Body frame stops above the signer block, QR code and stamps at the bottom of the page.
    frame = Frame(MARGIN, 250, PAGE_W - 2 * MARGIN, y - 250, showBoundary=0,
                  leftPadding=0, rightPadding=0)
    frame.addFromList(story, c)
    if story:  # what did not fit continues on a plain page (rare: long supplement lists)
        while story:
            c.showPage()
            frame = Frame(MARGIN, 250, PAGE_W - 2 * MARGIN, PAGE_H - 2 * MARGIN - 200,
                          leftPadding=0, rightPadding=0)
            frame.addFromList(story, c)
    sx = PAGE_W - MARGIN - 130
    _centered(c, content.signer_title.upper(), sx, 225, FONT_BOLD, 10.5)
    _centered(c, "(Đã ký số)", sx, 211, FONT_ITALIC, 9.5)
    _centered(c, content.signer_name, sx, 140, FONT_BOLD, 10.5)
    draw_qr(c, content.verify_url, MARGIN, 44)
    for stamp in content.stamps:
        draw_stamp(c, stamp)
    c.showPage()
    c.save()
    return buf.getvalue()


def grid(rows: list[list[str]], widths: list[float] | None = None,
         width: float = PAGE_W - 2 * MARGIN, size: float = 8.5) -> Table:
    """A bordered table of wrapped Vietnamese text; the header row bold and repeated."""
    register_fonts()
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=size, leading=size * 1.3)
    head = ParagraphStyle("head", parent=cell, fontName=FONT_BOLD, alignment=TA_CENTER)
    data = [[Paragraph(escape(nfc(str(v))), head if i == 0 else cell) for v in row]
            for i, row in enumerate(rows)]
    n = max(len(r) for r in rows)
    table = Table(data, colWidths=widths or [width / n] * n, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def page_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
