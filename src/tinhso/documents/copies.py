"""E-certified copies: the scan of the original becomes a PDF with a certification page.

A PDF scan is kept byte for byte; the certification page (lời chứng, number, book, date,
officer, stamps, QR code) is rendered with reportlab and appended to it as a new page with
pyhanko's writer. An image scan (JPEG/PNG) becomes one A4 page per image first.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

import filetype
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter, PageObject, copy_into_new_writer
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from tinhso.core.errors import ValidationFailed
from tinhso.core.text import nfc
from tinhso.documents import render
from tinhso.dossiers import upload_content
from tinhso.signatures.conf import max_upload_bytes

CERTIFICATION_TEXT = "Chứng thực bản sao đúng với bản chính"
SCAN = "scan"  # the "component" named in an upload error's details


def scan_to_pdf(data: bytes, *, name: str = "scan") -> bytes:
    """Return the scan as PDF, checking its type by content (PDF, JPEG or PNG).

    The scan then goes through the checks of a dossier's attachments (``upload_content``):
    a PDF with active content (FILE_ACTIVE_CONTENT), a file that is also HTML
    (FILE_POLYGLOT) or an image claiming absurd dimensions (FILE_IMAGE_TOO_LARGE) is refused
    before anything is rendered, signed or stored. ``name`` is the uploaded file's, for the
    message."""
    if len(data) > max_upload_bytes():
        raise ValidationFailed("FILE_TOO_LARGE", "Tệp quá lớn.", "The file is too large.",
                               {"max_bytes": max_upload_bytes()})
    kind = filetype.guess(data)
    mime = kind.mime if kind else ""
    if mime == "application/pdf" or b"%PDF-" in data[:1024]:
        upload_content.inspect(data, "application/pdf", name=name, component=SCAN)
        try:
            render.page_count(data)
        except Exception:  # noqa: BLE001 - any parser failure means an unusable scan
            raise ValidationFailed("PDF_UNREADABLE", "Không đọc được tệp PDF.",
                                   "The PDF could not be read.") from None
        return data
    if mime not in ("image/jpeg", "image/png"):
        raise ValidationFailed("SCAN_TYPE_INVALID", "Bản chụp phải là PDF, JPEG hoặc PNG.",
                               "The scan must be a PDF, JPEG or PNG file.", {"detected": mime})
    # Dimensions are read from the header before the image is decoded (no decompression bomb).
    upload_content.inspect(data, mime, name=name, component=SCAN)
    try:
        image = ImageReader(BytesIO(data))
        width, height = image.getSize()
    except Exception:  # noqa: BLE001 - a broken image is bad input
        raise ValidationFailed("SCAN_UNREADABLE", "Không đọc được ảnh chụp.",
                               "The image could not be read.") from None
    buf = BytesIO()
    c = Canvas(buf, pagesize=A4)
    page_w, page_h = A4
    scale = min((page_w - 40) / width, (page_h - 40) / height)
    w, h = width * scale, height * scale
    c.drawImage(image, (page_w - w) / 2, (page_h - h) / 2, w, h)
    c.showPage()
    c.save()
    return buf.getvalue()


def _certification_page(*, agency: Any, officer_name: str, number: int, book: str,
                        when: dt.datetime, pages: int, applicant_name: str, description: str,
                        verify_url: str, stamps: list[render.StampSpec],
                        officer_position: str = "") -> bytes:
    render.register_fonts()
    buf = BytesIO()
    c = Canvas(buf, pagesize=A4)
    content = render.FormContent(
        agency_parent=agency.parent.name if agency.parent_id else "",
        agency=agency.name, place=agency.unit.name if agency.unit_id else "",
        title="Lời chứng", number="", issued_at=when, paragraphs=[], signer_title="",
        signer_name="", verify_url=verify_url,
    )
    y = render.draw_header(c, content) - 30
    c.setFont(render.FONT_BOLD, 15)
    c.drawCentredString(render.PAGE_W / 2, y, nfc(CERTIFICATION_TEXT.upper()))
    y -= 34
    d = render.local(when)
    lines = [
        f"Bản sao gồm {pages} trang, được chứng thực từ bản chính: {description}.",
        f"Người yêu cầu chứng thực: {applicant_name}.",
        f"Số chứng thực: <b>{number}</b> — Quyển số: <b>{book}</b>",
        f"Ngày {d.day:02d} tháng {d.month:02d} năm {d.year}",
        "Bản sao điện tử được chứng thực từ bản chính có giá trị sử dụng thay cho bản chính "
        "trong các giao dịch, trừ trường hợp pháp luật có quy định khác.",
    ]
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Frame, Paragraph

    style = ParagraphStyle("c", fontName=render.FONT, fontSize=11.5, leading=17, spaceAfter=4)
    story = [Paragraph(nfc(line), style) for line in lines]
    Frame(render.MARGIN, 260, render.PAGE_W - 2 * render.MARGIN, y - 260,
          leftPadding=0, rightPadding=0).addFromList(story, c)
    sx = render.PAGE_W - render.MARGIN - 130
    c.setFont(render.FONT_BOLD, 10.5)
    c.drawCentredString(sx, 235, "NGƯỜI THỰC HIỆN CHỨNG THỰC")
    c.setFont(render.FONT_ITALIC, 9.5)
    c.drawCentredString(sx, 221, "(Đã ký số)")
    if officer_position:
        # The competent signer's position (Decree 23/2015 art. 5), e.g. "Phó Chủ tịch …".
        c.setFont(render.FONT, 9.5)
        c.drawCentredString(sx, 154, nfc(officer_position))
    c.setFont(render.FONT_BOLD, 10.5)
    c.drawCentredString(sx, 140, nfc(officer_name))
    render.draw_qr(c, verify_url, render.MARGIN, 44)
    for stamp in stamps:
        render.draw_stamp(c, stamp)
    c.showPage()
    c.save()
    return buf.getvalue()


def _append_page(writer: BasePdfFileWriter, page_pdf: bytes) -> None:
    """Append page 0 of ``page_pdf`` to ``writer`` as a new last page (imported as XObject)."""
    other = PdfFileReader(BytesIO(page_pdf))
    xobject = writer.import_page_as_xobject(other, 0)
    resources = generic.DictionaryObject({
        generic.pdf_name("/XObject"): generic.DictionaryObject({
            generic.pdf_name("/LoiChung"): xobject,
        })
    })
    page = PageObject(
        contents=writer.add_object(generic.StreamObject(stream_data=b"q /LoiChung Do Q")),
        media_box=[0, 0, int(A4[0]), int(A4[1])], resources=resources,
    )
    writer.insert_page(page)


def add_certification_page(scan_pdf: bytes, **kwargs: Any) -> bytes:
    page = _certification_page(**kwargs)
    # A fresh writer (not an incremental update): the copy is a new document whose first
    # revision is what the officer certifies and signs.
    writer = copy_into_new_writer(PdfFileReader(BytesIO(scan_pdf), strict=False))
    _append_page(writer, page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
