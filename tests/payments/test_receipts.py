"""Electronic fee receipts: numbering without gaps, words, sealed PDF, cancel and replace."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.payments.conftest import FEE, make_awaiting
from tests.signatures import pkihelpers as h
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.core.numwords import bang_chu
from tinhso.documents.models import DocumentForm
from tinhso.payments import receipts, services
from tinhso.payments.models import Receipt, ReceiptStatus
from tinhso.signatures.verify import verify_pdf


@pytest.mark.parametrize(("amount", "words"), [
    (50_000, "Năm mươi nghìn đồng"),
    (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (21_000, "Hai mươi mốt nghìn đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (105_000, "Một trăm linh năm nghìn đồng"),
    (2_000_000_000, "Hai tỷ đồng"),
    (3_000_000_000_000, "Ba nghìn tỷ đồng"),
])
def test_amounts_in_words(amount, words):
    assert bang_chu(amount) == words


@pytest.fixture
def paid(citizen, agency, officers, media_root, settings):
    h.init_pki()
    settings.ROOT_URLCONF = "tinhso.urls"
    case = make_awaiting(citizen, agency, officers["receiver"])
    services.payment_confirm(acting_user=officers["receiver"], payment=case.payment,
                             online=False, method="counter")
    case.payment.refresh_from_db()
    return case


def test_a_settled_fee_gets_one_sealed_receipt(paid, client):
    receipt = receipts.receipt_issue(payment=paid.payment)
    assert receipts.receipt_issue(payment=paid.payment) == receipt  # idempotent
    assert (receipt.template, receipt.series, receipt.number) == ("01BLP0-001", "TS-26E", 1)
    assert receipt.amount == FEE and receipt.amount_words == "Năm mươi nghìn đồng"
    assert receipt.payer_name == paid.dossier.applicant_name
    doc = receipt.document
    assert doc.form == DocumentForm.FEE_RECEIPT and doc.dossier == paid.dossier
    report = verify_pdf(doc.file.read())
    assert report.valid and len(report.signatures) == 1
    page = client.get(f"/chu-ky-so/xac-minh/{doc.uuid}")
    assert page.status_code == 200
    assert "Biên lai thu phí, lệ phí điện tử" in page.content.decode()


def test_unpaid_payment_has_no_receipt(citizen, agency, officers, media_root):
    h.init_pki()
    case = make_awaiting(citizen, agency, officers["receiver"])
    with pytest.raises(Conflict):
        receipts.receipt_issue(payment=case.payment)
    assert not Receipt.objects.exists()


def test_cancel_and_replace_keeps_both(paid, officers, citizen):
    first = receipts.receipt_issue(payment=paid.payment)
    with pytest.raises(PermissionDenied):
        receipts.receipt_cancel(acting_user=citizen, receipt=first, reason="Sai tên người nộp")
    with pytest.raises(ValidationFailed):
        receipts.receipt_cancel(acting_user=officers["receiver"], receipt=first, reason="")
    second = receipts.receipt_cancel(acting_user=officers["receiver"], receipt=first,
                                     reason="Sai tên người nộp")
    first.refresh_from_db()
    assert first.status == ReceiptStatus.CANCELLED and first.cancel_reason == "Sai tên người nộp"
    assert second.number == 2 and second.replaces == first and second.document_id
    assert first.document_id  # the cancelled one's signed PDF stays
    with pytest.raises(Conflict):
        receipts.receipt_cancel(acting_user=officers["receiver"], receipt=first,
                                reason="Hủy lần nữa")
    assert Receipt.objects.count() == 2


def test_a_signing_failure_takes_no_number(paid, monkeypatch, citizen, agency, officers):
    from tinhso.documents import issue

    def broken(**kwargs):
        raise RuntimeError("HSM unreachable")

    monkeypatch.setattr(issue, "document_issue_sealed", broken)
    with pytest.raises(RuntimeError):
        receipts.receipt_issue(payment=paid.payment)
    monkeypatch.undo()
    assert receipts.receipt_issue(payment=paid.payment).number == 1


@pytest.mark.django_db(transaction=True)
def test_numbers_run_without_gaps_under_concurrency(citizen, agency, media_root, settings):
    from tests import factories

    h.init_pki()
    receiver = factories.make_official(agency, "receiver")
    payments = []
    for _ in range(6):
        case = make_awaiting(citizen, agency, receiver)
        services.payment_confirm(acting_user=receiver, payment=case.payment, online=False)
        payments.append(case.payment)
    errors: list[BaseException] = []

    def issue(payment) -> None:
        try:
            receipts.receipt_issue(payment=payment)
            receipts.receipt_issue(payment=payment)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(p,)) for p in payments + payments[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 7))
    assert all(p.receipts.count() == 1 for p in payments)


def test_receipts_api_and_register(paid, officers, citizen, outsider):
    from django.test import Client

    receipt = receipts.receipt_issue(payment=paid.payment)
    as_citizen, as_receiver, as_outsider = Client(), Client(), Client()
    as_citizen.force_login(citizen)
    as_receiver.force_login(officers["receiver"])
    as_outsider.force_login(outsider)
    mine = as_citizen.get("/api/v1/payments/receipts/").json()["items"]
    assert [r["number"] for r in mine] == [1]
    assert mine[0]["verify_url"].endswith(str(receipt.document.uuid))
    assert as_outsider.get("/api/v1/payments/receipts/").json()["items"] == []
    assert as_outsider.get(f"/api/v1/payments/receipts/{receipt.pk}").status_code == 404
    assert as_citizen.get("/api/v1/payments/receipts/register.csv").status_code == 403
    cancelled = as_citizen.post(f"/api/v1/payments/receipts/{receipt.pk}/cancel",
                                {"reason": "Tôi muốn hủy"}, content_type="application/json")
    assert cancelled.status_code == 403
    replaced = as_receiver.post(f"/api/v1/payments/receipts/{receipt.pk}/cancel",
                                {"reason": "Sai địa chỉ người nộp"},
                                content_type="application/json")
    assert replaced.status_code == 200 and replaced.json()["replaces"] == receipt.pk
    csv_text = as_receiver.get("/api/v1/payments/receipts/register.csv").content.decode()
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Cơ quan,Ký hiệu mẫu") and len(lines) == 3
    assert "0000001" in lines[1] and "Đã hủy" in lines[1] and "0000002" in lines[2]


def test_a_settled_payment_gets_its_receipt_from_the_outbox(citizen, agency, officers,
                                                            media_root, drain):
    h.init_pki()
    case = make_awaiting(citizen, agency, officers["receiver"])
    services.payment_confirm(acting_user=officers["receiver"], payment=case.payment,
                             online=False, method="cash", amount=case.payment.amount)
    assert not Receipt.objects.exists()  # nothing signed in the request
    drain()
    receipt = Receipt.objects.get(payment=case.payment)
    assert receipt.status == ReceiptStatus.ISSUED and receipt.method == "cash"
    drain()  # delivered again: still one
    assert Receipt.objects.filter(payment=case.payment).count() == 1


def test_the_payer_is_told_of_the_receipt(citizen, agency, officers, media_root, drain):
    from tinhso.notifications.models import Notification

    h.init_pki()
    case = make_awaiting(citizen, agency, officers["receiver"])
    services.payment_confirm(acting_user=officers["receiver"], payment=case.payment,
                             online=False, method="cash", amount=case.payment.amount)
    drain()
    drain()
    notice = Notification.objects.get(kind="receipt_issued")
    assert notice.recipient == citizen and "0000001" in notice.body
    assert notice.link.endswith(f"/ho-so-cua-toi/{case.dossier.code}/")


def test_the_payer_downloads_the_receipt_from_the_portal(paid, citizen):
    from django.test import Client

    receipt = receipts.receipt_issue(payment=paid.payment)
    client = Client()
    client.force_login(citizen)
    page = client.get(f"/ho-so-cua-toi/{paid.dossier.code}/").content.decode()
    attachment = receipt.document.attachment
    link = f"/ho-so-cua-toi/{paid.dossier.code}/tep/{attachment.pk}/"
    assert link in page
    download = client.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content if download.streaming else [download.content]
                    ).startswith(b"%PDF")
