"""VietQR reconciliation: statement layouts, matching, the review queue, re-imports."""

from __future__ import annotations

import io
import threading

import pytest
from django.db import connection

from tests.payments.conftest import FEE, make_awaiting
from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.dossiers.models import Action, DossierEvent, Status
from tinhso.payments import reconcile, statements
from tinhso.payments.models import (
    BankStatement,
    PaymentStatus,
    StatementLine,
)

ACCOUNT = "0000000000"


def csv_statement(rows: list[tuple[str, str, str, str, str]], sep: str = ",") -> bytes:
    """A Vietcombank-like export: a title block, then the header row, then the lines."""
    head = [f"SAO KÊ TÀI KHOẢN{sep}{sep}{sep}{sep}", f"Số tài khoản: {ACCOUNT}{sep}{sep}{sep}{sep}",
            sep * 4, sep.join(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ",
                               "Số tiền ghi có", "Mô tả"])]
    body = [sep.join(f'"{c}"' for c in row) for row in rows]
    return ("\n".join(head + body + [f"Tổng cộng{sep}{sep}{sep}1.000{sep}"]) + "\n").encode()


def test_amounts_and_dates_of_vietnamese_exports():
    assert statements.parse_amount("1.250.000") == 1_250_000
    assert statements.parse_amount("1,250,000") == 1_250_000
    assert statements.parse_amount("1.250.000,00") == 1_250_000
    assert statements.parse_amount("50000.00") == 50_000
    assert statements.parse_amount("50.000 VND") == 50_000
    assert statements.parse_amount(50000.0) == 50_000
    assert statements.parse_amount("") is None
    for bad in ("12,5", "abc", "1.000,50"):
        with pytest.raises(ValueError):
            statements.parse_amount(bad)
    at = statements.parse_date("06/12/2026 10:15:30")
    assert (at.day, at.month, at.hour, str(at.tzinfo)) == (6, 12, 10, "Asia/Ho_Chi_Minh")
    assert statements.parse_date("2026-12-06").day == 6


def test_notes_name_one_payment():
    assert reconcile.payment_ids_in("IBFT TS123 PHI HO SO-0123") == {123}
    assert reconcile.payment_ids_in("ts 45 phi ho so") == {45}
    assert reconcile.payment_ids_in("MBVCBTS123 PHI") == set()  # inside another word
    assert reconcile.payment_ids_in("TS1 TS2") == {1, 2}


def test_a_statement_is_reconciled(awaiting, officers, citizen, agency, media_root):
    receiver = officers["receiver"]
    short = make_awaiting(citizen, agency, receiver)
    over = make_awaiting(citizen, agency, receiver)
    pid = awaiting.payment.pk
    content = csv_statement([
        ("06/12/2026 09:00:01", "FT001", "", "50.000", f"NGUYEN VAN AN TS{pid} PHI HO SO"),
        ("06/12/2026 09:05:00", "FT002", "", "50.000", f"TS{pid} PHI HO SO chuyen lai"),
        ("06/12/2026 09:10:00", "FT003", "", "30.000", f"TS{short.payment.pk} PHI HO SO"),
        ("06/12/2026 09:11:00", "FT004", "", "70.000", f"TS{over.payment.pk} PHI HO SO"),
        ("06/12/2026 09:12:00", "FT005", "", "20.000", "chuyen tien an trua"),
        ("06/12/2026 09:13:00", "FT006", "", "50.000", "TS99999999 PHI HO SO"),
        ("06/12/2026 09:14:00", "FT007", "1.000.000", "", "Rut tien"),
    ])
    summary = reconcile.statement_import(acting_user=receiver, content=content,
                                         file_name="vcb.csv", account=ACCOUNT)
    assert (summary.read, summary.new, summary.skipped) == (6, 6, 0)
    status = dict(StatementLine.objects.values_list("bank_ref", "status"))
    assert status == {"FT001": "matched", "FT002": "duplicate", "FT003": "partial",
                      "FT004": "overpaid", "FT005": "unmatched", "FT006": "unmatched"}
    awaiting.payment.refresh_from_db()
    awaiting.dossier.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.PAID and awaiting.payment.method == "vietqr"
    assert awaiting.payment.reference == "FT001"
    assert awaiting.dossier.status == Status.PROCESSING
    short.payment.refresh_from_db()
    assert short.payment.status == PaymentStatus.REQUESTED  # waits for an officer

    # The same file again (or an overlapping one) counts nothing twice.
    again = reconcile.statement_import(acting_user=receiver, content=content,
                                       file_name="vcb.csv", account=ACCOUNT)
    assert (again.new, again.skipped) == (0, 6)
    assert StatementLine.objects.count() == 6
    assert DossierEvent.objects.filter(dossier=awaiting.dossier, action=Action.PAY).count() == 1


def test_review_actions(officers, citizen, agency, outsider, media_root):
    receiver = officers["receiver"]
    case = make_awaiting(citizen, agency, receiver)
    content = csv_statement([
        ("06/12/2026", "A1", "", "49.000", f"TS{case.payment.pk} PHI HO SO"),
        ("06/12/2026", "A2", "", "10.000", "khong ro"),
    ])
    reconcile.statement_import(acting_user=receiver, content=content, file_name="s.csv",
                               account=ACCOUNT)
    partial = StatementLine.objects.get(bank_ref="A1")
    stray = StatementLine.objects.get(bank_ref="A2")
    from tinhso.payments.selectors import review_queue

    assert [x.bank_ref for x in review_queue(receiver)] == ["A1", "A2"]
    assert list(review_queue(outsider)) == [] and list(review_queue(citizen)) == []
    with pytest.raises(NotFound):
        reconcile.statement_line_reject(acting_user=outsider, line_id=stray.pk,
                                        reason="Không phải của tôi")
    with pytest.raises(PermissionDenied):
        reconcile.statement_line_reject(acting_user=officers["specialist"], line_id=stray.pk,
                                        reason="Không có vai trò")
    with pytest.raises(ValidationFailed):
        reconcile.statement_line_reject(acting_user=receiver, line_id=stray.pk, reason="")
    reconcile.statement_line_confirm(acting_user=receiver, line_id=partial.pk,
                                     reason="Ngân hàng trừ phí 1.000 đ, chấp nhận")
    case.payment.refresh_from_db()
    assert case.payment.status == PaymentStatus.PAID and case.payment.reference == "A1"
    reconcile.statement_line_refund(acting_user=receiver, line_id=stray.pk,
                                    reason="Chuyển nhầm, trả lại người chuyển")
    with pytest.raises(Conflict) as exc:
        reconcile.statement_line_reject(acting_user=receiver, line_id=stray.pk,
                                        reason="Lần thứ hai")
    assert exc.value.code == "LINE_ALREADY_DECIDED"
    assert list(review_queue(receiver)) == []


def test_a_bad_file_changes_nothing(awaiting, officers):
    receiver = officers["receiver"]
    bad = csv_statement([
        ("06/12/2026", "B1", "", "50.000", f"TS{awaiting.payment.pk}"),
        ("06/12/2026", "B2", "", "12,5", "hai dong ruoi"),
        ("32/13/2026", "B3", "", "1.000", "ngay sai"),
    ])
    with pytest.raises(ValidationFailed) as exc:
        reconcile.statement_import(acting_user=receiver, content=bad, file_name="x.csv",
                                   account=ACCOUNT)
    assert exc.value.code == "STATEMENT_INVALID"
    assert [e["line"] for e in exc.value.details["errors"]] == [6, 7]
    with pytest.raises(ValidationFailed) as exc:
        reconcile.statement_import(acting_user=receiver, content=b"a,b\n1,2\n",
                                   file_name="x.csv", account=ACCOUNT)
    assert exc.value.code == "STATEMENT_LAYOUT_UNKNOWN"
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()
    awaiting.payment.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.REQUESTED


def test_excel_layout_without_reference_column(awaiting, officers):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["NGÂN HÀNG TMCP ĐẦU TƯ VÀ PHÁT TRIỂN VIỆT NAM"])
    sheet.append([])
    sheet.append(["STT", "Ngày hiệu lực", "Ghi nợ", "Ghi có", "Mô tả giao dịch", "Tên đối ứng"])
    import datetime as dt

    sheet.append([1, dt.datetime(2026, 12, 6, 8, 30), None, FEE,
                  f"TS{awaiting.payment.pk} PHI HO SO", "NGUYEN VAN AN"])
    sheet.append([2, dt.datetime(2026, 12, 6, 8, 31), None, FEE, "TS0 PHI HO SO", "X"])
    buffer = io.BytesIO()
    book.save(buffer)
    summary = reconcile.statement_import(acting_user=officers["receiver"],
                                         content=buffer.getvalue(), file_name="bidv.xlsx",
                                         account=ACCOUNT)
    assert summary.by_status == {"matched": 1, "unmatched": 1}
    line = StatementLine.objects.get(status="matched")
    assert line.payer == "NGUYEN VAN AN" and line.bank_ref.startswith("H")
    again = reconcile.statement_import(acting_user=officers["receiver"],
                                       content=buffer.getvalue(), file_name="bidv.xlsx",
                                       account=ACCOUNT)
    assert again.new == 0


@pytest.mark.django_db(transaction=True)
def test_two_imports_racing_confirm_once(citizen, agency, media_root):
    from tests import factories

    receiver = factories.make_official(agency, "receiver")
    case = make_awaiting(citizen, agency, receiver)
    content = csv_statement([("06/12/2026", "R1", "", "50.000", f"TS{case.payment.pk}")])
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reconcile.statement_import(acting_user=receiver, content=content,
                                       file_name="r.csv", account=ACCOUNT)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert StatementLine.objects.filter(bank_ref="R1").count() == 1
    assert DossierEvent.objects.filter(dossier=case.dossier, action=Action.PAY).count() == 1


def test_statement_api(awaiting, officers, citizen):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    receiver = Client()
    receiver.force_login(officers["receiver"])
    content = csv_statement([
        ("06/12/2026", "P1", "", "50.000", f"TS{awaiting.payment.pk} PHI HO SO"),
        ("06/12/2026", "P2", "", "5.000", "ung ho"),
    ])
    url = "/api/v1/payments/statements/"
    made = receiver.post(url, {"account": ACCOUNT,
                               "file": SimpleUploadedFile("s.csv", content, "text/csv")})
    assert made.status_code == 201, made.content
    assert made.json()["by_status"] == {"matched": 1, "unmatched": 1}
    as_citizen = Client()
    as_citizen.force_login(citizen)
    refused = as_citizen.post(url, {"account": ACCOUNT,
                                    "file": SimpleUploadedFile("s.csv", content, "text/csv")})
    assert refused.status_code == 403
    assert as_citizen.get(f"{url}lines").json()["items"] == []
    queue = receiver.get(f"{url}lines").json()["items"]
    assert [x["bank_ref"] for x in queue] == ["P2"]
    matched = receiver.get(f"{url}lines?status=matched").json()["items"]
    assert matched[0]["dossier"] == awaiting.dossier.code
    assert receiver.get(f"{url}lines?status=nope").status_code == 422
    decided = receiver.post(f"{url}lines/{queue[0]['id']}/reject",
                            {"reason": "Không phải tiền phí"}, content_type="application/json")
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"
    again = receiver.post(f"{url}lines/{queue[0]['id']}/reject",
                          {"reason": "Không phải tiền phí"}, content_type="application/json")
    assert again.status_code == 409
