"""The text of each form (01–04, result), built from the dossier and the caller's ``extra``.

``extra`` keys each form understands (all optional unless said):
- 01 receipt: ``components`` (list of str; default: the procedure's components),
  ``receiver_note``, ``result_delivery`` (where the result is returned).
- 02 supplement: ``items`` (list of str, required), ``reason``.
- 03 refusal: ``reason`` (required).
- 04 apology: ``reason`` (required), ``new_due_at`` (datetime or ISO string, required).
- 05 stop notice: ``reason`` (default: the note of the dossier's stop event).
- 06 control sheet: nothing; built from the dossier's steps and events (documents/control.py).
- result: ``title``, ``content`` (str or list of str), ``decision_number``.
- any form: ``number`` (the document's own number), ``place``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

from django.utils.dateparse import parse_datetime

from tinhso.core.errors import ValidationFailed
from tinhso.core.text import nfc
from tinhso.documents import control
from tinhso.documents.models import DocumentForm
from tinhso.documents.render import FormContent, datetime_vi

SIGNER_TITLES = {
    DocumentForm.RECEIPT: "Người tiếp nhận",
    DocumentForm.SUPPLEMENT: "Người tiếp nhận",
    DocumentForm.REFUSAL: "Người tiếp nhận",
    DocumentForm.APOLOGY: "Thủ trưởng cơ quan",
    DocumentForm.STOP: "Thủ trưởng cơ quan",
    DocumentForm.CONTROL: "Bộ phận tiếp nhận và trả kết quả",
    DocumentForm.RESULT: "Thủ trưởng cơ quan",
}


def _b(label: str, value: Any) -> str:
    return f"<b>{escape(nfc(label))}</b> {escape(nfc(str(value)))}"


def _required(extra: dict[str, Any], key: str) -> Any:
    value = extra.get(key)
    if value in (None, "", []):
        raise ValidationFailed("DOCUMENT_FIELD_REQUIRED", f"Thiếu thông tin bắt buộc: {key}.",
                               f"Missing required field: {key}.", {"field": key})
    return value


def _as_datetime(value: Any, key: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    parsed = parse_datetime(str(value)) if value else None
    if parsed is None:
        raise ValidationFailed("DOCUMENT_FIELD_INVALID", f"Thời gian không hợp lệ: {key}.",
                               f"Invalid date-time: {key}.", {"field": key})
    return parsed


def _applicant_lines(dossier: Any) -> list[str]:
    lines = [_b("Ông/bà (tổ chức):", dossier.applicant_name)]
    if dossier.applicant_address:
        lines.append(_b("Địa chỉ:", dossier.applicant_address))
    contact = " · ".join(x for x in (dossier.applicant_phone, dossier.applicant_email) if x)
    if contact:
        lines.append(_b("Số điện thoại / thư điện tử:", contact))
    lines.append(_b("Nội dung yêu cầu giải quyết:", dossier.procedure.name))
    return lines


def _stop_reason(dossier: Any) -> str:
    from tinhso.dossiers.models import Action

    event = dossier.events.filter(action=Action.STOP).order_by("-at", "-id").first()
    return event.note if event else ""


def _components(dossier: Any, extra: dict[str, Any]) -> list[str]:
    given = extra.get("components")
    if given:
        return [nfc(str(x)) for x in given]
    return [c.name for c in dossier.procedure.components.all().order_by("order")]


def build(form: str, *, dossier: Any, agency: Any, officer_name: str, issued_at: dt.datetime,
          verify_url: str, extra: dict[str, Any]) -> FormContent:
    place = extra.get("place") or (agency.unit.name if agency.unit_id else "")
    desk = agency.one_stop_desk_name or f"Bộ phận tiếp nhận và trả kết quả — {agency.name}"
    paragraphs: list[str] = []
    footer = f"Mã hồ sơ: {dossier.code}"
    if form == DocumentForm.RECEIPT:
        paragraphs.append(f"{escape(nfc(desk))} tiếp nhận hồ sơ của:")
        paragraphs += _applicant_lines(dossier)
        paragraphs.append("<b>1. Thành phần hồ sơ nộp gồm:</b>")
        paragraphs += [f"&nbsp;&nbsp;– {escape(x)}" for x in _components(dossier, extra)]
        paragraphs.append(_b("2. Số lượng hồ sơ:", "01 bộ"))
        from tinhso.workdays.deadlines import DeadlineRule

        paragraphs.append(_b("3. Thời gian giải quyết hồ sơ theo quy định là:",
                             DeadlineRule.of(dossier.procedure).describe_vi()))
        paragraphs.append(_b("4. Thời gian nhận hồ sơ:", datetime_vi(dossier.received_at)))
        paragraphs.append(_b("5. Thời gian trả kết quả giải quyết hồ sơ:",
                             datetime_vi(dossier.due_at)))
        paragraphs.append(_b("6. Đăng ký nhận kết quả tại:",
                             extra.get("result_delivery") or desk))
        if extra.get("receiver_note"):
            paragraphs.append(_b("Ghi chú:", extra["receiver_note"]))
        paragraphs.append("Vào Sổ theo dõi hồ sơ, Quyển số: …… Số thứ tự: ……")
    elif form == DocumentForm.SUPPLEMENT:
        items = _required(extra, "items")
        paragraphs.append(f"{escape(nfc(desk))} đã tiếp nhận hồ sơ của:")
        paragraphs += _applicant_lines(dossier)
        paragraphs.append("<b>Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:</b>")
        paragraphs += [f"&nbsp;&nbsp;{i}. {escape(nfc(str(x)))}" for i, x in enumerate(items, 1)]
        if extra.get("reason"):
            paragraphs.append(_b("Lý do:", extra["reason"]))
        paragraphs.append("Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ "
                          "bộ phận tiếp nhận để được hướng dẫn.")
    elif form == DocumentForm.REFUSAL:
        reason = _required(extra, "reason")
        paragraphs.append(f"{escape(nfc(desk))} tiếp nhận hồ sơ của:")
        paragraphs += _applicant_lines(dossier)
        paragraphs.append("Sau khi xem xét, đối chiếu hồ sơ với quy định, cơ quan từ chối tiếp "
                          "nhận, giải quyết hồ sơ này với lý do cụ thể như sau:")
        paragraphs.append(escape(nfc(str(reason))))
        paragraphs.append("Xin thông báo để ông/bà (tổ chức) được biết và thực hiện.")
    elif form == DocumentForm.APOLOGY:
        reason = _required(extra, "reason")
        new_due = _as_datetime(_required(extra, "new_due_at"), "new_due_at")
        paragraphs.append(f"Ngày {datetime_vi(dossier.received_at)}, {escape(nfc(agency.name))} "
                          f"tiếp nhận hồ sơ của ông/bà (tổ chức) "
                          f"<b>{escape(nfc(dossier.applicant_name))}</b> đề nghị giải quyết thủ "
                          f"tục <b>{escape(nfc(dossier.procedure.name))}</b>.")
        original = dossier.original_due_at or dossier.due_at
        paragraphs.append(_b("Thời hạn trả kết quả đã hẹn:", datetime_vi(original)))
        paragraphs.append(_b("Lý do chậm trả kết quả:", reason))
        paragraphs.append(f"Sự chậm trễ này đã gây phiền hà cho ông/bà (tổ chức). "
                          f"{escape(nfc(agency.name))} thành thật xin lỗi và hẹn trả kết quả "
                          f"vào <b>{datetime_vi(new_due)}</b>.")
    elif form == DocumentForm.STOP:
        reason = extra.get("reason") or _stop_reason(dossier)
        if not reason:
            _required(extra, "reason")
        paragraphs.append(f"Ngày {datetime_vi(dossier.received_at or dossier.submitted_at)}, "
                          f"{escape(nfc(agency.name))} tiếp nhận hồ sơ của:")
        paragraphs += _applicant_lines(dossier)
        paragraphs.append(f"{escape(nfc(agency.name))} thông báo <b>dừng giải quyết hồ sơ</b> "
                          "nêu trên với lý do như sau:")
        paragraphs.append(escape(nfc(str(reason))))
        paragraphs.append("Xin thông báo để ông/bà (tổ chức) được biết. Thành phần hồ sơ đã nộp "
                          "được trả lại theo yêu cầu của ông/bà (tổ chức).")
    elif form == DocumentForm.CONTROL:
        paragraphs.append(_b("Thủ tục:", f"{dossier.procedure.name} ({dossier.procedure.code})"))
        paragraphs.append(_b("Người nộp:", dossier.applicant_name))
        paragraphs.append(_b("Tiếp nhận lúc:", datetime_vi(dossier.received_at)))
        paragraphs.append(_b("Hẹn trả kết quả theo quy định:",
                             datetime_vi(dossier.original_due_at or dossier.due_at)))
        if dossier.due_at and dossier.original_due_at and dossier.due_at != \
                dossier.original_due_at:
            paragraphs.append(_b("Hẹn lại (phiếu xin lỗi):", datetime_vi(dossier.due_at)))
        paragraphs.append(_b("Kết quả giải quyết:", control.overall_vi(dossier)))
        paragraphs += [escape(nfc(line)) for line in control.control_notes(dossier)]
        return FormContent(
            agency_parent=agency.parent.name if agency.parent_id else "",
            agency=agency.name, place=place, title=DocumentForm.CONTROL.label,
            number=str(extra.get("number", "")), issued_at=issued_at, paragraphs=paragraphs,
            signer_title=SIGNER_TITLES[DocumentForm.CONTROL], signer_name=officer_name,
            verify_url=verify_url, footer=footer, table=control.control_rows(dossier),
            col_widths=control.COL_WIDTHS,
        )
    elif form == DocumentForm.RESULT:
        title = extra.get("title") or f"Kết quả giải quyết: {dossier.procedure.name}"
        paragraphs.append(_b("Thủ tục:", f"{dossier.procedure.name} ({dossier.procedure.code})"))
        paragraphs.append(_b("Người yêu cầu:", dossier.applicant_name))
        if extra.get("decision_number"):
            paragraphs.append(_b("Số quyết định / văn bản:", extra["decision_number"]))
        content = extra.get("content") or result_from_template(dossier)
        if isinstance(content, str):
            content = [content]
        paragraphs += [escape(nfc(str(x))) for x in content]
        return FormContent(
            agency_parent=agency.parent.name if agency.parent_id else "",
            agency=agency.name, place=place, title=title,
            number=str(extra.get("number", "")), issued_at=issued_at, paragraphs=paragraphs,
            signer_title=SIGNER_TITLES[DocumentForm.RESULT], signer_name=officer_name,
            verify_url=verify_url, footer=footer,
        )
    else:
        raise ValidationFailed("DOCUMENT_FORM_INVALID", "Loại văn bản không hợp lệ.",
                               "Unknown document form.", {"form": form})
    return FormContent(
        agency_parent=agency.parent.name if agency.parent_id else "",
        agency=agency.name, place=place, title=DocumentForm(form).label,
        number=str(extra.get("number", "")), issued_at=issued_at, paragraphs=paragraphs,
        signer_title=SIGNER_TITLES[DocumentForm(form)], signer_name=officer_name,
        verify_url=verify_url, footer=footer,
    )


def _human_value(spec: dict[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    names = spec.get("enumNames") or spec.get("x-enumNames")
    if names and spec.get("enum") and value in spec["enum"]:
        return str(names[spec["enum"].index(value)])
    if spec.get("format") == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def result_from_template(dossier: Any) -> list[str]:
    """The result generated from the procedure's own template: what it grants (its result
    name) and what was decided on, read from the dossier's form (titles from the procedure's
    schema, one level of sections) — never a placeholder sentence (issue 11)."""
    procedure = dossier.procedure
    lines = [f"Kết quả: {procedure.result_name or procedure.name}."]
    props = (procedure.form_schema or {}).get("properties") or {}
    data = dossier.form_data if isinstance(dossier.form_data, dict) else {}
    for key, spec in props.items():
        if key not in data or not isinstance(spec, dict):
            continue
        value = data[key]
        if isinstance(value, dict):
            inner = spec.get("properties") or {}
            parts = [f"{(inner.get(k) or {}).get('title') or k}: "
                     f"{_human_value(inner.get(k) or {}, v)}"
                     for k, v in value.items() if v not in ("", None)]
            if parts:
                lines.append(f"{spec.get('title') or key} — " + "; ".join(parts) + ".")
        elif value not in ("", None):
            lines.append(f"{spec.get('title') or key}: {_human_value(spec, value)}.")
    return lines[:40]
