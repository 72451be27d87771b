"""Forms 05–07 (Circular 03/2025/TT-VPCP annex I, replacing that of Circular 01/2018): the stop
notice when processing stops, the processing control sheet per dossier, and the dossier
register of an agency over a period (PDF and Excel)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import unicodedata
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.dossiers.conftest import pdf
from tests.signatures.tools import require_tool
from tinhso.core.errors import ValidationFailed
from tinhso.documents import control, render, services
from tinhso.documents.models import Document
from tinhso.dossiers import services as dossier_services
from tinhso.signatures.verify import verify_pdf

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _at(d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, d, hh, mm, tzinfo=VN)  # 2026-03-02 is a Monday


@pytest.fixture
def clock(monkeypatch):
    state = {"now": _at(2, 8)}
    monkeypatch.setattr("tinhso.dossiers.services._common.now", lambda: state["now"])
    return state


@pytest.fixture
def staff(agency):
    return {role: factories.make_official(agency, role, username=f"cb-{role}")
            for role in ("receiver", "specialist", "leader")}


def _text(data: bytes, tmp_path) -> str:
    tool = require_tool("pdftotext")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    out = subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return unicodedata.normalize("NFC", out)


def _journey(citizen, procedure, agency, staff, clock, *, late: bool):
    """Received Mon 09:00 (3 working days ⇒ Thu 09:00), one supplement Mon 10:00 → Tue 10:00
    (appointment ⇒ Fri 09:00), then processed and returned."""
    dossier = dossier_services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])
    clock["now"] = _at(2, 9)
    dossier = dossier_services.dossier_receive(acting_user=staff["receiver"], dossier=dossier)
    clock["now"] = _at(2, 10)
    dossier = dossier_services.dossier_request_supplement(
        acting_user=staff["specialist"], dossier=dossier, reason="Thiếu bản sao")
    clock["now"] = _at(3, 10)
    dossier = dossier_services.dossier_supplement(acting_user=citizen, dossier=dossier,
                                                  files=[("to-khai", pdf("bs.pdf"))])
    clock["now"] = _at(9, 9) if late else _at(4, 9)
    if late:
        dossier = dossier_services.dossier_apologize(
            acting_user=staff["receiver"], dossier=dossier, new_due_at=_at(11, 9),
            reason="Chờ xác minh")
    dossier = dossier_services.dossier_forward(acting_user=staff["specialist"], dossier=dossier)
    dossier = dossier_services.dossier_approve(acting_user=staff["leader"], dossier=dossier)
    return dossier_services.dossier_return_result(acting_user=staff["receiver"],
                                                  dossier=dossier)


def test_control_sheet_rows(citizen, procedure, agency, staff, clock):
    dossier = _journey(citizen, procedure, agency, staff, clock, late=False)
    rows = control.control_rows(dossier)
    assert rows[0] == control.HEADER
    assert [r[0] for r in rows[1:]] == ["Tiếp nhận hồ sơ", "Thẩm định, xử lý", "Phê duyệt",
                                        "Trả kết quả"]
    assert all(r[6] in ("Trước hạn", "Đúng hạn") for r in rows[1:])
    # The step in progress during the supplement pause got its deadline moved too: 14.4 office
    # hours from Mon 09:00, 1 h used before the pause, the rest from Tue 10:00 ⇒ Wed 17:24.
    process = dossier.steps.get(code="process")
    assert process.due_at == _at(4, 17, 24)
    # Handover chain: each step's receiver hands over to the next.
    for previous, current in zip(rows[1:], rows[2:], strict=False):
        assert current[1] == previous[2]
    assert rows[1][1].startswith("Người nộp: ")
    assert control.overall_vi(dossier) in ("Trước hạn", "Đúng hạn")
    notes = control.control_notes(dossier)
    assert any("chờ bổ sung hồ sơ" in n for n in notes)


def test_control_sheet_marks_late_and_apology(citizen, procedure, agency, staff, clock):
    dossier = _journey(citizen, procedure, agency, staff, clock, late=True)
    assert control.overall_vi(dossier) == "Quá hạn"
    assert any("mẫu 04" in n for n in control.control_notes(dossier))
    assert control.timing_vi(_at(5, 8), _at(6, 9)) == "Trước hạn"
    assert control.timing_vi(_at(6, 8), _at(6, 9)) == "Đúng hạn"
    assert control.timing_vi(_at(6, 10), _at(6, 9)) == "Quá hạn"
    assert control.timing_vi(None, _at(6, 9)) == "Đang xử lý"


def test_control_sheet_pdf_is_signed(citizen, procedure, agency, staff, clock,
                                     pki_ready, tmp_path):
    dossier = _journey(citizen, procedure, agency, staff, clock, late=False)
    doc = services.document_issue(acting_user=staff["receiver"], dossier=dossier, form="06")
    data = doc.file.read()
    assert verify_pdf(data).valid is True
    text = _text(data, tmp_path)
    for expected in ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", dossier.code, "Bên giao",
                     "Tạm dừng tính thời gian"):
        assert expected in text


def test_stop_issues_forms_05_and_06(citizen, procedure, agency, staff, clock,
                                     pki_ready, tmp_path, django_capture_on_commit_callbacks,
                                     drain):
    dossier = dossier_services.dossier_create_direct(
        acting_user=staff["receiver"], procedure_code=procedure.code, applicant_kind="citizen",
        applicant_id_number=factories.VALID_ID_NUMBER, applicant_name="Trần Thị Bình",
        form_data={"ho_ten": "Trần Thị Bình"})
    with django_capture_on_commit_callbacks(execute=True):
        dossier_services.dossier_stop(acting_user=staff["leader"], dossier=dossier,
                                      reason="Người nộp đề nghị dừng do trùng hồ sơ")
    drain()  # the worker's part: the "documents" consumer issues the forms of each step
    forms = set(Document.objects.filter(dossier=dossier).values_list("form", flat=True))
    assert {"05", "06"} <= forms
    stop = Document.objects.get(dossier=dossier, form="05")
    text = _text(stop.file.read(), tmp_path)
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text and "trùng hồ sơ" in text


def test_register_is_not_a_dossier_form(procedure, agency, staff, pki_ready):
    from tests.signatures import pkihelpers as h

    dossier = h.make_dossier(agency, procedure)
    with pytest.raises(ValidationFailed) as exc:
        services.document_issue(acting_user=staff["receiver"], dossier=dossier, form="07")
    assert exc.value.code == "DOCUMENT_FORM_INVALID"


# ------------------------------------------------------------------ register (07)

URL = "/api/v1/documents/register"


def test_register_pdf_and_xlsx(client, citizen, procedure, agency, staff, clock,
                               other_agency, tmp_path):
    from openpyxl import load_workbook

    done = _journey(citizen, procedure, agency, staff, clock, late=True)
    client.force_login(staff["receiver"])
    period = {"agency": agency.code, "from": "2026-03-01", "to": "2026-03-31"}
    res = client.get(URL, {**period, "format": "xlsx"})
    assert res.status_code == 200, res.content
    sheet = load_workbook(io.BytesIO(res.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][:3] == ["STT", "Mã hồ sơ", "Thủ tục hành chính"]
    assert values[2][1] == done.code and values[2][10] == "Quá hạn"
    assert "Xin lỗi, hẹn lại 1 lần" in values[2][11]
    res = client.get(URL, period)
    assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
    assert render.page_count(res.content) >= 1
    text = _text(res.content, tmp_path)
    # A narrow column may wrap the code: compare without the layout's spaces.
    assert "SỔ THEO DÕI HỒ SƠ" in text and done.code in "".join(text.split())
    # Another period: an empty book.
    res = client.get(URL, {**period, "from": "2026-04-01", "to": "2026-04-30",
                           "format": "xlsx"})
    assert len(list(load_workbook(io.BytesIO(res.content)).active.iter_rows())) == 2


def test_register_checks_who_and_what(client, agency, other_agency, staff):
    stranger = factories.make_official(other_agency, "receiver", username="nguoingoai")
    period = {"agency": agency.code, "from": "2026-03-01", "to": "2026-03-31"}
    client.force_login(stranger)
    assert client.get(URL, period).status_code == 403
    client.force_login(staff["receiver"])
    res = client.get(URL, {**period, "to": "2026-02-01"})
    assert res.status_code == 422 and res.json()["code"] == "INVALID_PERIOD"
    res = client.get(URL, {**period, "to": "2027-06-01"})
    assert res.json()["code"] == "INVALID_PERIOD"
    res = client.get(URL, {**period, "format": "doc"})
    assert res.status_code == 422 and res.json()["code"] == "INVALID_FORMAT"
    res = client.get(URL, {**period, "agency": "không-có"})
    assert res.status_code == 404
    client.logout()
    assert client.get(URL, period).status_code == 401
