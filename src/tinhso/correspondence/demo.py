"""Demo correspondence of the Bình Phước demo (``tinhso demo``): the Department of Justice's
registers — incoming documents from ministries and the province (some assigned, some overdue),
outgoing documents already issued, and drafts waiting in the approval chain so the demo
leader (stp.lanhdao) has something to approve and sign. Idempotent.

Issued demo documents carry numbers and dates but no signed PDF (the demo does not sign on
load: the PKI may not exist yet); documents signed through the pages get real signatures.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from tinhso.core.text import fold
from tinhso.correspondence.doctypes import DocType, notation
from tinhso.correspondence.models import (
    AgencyProfile,
    IncomingDocument,
    InState,
    OrgUnit,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingVersion,
    OutState,
    Register,
)
from tinhso.correspondence.numbering import next_number

SENDERS = [("000.00.00.G12", "Bộ Tư pháp"), ("000.00.00.G09", "Bộ Nội vụ"),
           ("000.00.00.H10", "Ủy ban nhân dân tỉnh Bình Phước"),
           ("000.00.00.G02", "Văn phòng Chính phủ"), ("000.00.13.H10", "Sở Nội vụ")]
SUBJECTS = [
    "Về việc triển khai Luật Hộ tịch sửa đổi", "Về tăng cường kỷ luật, kỷ cương hành chính",
    "Về kế hoạch chuyển đổi số năm 2027", "Về việc báo cáo công tác tư pháp quý IV",
    "Về đẩy mạnh thanh toán trực tuyến dịch vụ công", "Về tổ chức Ngày Pháp luật Việt Nam",
    "Về rà soát thủ tục hành chính lĩnh vực chứng thực", "Về việc đôn đốc giải ngân vốn đầu tư",
    "Về phòng, chống thiên tai mùa mưa bão", "Về việc cung cấp thông tin lý lịch tư pháp",
    "Về triển khai Đề án 06 trên địa bàn tỉnh", "Về công tác phổ biến, giáo dục pháp luật",
]


def _agency(code: str):  # noqa: ANN202 - demo helper
    from tinhso.units.models import Agency

    return Agency.objects.filter(code=code).first()


@transaction.atomic
def load_correspondence_demo(seed: int = 2019) -> int:
    """Returns how many documents were created (0 when already loaded)."""
    from tinhso.accounts.models import User
    from tinhso.units.demo import JUSTICE_CODE, PROVINCE_COMMITTEE_CODE

    justice = _agency(JUSTICE_CODE)
    committee = _agency(PROVINCE_COMMITTEE_CODE)
    if justice is None or OutgoingDocument.objects.filter(agency=justice).exists():
        return 0
    rng = random.Random(seed)
    for agency, abbr in ((justice, "STP"), (committee, "UBND")):
        if agency is not None:
            AgencyProfile.objects.get_or_create(agency=agency, defaults={
                "abbreviation": abbr, "place_name": "Bình Phước"})
    people = {u.username: u for u in User.objects.filter(username__startswith="stp.")}
    specialist, leader = people.get("stp.chuyenvien"), people.get("stp.lanhdao")
    if specialist is None or leader is None:
        return 0
    office, _ = OrgUnit.objects.get_or_create(agency=justice, code="VP", defaults={
        "name": "Văn phòng Sở", "head": None})
    unit, _ = OrgUnit.objects.get_or_create(agency=justice, code="HCTP", defaults={
        "name": "Phòng Hành chính tư pháp", "head": None})
    unit.members.add(specialist)
    office.members.add(specialist)
    now = timezone.now()
    made = 0
    for i in range(24):
        code, sender = SENDERS[i % len(SENDERS)]
        received = now - dt.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 8))
        year = timezone.localtime(received).year
        number = rng.randint(10, 900)
        doc = IncomingDocument(
            agency=justice, year=year, received_at=received,
            source=("exchange", "email", "paper")[i % 3], sender_name=sender, sender_code=code,
            number=str(number), notation=f"{number}/{'CV' if i % 2 else 'KH'}-DEMO",
            doc_type="CV" if i % 2 else "KH", subject=SUBJECTS[i % len(SUBJECTS)],
            promulgated_on=timezone.localtime(received).date() - dt.timedelta(days=2),
            incoming_number=next_number(agency=justice, register=Register.INCOMING, year=year))
        if i % 4 != 0:
            doc.handling_unit = unit if i % 2 else office
            doc.handler = specialist if i % 3 else None
            doc.due_on = timezone.localtime(received).date() + dt.timedelta(days=14)
            doc.state = InState.COMPLETED if i % 5 == 0 else InState.ASSIGNED
        doc.search_text = fold(" ".join([str(doc.incoming_number), doc.notation, doc.subject,
                                         doc.sender_name, doc.sender_code]))
        doc.save()
        made += 1
    for i in range(12):
        doc_type = (DocType.QUYET_DINH, DocType.CONG_VAN, DocType.THONG_BAO,
                    DocType.KE_HOACH)[i % 4]
        day = (now - dt.timedelta(days=rng.randint(1, 90))).date()
        number = next_number(agency=justice, register=Register.OUTGOING, year=day.year,
                             doc_type=doc_type)
        sent = OutgoingDocument(
            agency=justice, unit=unit, doc_type=doc_type, state=OutState.RELEASED,
            subject=SUBJECTS[(i + 3) % len(SUBJECTS)], body="Nội dung văn bản mẫu.",
            recipients_text="UBND các huyện, thị xã, thành phố\nLưu: VT, HCTP", year=day.year,
            number=number, notation=notation(number, doc_type, "STP", "HCTP"),
            promulgated_on=day, signer=leader, signer_title="Giám đốc", author=specialist)
        sent.search_text = fold(" ".join([sent.notation, sent.subject, justice.name]))
        sent.save()
        OutgoingVersion.objects.create(document=sent, number=1, subject=sent.subject,
                                       body=sent.body, author=specialist)
        OutgoingEvent.objects.create(document=sent, actor=specialist, action="create",
                                     to_state=OutState.DRAFT, note="dữ liệu mẫu")
        made += 1
    for subject, state in (("Về việc ban hành kế hoạch kiểm tra công tác chứng thực năm 2027",
                            OutState.PENDING_LEADER),
                           ("Về việc hướng dẫn đăng ký khai sinh trực tuyến",
                            OutState.DRAFT)):
        draft = OutgoingDocument(agency=justice, unit=unit, doc_type=DocType.KE_HOACH
                               if "kế hoạch" in subject else DocType.CONG_VAN, state=state,
                               subject=subject, body="Căn cứ ...\nĐiều 1. ...",
                               recipients_text="Phòng Tư pháp các huyện", author=specialist)
        draft.search_text = fold(" ".join([draft.subject, justice.name]))
        draft.save()
        OutgoingVersion.objects.create(document=draft, number=1, subject=subject,
                                       body=draft.body, author=specialist)
        OutgoingEvent.objects.create(document=draft, actor=specialist, action="create",
                                     to_state=state, note="dữ liệu mẫu")
        made += 1
    return made
