"""Dossier events told in plain words for the applicant (no internal notes of officials)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tinhso.dossiers.models import Action, DossierEvent, Status

# Actions whose note the applicant must read (the law asks for a reason they can act on).
PUBLIC_NOTE = {Action.REFUSE, Action.REQUEST_SUPPLEMENT, Action.STOP, Action.APOLOGIZE,
               Action.WITHDRAW}
# Internal hand-overs between officials: shown once as "being processed".
INTERNAL = {Action.ASSIGN, Action.FORWARD, Action.RETURN_TO_STEP}


@dataclass
class PlainEvent:
    at: datetime
    text: str
    note: str


def _date(value: datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "d/m/Y H:i")


def describe(event: DossierEvent) -> str:
    action = event.action
    due = _date(event.due_at)
    texts: dict[str, str] = {
        Action.SUBMIT: _("Hồ sơ đã được nộp trực tuyến."),
        Action.CREATE_DIRECT: _("Hồ sơ đã được tiếp nhận tại bộ phận một cửa."),
        Action.RECEIVE: _("Cơ quan đã tiếp nhận hồ sơ. Ngày hẹn trả kết quả: %(due)s.")
        % {"due": due} if due else _("Cơ quan đã tiếp nhận hồ sơ."),
        Action.REFUSE: _("Cơ quan không tiếp nhận hồ sơ."),
        Action.REQUEST_SUPPLEMENT: _("Cơ quan đề nghị bổ sung, hoàn thiện hồ sơ."),
        Action.SUPPLEMENT: _("Hồ sơ đã được bổ sung."),
        Action.REQUEST_PAYMENT: _("Cơ quan đề nghị nộp phí, lệ phí."),
        Action.PAY: _("Đã nộp phí, lệ phí."),
        Action.APPROVE: _("Hồ sơ đã giải quyết xong, đang chờ trả kết quả."),
        Action.RETURN_RESULT: _("Đã trả kết quả."),
        Action.WITHDRAW: _("Hồ sơ đã được rút theo yêu cầu của người nộp."),
        Action.STOP: _("Cơ quan dừng xử lý hồ sơ."),
        Action.APOLOGIZE: _("Cơ quan xin lỗi vì giải quyết chậm. Ngày hẹn trả mới: %(due)s.")
        % {"due": due},
        Action.RATE: _("Người nộp đã đánh giá việc giải quyết hồ sơ."),
    }
    if action in texts:
        return str(texts[action])
    if action in INTERNAL:
        return _("Hồ sơ đang được xử lý.")
    return _("Cập nhật trạng thái: %(status)s.") % {"status": Status(event.to_status).label}


def plain_timeline(events: list[DossierEvent]) -> list[PlainEvent]:
    """One line per meaningful step; consecutive internal hand-overs collapse into one."""
    result: list[PlainEvent] = []
    previous_internal = False
    for event in events:
        internal = event.action in INTERNAL
        if internal and previous_internal:
            continue
        previous_internal = internal
        note = event.note if event.action in PUBLIC_NOTE else ""
        result.append(PlainEvent(at=event.at, text=describe(event), note=note))
    return result
