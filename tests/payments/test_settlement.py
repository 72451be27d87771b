"""The money ledger and the daily settlement per agency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.payments.conftest import FEE, make_awaiting
from tests.signatures import pkihelpers as h
from tinhso.dossiers.models import AppendOnlyError
from tinhso.payments import ledger, services, settlement
from tinhso.payments.models import LedgerEntry, Payment, PaymentStatus
from tinhso.signatures.verify import verify_pdf


def today() -> dt.date:
    return timezone.localtime(timezone.now(), settlement.VN).date()


@pytest.fixture
def day_of_fees(citizen, agency, officers, media_root):
    receiver = officers["receiver"]
    cases = [make_awaiting(citizen, agency, receiver) for _ in range(3)]
    services.payment_confirm(acting_user=receiver, payment=cases[0].payment, online=False)
    services.payment_confirm(acting_user=receiver, payment=cases[1].payment, online=False,
                             method="vietqr", reference="FT1")
    return cases


def test_every_settlement_writes_one_ledger_entry(day_of_fees):
    entries = list(LedgerEntry.objects.order_by("id"))
    assert [(e.channel, e.amount, e.kind) for e in entries] == [
        ("counter", FEE, "collected"), ("vietqr", FEE, "collected")]
    with pytest.raises(AppendOnlyError):
        entries[0].save()
    with pytest.raises(AppendOnlyError):
        entries[0].delete()
    # History settled before the ledger (or imported) is added once, set-based.
    Payment.objects.filter(pk=day_of_fees[2].payment.pk).update(
        status=PaymentStatus.PAID, paid_at=timezone.now(), method="online", online=True)
    assert ledger.ledger_backfill() == 1
    assert ledger.ledger_backfill() == 0
    assert LedgerEntry.objects.count() == 3


def test_daily_settlement(day_of_fees, agency, officers, citizen, outsider, settings):
    s = settlement.settlement_for(agency=agency, day=today())
    assert {c.channel: (c.collected_count, c.collected) for c in s.channels} == {
        "counter": (1, FEE), "vietqr": (1, FEE)}
    assert s.owed_to_treasury == 2 * FEE
    empty = settlement.settlement_for(agency=agency, day=today() - dt.timedelta(days=1))
    assert empty.channels == [] and empty.owed_to_treasury == 0

    url = f"/api/v1/payments/settlements/{agency.code}/{today().isoformat()}"
    receiver = Client()
    receiver.force_login(officers["receiver"])
    body = receiver.get(url).json()
    assert body["owed_to_treasury"] == 2 * FEE and len(body["channels"]) == 2
    csv_text = receiver.get(f"{url}?format=csv").content.decode()
    assert "Tổng cộng (nộp kho bạc)" in csv_text and str(2 * FEE) in csv_text
    for user, status in ((outsider, 404), (citizen, 404), (officers["specialist"], 403)):
        other = Client()
        other.force_login(user)
        assert other.get(url).status_code == status

    h.init_pki()
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example.vn"
    made = receiver.post(f"{url}/pdf")
    assert made.status_code == 201, made.content
    from tinhso.documents.models import Document

    doc = Document.objects.get(uuid=made.json()["document_uuid"])
    assert doc.form == "qt" and doc.dossier is None
    assert verify_pdf(doc.file.read()).valid


def test_monthly_summary_by_channel(day_of_fees, agency, officers, citizen):
    month = today().strftime("%Y-%m")
    receiver = Client()
    receiver.force_login(officers["receiver"])
    url = f"/api/v1/payments/settlements/summary?month_from={month}&month_to={month}"
    rows = receiver.get(url).json()
    assert {(r["channel"], r["collected"]) for r in rows} == {("counter", FEE), ("vietqr", FEE)}
    assert all(r["month"] == month and r["agency"] == agency.code for r in rows)
    anyone = Client()
    anyone.force_login(citizen)
    assert anyone.get(url).json() == []
    bad = receiver.get("/api/v1/payments/settlements/summary?month_from=2020-01&month_to=2026-12")
    assert bad.status_code == 422 and bad.json()["code"] == "INVALID_PERIOD"
