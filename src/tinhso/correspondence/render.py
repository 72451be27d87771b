"""The PDF of an outgoing document, laid out after Decree 30/2020/NĐ-CP, Appendix I.

What is followed (docs/correspondence.md#the-pdf lists it with the Decree's items):
- A4 portrait; margins top 20 mm, bottom 20 mm, left 30 mm, right 15 mm.
- Top left: the governing agency (upper case, regular) and the issuing agency (upper case,
  bold) with a short rule under it; below, centred, "Số: 12/QĐ-UBND".
- Top right: the national name "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (upper case, bold) and the
  motto "Độc lập - Tự do - Hạnh phúc" (bold) with a rule as long as it; below it, in italics,
  place and date "Đồng Xoài, ngày 05 tháng 01 năm 2026" (days below 10 and the months 1 and 2
  with a leading zero).
- Named documents: the type in upper case bold, centred, the subject in bold under it;
  a letter (công văn): "V/v <subject>" under its number, at left.
- The body, justified; the signer block at right: the authority line ("TM. ỦY BAN NHÂN DÂN"),
  the title (upper case, bold), then the name (bold); "Nơi nhận:" (bold italic) at left with
  one recipient per line, the last "- Lưu: VT, <unit>.".
Deviation: the Decree asks for Times New Roman; the platform ships Be Vietnam Pro (no
system fonts), which covers the same Vietnamese letters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph

from tinhso.core.text import nfc
from tinhso.documents.render import (
    FONT,
    FONT_BOLD,
    FONT_ITALIC,
    MOTTO_1,
    MOTTO_2,
    StampSpec,
    _centered,
    draw_stamp,
    register_fonts,
)

PAGE_W, PAGE_H = A4
LEFT, RIGHT, TOP, BOTTOM = 30 * mm, 15 * mm, 20 * mm, 20 * mm


def date_line(place: str, day: dt.date) -> str:
    """Decree 30/2020 Appendix I: a leading zero for days below 10 and for months 1 and 2."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return nfc(f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}")


@dataclass
class OfficialContent:
    parent_name: str
    agency_name: str
    notation: str            # "12/QĐ-UBND"; empty on a draft
    place: str
    day: dt.date | None      # None on a draft
    type_name: str           # "Quyết định"; empty for a letter
    subject: str
    body: str
    authority: str           # "TM. ỦY BAN NHÂN DÂN" or ""
    signer_title: str        # "CHỦ TỊCH"
    signer_name: str
    recipients: list[str] = field(default_factory=list)
    keep: str = "VT"
    stamps: list[StampSpec] = field(default_factory=list)
    draft: bool = False


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("b", fontName=FONT, fontSize=12.5, leading=17, alignment=TA_JUSTIFY,
                          firstLineIndent=1 * 12.5, spaceAfter=5)
    return {
        "body": body,
        "type": ParagraphStyle("t", parent=body, fontName=FONT_BOLD, fontSize=13.5,
                               alignment=TA_CENTER, firstLineIndent=0, spaceAfter=0),
        "subject": ParagraphStyle("s", parent=body, fontName=FONT_BOLD, fontSize=12.5,
                                  alignment=TA_CENTER, firstLineIndent=0, spaceAfter=12),
        "vv": ParagraphStyle("v", parent=body, fontSize=11, leading=14, alignment=TA_CENTER,
                             firstLineIndent=0),
        "recip": ParagraphStyle("r", fontName=FONT, fontSize=9.5, leading=12,
                                alignment=TA_LEFT),
    }


def stamp_boxes() -> list[tuple[int, int, int, int]]:
    """The leader's stamp under the signer block, the agency seal's beside it."""
    right = int(PAGE_W - RIGHT)
    return [(right - 200, 60, right, 134), (right - 408, 60, right - 208, 134)]


def render_official(content: OfficialContent) -> bytes:
    register_fonts()
    st = _styles()
    buf = BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=False)
    title = content.notation or "Dự thảo"
    c.setTitle(nfc(f"{content.type_name or 'Công văn'} {title}"))
    c.setAuthor(nfc(content.agency_name))
    c.setSubject(nfc(content.subject))
    c.setCreator("tinhso")
    left_x = LEFT + 85
    right_x = PAGE_W - RIGHT - 125
    top = PAGE_H - TOP - 8
    y = top
    if content.parent_name:
        _centered(c, content.parent_name.upper()[:50], left_x, y, FONT, 10.5)
        y -= 14
    width = _centered(c, content.agency_name.upper()[:46], left_x, y, FONT_BOLD, 10.5)
    c.setLineWidth(0.6)
    rule = min(width, 150) / 2.5
    c.line(left_x - rule, y - 5, left_x + rule, y - 5)
    number = content.notation or "      /    "
    _centered(c, f"Số: {number}", left_x, y - 24, FONT, 11.5)
    _centered(c, MOTTO_1, right_x, top, FONT_BOLD, 10.5)
    width = _centered(c, MOTTO_2, right_x, top - 15, FONT_BOLD, 11.5)
    c.line(right_x - width / 2, top - 19, right_x + width / 2, top - 19)
    c.setFont(FONT_ITALIC, 11)
    when = date_line(content.place, content.day) if content.day else nfc(
        f"{content.place}, ngày     tháng     năm")
    c.drawCentredString(right_x, top - 40, when)
    y_body = min(y - 40, top - 60)
    story: list[Paragraph] = []
    if content.type_name:
        story.append(Paragraph(escape(nfc(content.type_name.upper())), st["type"]))
        story.append(Paragraph(escape(nfc(content.subject)), st["subject"]))
    else:
        # A letter: "V/v …" under the number, at left (Decree 30/2020 Appendix I, item II.5).
        frame = Frame(LEFT, y - 80, 170, 46, leftPadding=0, rightPadding=0, topPadding=0)
        frame.addFromList([Paragraph(escape(nfc(f"V/v {content.subject}")), st["vv"])], c)
        y_body = min(y_body, y - 90)
    for para in (content.body or "").split("\n"):
        if para.strip():
            story.append(Paragraph(escape(nfc(para.strip())), st["body"]))
    bottom_block = 250
    frame = Frame(LEFT, bottom_block, PAGE_W - LEFT - RIGHT, y_body - bottom_block,
                  leftPadding=0, rightPadding=0)
    frame.addFromList(story, c)
    while story:  # long bodies continue on following pages
        c.showPage()
        frame = Frame(LEFT, bottom_block, PAGE_W - LEFT - RIGHT,
                      PAGE_H - TOP - BOTTOM - bottom_block + BOTTOM, leftPadding=0,
                      rightPadding=0)
        frame.addFromList(story, c)
    sx = PAGE_W - RIGHT - 100
    yy = 232
    if content.authority:
        _centered(c, content.authority.upper(), sx, yy, FONT_BOLD, 11)
        yy -= 14
    _centered(c, content.signer_title.upper(), sx, yy, FONT_BOLD, 11)
    _centered(c, content.signer_name, sx, 145, FONT_BOLD, 11.5)
    c.setFont(FONT_BOLD, 10)
    c.drawString(LEFT, 232, nfc("Nơi nhận:"))
    lines = [f"- {r};" for r in content.recipients] + [f"- Lưu: {content.keep}."]
    recip_frame = Frame(LEFT, 140, 190, 86, leftPadding=0, rightPadding=0, topPadding=0)
    recip_frame.addFromList([Paragraph(escape(nfc(line)), st["recip"]) for line in lines[:7]],
                            c)
    if content.draft:
        c.saveState()
        c.setFont(FONT_BOLD, 9)
        c.drawString(LEFT, 40, nfc("DỰ THẢO — chưa ký, chưa có giá trị pháp lý"))
        c.restoreState()
    for stamp in content.stamps:
        draw_stamp(c, stamp)
    c.showPage()
    c.save()
    return buf.getvalue()
