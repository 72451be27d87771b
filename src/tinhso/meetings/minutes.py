"""The minutes of a meeting (biên bản họp): composed by the secretary after the meeting is
closed, rendered as PDF (reportlab, Be Vietnam Pro, NFC text), signed by the chair (PAdES with
the chair's personal certificate, through ``tinhso.signatures.signing``).

The PDF lists the meeting, the attendance (checked in or absent), each agenda item with its
opinions and its vote results, and the secretary's conclusions; the last page carries the
chair's and the secretary's blocks, and the chair's signature widget over the chair's block.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tinhso.core import blobs
from tinhso.core.errors import Conflict, DomainError, PermissionDenied
from tinhso.core.text import nfc
from tinhso.documents import render
from tinhso.meetings.models import Meeting, MeetingStatus, VoteChoice
from tinhso.meetings.services import MAX_MINUTES, _event, _lock, _publish, _text, vote_results

PAGE_W, PAGE_H = A4
# The chair's block and signature widget, bottom right of the last page (points).
CHAIR_BOX = (320, 60, 540, 150)
SECRETARY_BOX = (56, 60, 276, 150)
WIDGET_BOX = (330, 66, 530, 96)


def _styles() -> dict[str, ParagraphStyle]:
    render.register_fonts()
    base = ParagraphStyle("base", fontName=render.FONT, fontSize=11, leading=15)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontName=render.FONT_BOLD, fontSize=14,
                                leading=19, alignment=1, spaceAfter=6),
        "h": ParagraphStyle("h", parent=base, fontName=render.FONT_BOLD, spaceBefore=8),
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=12),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(nfc(text)).replace("\n", "<br/>"), style)


def _story(meeting: Meeting, number: str = "") -> list[Any]:
    s = _styles()
    local = timezone.localtime
    agency = meeting.agency.name.upper() + (f"\nSố: {number}" if number else "")
    story: list[Any] = [
        Table([[_p(agency, s["h"]),
                _p(f"{render.MOTTO_1}\n{render.MOTTO_2}", s["h"])]],
              colWidths=[230, 250]),
        Spacer(1, 10),
        _p("BIÊN BẢN CUỘC HỌP", s["title"]),
        _p(meeting.title, s["title"]),
        _p(f"Thời gian: {local(meeting.starts_at):%H giờ %M, ngày %d/%m/%Y} đến "
           f"{local(meeting.ends_at):%H giờ %M, ngày %d/%m/%Y}.", s["base"]),
        _p(f"Địa điểm: {meeting.place or '—'}. Họp trực tuyến: {meeting.video_url or '—'}",
           s["base"]),
        _p(f"Chủ trì: {meeting.chair}. Thư ký: {meeting.secretary}.", s["base"]),
        _p("Thành phần tham dự", s["h"]),
    ]
    rows = [["STT", "Họ và tên", "Vai trò", "Điểm danh"]]
    participants = list(meeting.participants.select_related("user").order_by("id"))
    for i, p in enumerate(participants, 1):
        seen = f"{local(p.checked_in_at):%H:%M}" if p.checked_in_at else "Vắng"
        rows.append([str(i), nfc(str(p.user)), p.get_role_display(), seen])
    table = Table([[_p(c, s["small"]) for c in row] for row in rows],
                  colWidths=[30, 230, 100, 100], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, "#777777"),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    present = sum(1 for p in participants if p.checked_in_at)
    story += [table, _p(f"Có mặt {present}/{len(participants)}.", s["base"]),
              _p("Nội dung cuộc họp", s["h"])]
    labels = dict(VoteChoice.choices)
    for item in meeting.items.order_by("position"):
        story.append(_p(f"{item.position}. {item.title}"
                        + (f" (trình bày: {item.presenter})" if item.presenter else ""), s["h"]))
        for opinion in item.opinions.select_related("author").order_by("created_at", "id"):
            story.append(_p(f"– {opinion.author}: {opinion.text}", s["base"]))
        if item.voting:
            counts = vote_results(item)
            story.append(_p("Kết quả biểu quyết: " + "; ".join(
                f"{labels[c]} {counts[c]}" for c in VoteChoice.values) + ".", s["base"]))
    story += [_p("Kết luận", s["h"]), _p(meeting.minutes_text or "—", s["base"])]
    return story


def _blocks(meeting: Meeting, verify_url: str = "") -> Any:
    def draw(canvas: Canvas, doc: Any) -> None:
        if verify_url and canvas.getPageNumber() == 1:
            # Below the secretary's block (which ends at y=60 on the last page).
            render.draw_qr(canvas, verify_url, SECRETARY_BOX[0], 12, size=42)
        if canvas.getPageNumber() != doc._tinhso_pages:
            return
        for box, title, name in ((SECRETARY_BOX, "THƯ KÝ", str(meeting.secretary)),
                                 (CHAIR_BOX, "CHỦ TRÌ CUỘC HỌP", str(meeting.chair))):
            x1, y1, x2, y2 = box
            canvas.setFont(render.FONT_BOLD, 11)
            canvas.drawCentredString((x1 + x2) / 2, y2 - 12, title)
            canvas.setFont(render.FONT, 10)
            canvas.drawCentredString((x1 + x2) / 2, y1 + 40, nfc(name))

    return draw


def minutes_pdf(meeting: Meeting, *, number: str = "", verify_url: str = "") -> bytes:
    """Render twice: the first pass counts the pages, the second draws the signature blocks on
    the last one. At signing, ``number`` (số, ký hiệu) and the QR code's ``verify_url`` are
    printed too."""
    pages = 0
    for _ in range(2):
        out = BytesIO()
        doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=15 * mm,
                                topMargin=20 * mm, bottomMargin=CHAIR_BOX[3] + 10,
                                title=nfc(f"Biên bản: {meeting.title}"),
                                author=nfc(meeting.agency.name))
        doc._tinhso_pages = pages  # type: ignore[attr-defined]
        draw = _blocks(meeting, verify_url)
        doc.build(_story(meeting, number), onFirstPage=draw, onLaterPages=draw)
        pages = render.page_count(out.getvalue())
    return out.getvalue()


@transaction.atomic
def minutes_generate(*, acting_user: Any, meeting: Meeting, text: str) -> Meeting:
    """The secretary writes the conclusions; the PDF is (re)generated until the chair signs."""
    meeting = _lock(meeting)
    if getattr(acting_user, "pk", None) != meeting.secretary_id:
        raise PermissionDenied({"need": "secretary"})
    if meeting.status != MeetingStatus.CLOSED:
        raise Conflict("MEETING_NOT_CLOSED", "Chỉ lập biên bản sau khi kết thúc cuộc họp.",
                       "Minutes are written after the meeting is closed.",
                       {"status": meeting.status})
    if meeting.minutes_signed_at is not None:
        raise Conflict("MINUTES_SIGNED", "Biên bản đã được ký, không sửa được nữa.",
                       "The minutes are signed and can no longer change.", {})
    meeting.minutes_text = _text(text, "text", MAX_MINUTES)
    blob = blobs.put(minutes_pdf(meeting), area="meetings", suffix=".pdf")
    at = timezone.now()
    meeting.minutes_file, meeting.minutes_sha256, meeting.minutes_size = (
        blob.name, blob.sha256, blob.size)
    meeting.minutes_generated_at = at
    meeting.save(update_fields=["minutes_text", "minutes_file", "minutes_sha256",
                                "minutes_size", "minutes_generated_at"])
    _event(meeting, "minutes_generate", actor=acting_user, at=at, data={"sha256": blob.sha256})
    return meeting


@transaction.atomic
def minutes_sign(*, acting_user: Any, meeting: Meeting) -> Meeting:
    """The chair signs the minutes with their personal certificate (PAdES B-LT). In the same
    transaction the minutes take the next ``BB`` number of the agency's outgoing register and a
    verification id, are rendered once more with both (the number and the QR code must be in
    what is signed) and are filed as an issued document (``correspondence.issued``): a failed
    signature gives the number back."""
    from tinhso.correspondence import issued
    from tinhso.signatures import signing
    from tinhso.signatures.selectors import usable_certificate

    meeting = _lock(meeting)
    if getattr(acting_user, "pk", None) != meeting.chair_id:
        raise PermissionDenied({"need": "chair"})
    if not meeting.minutes_file:
        raise Conflict("MINUTES_MISSING", "Thư ký chưa lập biên bản.",
                       "The secretary has not written the minutes yet.", {})
    if meeting.minutes_signed_at is not None:
        raise Conflict("MINUTES_SIGNED", "Biên bản đã được ký.", "Already signed.", {})
    certificate = usable_certificate(holder_user=acting_user)
    if certificate is None:
        raise DomainError("CHAIR_CERTIFICATE_MISSING",
                          "Người chủ trì chưa có chứng thư số cá nhân còn hiệu lực.",
                          "The chair has no valid personal certificate.", status=409)
    reserved = issued.reserve(agency=meeting.agency)
    pdf = minutes_pdf(meeting, number=reserved.notation, verify_url=reserved.verify_url)
    signed = signing.sign_with(
        pdf, certificate, field_name="ChuTri", reason=nfc("Ký biên bản cuộc họp"),
        location=nfc(meeting.place or meeting.agency.name),
        placement=signing.StampPlacement(page=render.page_count(pdf) - 1, box=WIDGET_BOX))
    blob = blobs.put(signed, area="meetings", suffix=".pdf")
    at = timezone.now()
    outgoing = issued.register(reserved=reserved, pdf=signed, acting_user=acting_user,
                               subject=f"Biên bản cuộc họp: {meeting.title}",
                               certificates=[certificate], signer_title="Chủ trì cuộc họp",
                               signed_at=at)
    meeting.minutes_file, meeting.minutes_sha256, meeting.minutes_size = (
        blob.name, blob.sha256, blob.size)
    meeting.minutes_signed_at = at
    meeting.save(update_fields=["minutes_file", "minutes_sha256", "minutes_size",
                                "minutes_signed_at"])
    registered = {"notation": outgoing.notation, "document_uuid": str(outgoing.uuid),
                  "verify_url": reserved.verify_url}
    _event(meeting, "minutes_sign", actor=acting_user, at=at,
           data={"sha256": blob.sha256, "certificate": certificate.serial, **registered})
    _publish("minutes.signed", meeting, actor=acting_user, at=at,
             extra={"sha256": blob.sha256, "signer": certificate.common_name, **registered})
    return meeting
