"""Form 06, the processing control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ).

One row per step the dossier went through, in order: who handed it over, who received it,
when, the step's deadline, when it was done, and whether that was before, on or after the
deadline (the sheet's "trước hạn / đúng hạn / quá hạn" column). Below the table: the times the
clock was stopped for the applicant (supplements; financial obligations where the procedure
says so) and apologies with new appointments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tinhso.documents.render import datetime_vi, local

HEADER = ["Bước xử lý", "Bên giao", "Bên nhận", "Thời gian giao, nhận", "Hạn xử lý",
          "Hoàn thành", "Kết quả"]
COL_WIDTHS = [78.0, 70.0, 80.0, 64.0, 64.0, 64.0, 63.0]
ROLE_VI = {"receiver": "Bộ phận tiếp nhận", "specialist": "Chuyên viên xử lý",
           "leader": "Lãnh đạo", "clerk": "Văn thư"}


def timing_vi(finished: dt.datetime | None, due: dt.datetime | None) -> str:
    """Trước hạn (a day or more early) / Đúng hạn / Quá hạn / Đang xử lý."""
    if due is None:
        return "—" if finished is not None else "Đang xử lý"
    if finished is None:
        return "Đang xử lý"
    if finished > due:
        return "Quá hạn"
    return "Trước hạn" if local(finished).date() < local(due).date() else "Đúng hạn"


def _person(user: Any, role: str) -> str:
    if user is not None:
        return str(user.full_name or user.username)
    return ROLE_VI.get(role, role)


def control_rows(dossier: Any) -> list[list[str]]:
    rows = [HEADER]
    holder = f"Người nộp: {dossier.applicant_name}"
    for step in dossier.steps.select_related("assignee").order_by("started_at", "id"):
        receiver = f"{ROLE_VI.get(step.role, step.role)}: {_person(step.assignee, step.role)}" \
            if step.assignee_id else ROLE_VI.get(step.role, step.role)
        rows.append([step.name, holder, receiver, datetime_vi(step.started_at),
                     datetime_vi(step.due_at) if step.due_at else "—",
                     datetime_vi(step.finished_at) if step.finished_at else "—",
                     timing_vi(step.finished_at, step.due_at)])
        holder = receiver
    return rows


def control_notes(dossier: Any) -> list[str]:
    """The pauses and apologies of the dossier, one line each."""
    from tinhso.dossiers.models import Action

    notes: list[str] = []
    pause: tuple[dt.datetime, str] | None = None
    events = dossier.events.filter(action__in=[
        Action.REQUEST_SUPPLEMENT, Action.SUPPLEMENT, Action.REQUEST_PAYMENT, Action.PAY,
        Action.APOLOGIZE]).order_by("at", "id")
    for event in events:
        if event.action == Action.REQUEST_SUPPLEMENT:
            pause = (event.at, "chờ bổ sung hồ sơ")
        elif event.action == Action.REQUEST_PAYMENT and (event.data or {}).get("pauses_clock"):
            pause = (event.at, "chờ thực hiện nghĩa vụ tài chính")
        elif event.action in (Action.SUPPLEMENT, Action.PAY) and pause is not None:
            notes.append(f"Tạm dừng tính thời gian ({pause[1]}): {datetime_vi(pause[0])} – "
                         f"{datetime_vi(event.at)}.")
            pause = None
        elif event.action == Action.APOLOGIZE:
            new_due = (event.data or {}).get("new_due_at")
            when = datetime_vi(dt.datetime.fromisoformat(new_due)) if new_due else "—"
            notes.append(f"Xin lỗi và hẹn lại ngày trả kết quả (mẫu 04) lúc "
                         f"{datetime_vi(event.at)}; hẹn mới: {when}.")
    if pause is not None:
        notes.append(f"Đang tạm dừng tính thời gian ({pause[1]}) từ {datetime_vi(pause[0])}.")
    return notes


def overall_vi(dossier: Any) -> str:
    """The dossier against its legal appointment (supplement pauses shift it, apologies don't;
    more than one supplement request counts as late, as in the 766 index)."""
    if dossier.supplement_count >= 2:
        return "Quá hạn (yêu cầu bổ sung hồ sơ quá một lần)"
    return timing_vi(dossier.finished_at, dossier.original_due_at)
