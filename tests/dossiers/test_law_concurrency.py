"""Races on the law's limits: two apologies at once set one new appointment (the other gets
APOLOGY_LIMIT_REACHED), and two registrations of the same competent signer make one row."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.dossiers.conftest import pdf
from tests.dossiers.test_concurrency import run_concurrently
from tinhso.core.errors import Conflict
from tinhso.dossiers import services
from tinhso.dossiers.models import Action, Dossier, DossierEvent
from tinhso.units.models import AgencyKind

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_apologies_at_once_make_one_new_appointment(citizen, procedure, agency, officers,
                                                        media_root):
    dossier = services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "A"}, files=[("to-khai", pdf())])
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    later = dossier.due_at + dt.timedelta(days=7)

    def apologise(reason):
        return lambda: services.dossier_apologize(
            acting_user=officers["receiver"], dossier=dossier, new_due_at=later, reason=reason)

    results = run_concurrently([apologise("Chờ xác minh"), apologise("Chờ ý kiến"),
                                apologise("Chờ hồ sơ")])
    winners = [r for r in results if isinstance(r, Dossier)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 2, results
    assert {r.code for r in losers} == {"APOLOGY_LIMIT_REACHED"}
    final = Dossier.objects.get(pk=dossier.pk)
    assert final.apology_count == 1 and final.due_at == later
    assert DossierEvent.objects.filter(dossier=dossier, action=Action.APOLOGIZE).count() == 1


def test_two_registrations_of_a_signer_at_once(province):
    from tinhso.documents import signers
    from tinhso.documents.models import CompetentSigner, SignerPosition

    commune = factories.make_agency(unit=province, kind=AgencyKind.PEOPLES_COMMITTEE)
    admin = factories.make_official(commune, "province_admin", username="qt-race")
    vice = factories.make_official(commune, "leader", username="pct-race")

    def add():
        return signers.competent_signer_add(acting_user=admin, agency=commune, user=vice,
                                            position=SignerPosition.VICE_CHAIRMAN)

    results = run_concurrently([add, add, add])
    assert sum(isinstance(r, CompetentSigner) for r in results) == 1, results
    assert all(isinstance(r, CompetentSigner) or (isinstance(r, Conflict) and
               r.code == "SIGNER_ALREADY_REGISTERED") for r in results), results
    assert CompetentSigner.objects.filter(agency=commune, user=vice).count() == 1
