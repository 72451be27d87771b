"""Dossier status sync to the national portal (sandbox) through the LGSP gateway: every
lifecycle step, in order, retried until acknowledged; reconciliation; catalogue; the 766
indicator from the sync log."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import factories
from tests.connectors.conftest import make_dossier, step
from tinhso.connectors import services
from tinhso.connectors.models import CatalogueSync, PortalSync, SyncState
from tinhso.connectors.selectors import national_sync_counts
from tinhso.ioc.kpi import NO_DATA
from tinhso.lgsp.models import LogEntry
from tinhso.outbox.dispatch import run_consumer

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(national, agency):  # noqa: ANN001, ANN201
    procedure = factories.make_procedure(agencies=[agency])
    return make_dossier(agency, procedure, factories.make_citizen())


def _portal_status(url: str, code: str) -> int | None:
    r = httpx.get(f"{url}/dvcqg/dossiers/{code}")
    return r.json()["TrangThaiHoSo"] if r.status_code == 200 else None


def test_every_step_reaches_the_portal_through_the_gateway(national, case) -> None:
    step(case, "submit", 1)
    step(case, "receive", 2)
    step(case, "approve", 9)
    assert run_consumer("national_portal") == 3
    rows = list(PortalSync.objects.order_by("outbox_id"))
    assert [(r.action, r.national_status, r.state) for r in rows] == [
        ("submit", 1, "pending"), ("receive", 2, "pending"), ("approve", 9, "pending")]
    assert services.portal_push_due() == {"acknowledged": 3, "failed": 0, "waiting": 0}
    assert _portal_status(national, case.code) == 9
    assert all(r.state == SyncState.ACKNOWLEDGED for r in PortalSync.objects.all())
    # Each push is an exchange of the LGSP, in its verifiable message log.
    logged = LogEntry.objects.filter(service__endswith="/DVCQG/dossiers", status=200)
    assert logged.count() == 3 and {e.path for e in logged} == {"/dossiers/status"}
    # Idempotent: the consumer again creates nothing.
    assert run_consumer("national_portal") == 0 and PortalSync.objects.count() == 3


def test_an_outage_is_retried_until_acknowledged_in_order(national, case) -> None:
    step(case, "submit", 1)
    step(case, "receive", 2)
    run_consumer("national_portal")
    httpx.post(f"{national}/_control", json={"fail": 2})
    out = services.portal_push_due()
    assert out["failed"] == 1 and out["acknowledged"] == 0  # the later step waits its turn
    first = PortalSync.objects.order_by("outbox_id").first()
    assert first.attempts == 1 and "503" in first.last_error
    assert first.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    assert services.backoff(1) == 30 and services.backoff(5) == 480
    assert services.backoff(50) == services.BACKOFF_MAX  # never gives up, at most hourly
    for _ in range(3):
        PortalSync.objects.filter(state="pending").update(next_attempt_at=timezone.now())
        services.portal_push_due()
    assert set(PortalSync.objects.values_list("state", flat=True)) == {"acknowledged"}
    assert _portal_status(national, case.code) == 2


def test_reconciliation_reports_differences(national, case, agency) -> None:
    step(case, "submit", 1)
    run_consumer("national_portal")
    services.portal_push_due()
    other = make_dossier(agency, case.procedure, case.applicant)
    step(other, "submit", 1)
    run_consumer("national_portal")  # not pushed: the portal does not know it
    report = services.reconcile()
    assert report.checked == 2 and report.matched == 1 and report.missing == [other.code]
    assert report.pending == 1
    type(case).objects.filter(pk=case.pk).update(status=4)  # changed without an event
    report = services.reconcile()
    assert report.mismatched == [{"code": case.code, "local": 4, "portal": 1}]
    call_command("connectors", "reconcile")


def test_catalogue_comparison(national, agency) -> None:
    factories.make_procedure(agencies=[agency], code="1.004227", name="Đăng ký khai sinh (cũ)")
    factories.make_procedure(agencies=[agency], code="9.999999", name="Thủ tục riêng của tỉnh")
    row = services.catalogue_sync()
    assert not row.error and row.national_count == 4
    assert row.name_differs == ["1.004227"]
    assert "9.999999" in row.missing_nationally and "1.001612" in row.missing_locally
    assert CatalogueSync.objects.count() == 1


def test_the_766_indicator_counts_synchronised_dossiers(national, case, agency) -> None:
    from tinhso.ioc.scopes import Scope

    today = timezone.localdate()
    assert national_sync_counts({}, today, today) is None  # nothing ever synchronised
    step(case, "submit", 1)
    other = make_dossier(agency, case.procedure, case.applicant)
    step(other, "submit", 1)
    run_consumer("national_portal")
    PortalSync.objects.filter(dossier=other).update(next_attempt_at=timezone.now()
                                                    + dt.timedelta(hours=1))
    services.portal_push_due()
    assert national_sync_counts({}, today, today) == (1, 2)
    assert national_sync_counts({"agency_id__in": [agency.pk + 999]}, today, today) == (0, 0)
    from tinhso.ioc.selectors import national_sync_value

    scope = Scope(kind="agency", code=agency.code, label="", agency_ids=frozenset({agency.pk}))
    value = national_sync_value(scope, today, today)
    assert (value.numerator, value.denominator) == (1, 2) and value != NO_DATA
    # The monthly series and the rankings read the same sync log.
    from tinhso.ioc.dashboard import _sync_of_agencies, series_for_scope
    from tinhso.ioc.scopes import resolve_scope
    from tinhso.ioc.selectors import IndexContext

    ctx = IndexContext.load()
    ranked = _sync_of_agencies({agency.pk}, today, today)
    assert (ranked.numerator, ranked.denominator) == (1, 2)
    code = f"agency:{agency.code}"
    month = series_for_scope(resolve_scope(code, ctx.directory), code, 1, ctx)[-1]
    sync = next(i for g in month["document"]["groups"] for i in g["indicators"]
                if i["code"] == "G1_NATIONAL_SYNC")
    assert (sync["numerator"], sync["denominator"]) == (1, 2) and not sync["no_data"]
