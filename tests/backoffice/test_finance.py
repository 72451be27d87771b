"""The finance page: the day's settlement of the official's agency and the bank review queue."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.payments.conftest import make_awaiting
from tests.payments.test_reconcile import ACCOUNT, csv_statement
from tinhso.payments import reconcile, services
from tinhso.payments.models import LineStatus, StatementLine


@pytest.fixture
def finance_day(citizen, agency, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    receiver = factories.make_official(agency, "receiver")
    case = make_awaiting(citizen, agency, receiver, fee=1_250_000)
    services.payment_confirm(acting_user=receiver, payment=case.payment, online=False,
                             method="cash", amount=1_250_000)
    reconcile.statement_import(acting_user=receiver, content=csv_statement(
        [("06/12/2026", "Q1", "", "20.000", "chuyen nham")]), file_name="s.csv",
        account=ACCOUNT)
    return receiver


def test_the_finance_page_shows_the_day_and_the_queue(finance_day, citizen):
    client = Client()
    client.force_login(finance_day)
    page = client.get("/mot-cua/thu-phi/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "1.250.000 đ" in html and "Tiền mặt" in html  # collected today, by channel
    assert "Q1" in html and "20.000 đ" in html  # the transfer waiting for a decision
    line = StatementLine.objects.get(bank_ref="Q1")
    refused = client.post(f"/mot-cua/thu-phi/giao-dich/{line.pk}/reject/", {"reason": "x"})
    assert refused.status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.UNMATCHED  # a reason is required: nothing changed
    done = client.post(f"/mot-cua/thu-phi/giao-dich/{line.pk}/refund/",
                       {"reason": "Chuyển nhầm, trả lại người chuyển"})
    assert done.status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.REFUND
    anyone = Client()
    anyone.force_login(citizen)
    assert anyone.get("/mot-cua/thu-phi/").status_code == 403


def test_the_ioc_shows_money_by_month_and_channel(finance_day, citizen):
    client = Client()
    client.force_login(finance_day)
    page = client.get("/ioc/thu-phi/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tiền mặt" in html and "1.250.000 đ" in html
    anyone = Client()
    anyone.force_login(citizen)
    assert anyone.get("/ioc/thu-phi/").status_code == 403
