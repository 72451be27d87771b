"""Who may sign a certified copy (Decree 23/2015/NĐ-CP art. 5): the agency's registered
competent signers only — at a commune, the chairman or a vice-chairman."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.signatures import pkihelpers as h
from tinhso.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from tinhso.documents import services, signers
from tinhso.documents.models import CertificationRegisterEntry, Document, SignerPosition
from tinhso.units.models import AgencyKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(province):
    return factories.make_agency(unit=province, kind=AgencyKind.PEOPLES_COMMITTEE,
                                 name="UBND phường Tân Phú")


@pytest.fixture
def people(commune, pki_ready):
    admin = factories.make_official(commune, "province_admin", username="qt")
    vice = factories.make_official(commune, "leader", username="phochutich")
    clerk = factories.make_official(commune, "receiver", username="congchuc")
    for user in (vice, clerk):
        h.issue_personal(admin, user)
    return {"admin": admin, "vice": vice, "clerk": clerk}


def test_only_a_registered_vice_chairman_signs(commune, people):
    signers.competent_signer_add(acting_user=people["admin"], agency=commune,
                                 user=people["vice"], position=SignerPosition.VICE_CHAIRMAN)
    copy = services.certified_copy_issue(acting_user=people["vice"], scan_file=h.simple_pdf(),
                                         description="Bằng tốt nghiệp", applicant_name="An")
    assert copy.entry.officer == people["vice"]
    # The commune's civil servant who received the request may not sign it.
    with pytest.raises(DomainError) as exc:
        services.certified_copy_issue(acting_user=people["clerk"], scan_file=h.simple_pdf(),
                                      description="Bằng tốt nghiệp", applicant_name="An")
    assert exc.value.code == "CERTIFIER_NOT_COMPETENT" and exc.value.status == 403
    assert exc.value.details["allowed_positions"] == ["chairman", "vice_chairman"]
    assert CertificationRegisterEntry.objects.count() == 1 and Document.objects.count() == 1


def test_positions_must_fit_the_agency(commune, people):
    with pytest.raises(ValidationFailed) as exc:
        signers.competent_signer_add(acting_user=people["admin"], agency=commune,
                                     user=people["vice"], position=SignerPosition.HEAD)
    assert exc.value.code == "SIGNER_POSITION_INVALID"
    outsider = factories.make_official(factories.make_agency(kind=AgencyKind.PEOPLES_COMMITTEE),
                                       "leader", username="nguoingoai")
    with pytest.raises(ValidationFailed) as exc:
        signers.competent_signer_add(acting_user=people["admin"], agency=commune,
                                     user=outsider, position=SignerPosition.CHAIRMAN)
    assert exc.value.code == "SIGNER_NOT_OF_AGENCY"


def test_only_admins_register_and_no_duplicates(commune, people):
    with pytest.raises(PermissionDenied):
        signers.competent_signer_add(acting_user=people["clerk"], agency=commune,
                                     user=people["vice"], position=SignerPosition.VICE_CHAIRMAN)
    signers.competent_signer_add(acting_user=people["admin"], agency=commune,
                                 user=people["vice"], position=SignerPosition.VICE_CHAIRMAN)
    with pytest.raises(Conflict) as exc:
        signers.competent_signer_add(acting_user=people["admin"], agency=commune,
                                     user=people["vice"], position=SignerPosition.CHAIRMAN)
    assert exc.value.code == "SIGNER_ALREADY_REGISTERED"


def test_an_ended_registration_no_longer_signs(commune, people):
    signer = signers.competent_signer_add(
        acting_user=people["admin"], agency=commune, user=people["vice"],
        position=SignerPosition.VICE_CHAIRMAN, valid_from=dt.date(2024, 1, 1))
    assert signers.competent_position(people["vice"], commune) == "vice_chairman"
    signers.competent_signer_end(acting_user=people["admin"], signer=signer,
                                 valid_to=dt.date(2025, 1, 1))
    assert signers.competent_position(people["vice"], commune) is None
    assert signers.competent_position(people["vice"], commune,
                                      on=dt.date(2024, 6, 1)) == "vice_chairman"


def test_the_check_can_be_switched_off(commune, people, settings):
    settings.TINHSO_CERTIFIED_COPY_SIGNERS_REQUIRED = False
    copy = services.certified_copy_issue(acting_user=people["clerk"], scan_file=h.simple_pdf(),
                                         description="Giấy khai sinh", applicant_name="Bình")
    assert copy.entry.number == 1


def test_api_answers_403_with_the_code(client, commune, people):
    client.force_login(people["clerk"])
    response = client.post("/api/v1/signatures/certified-copies", {
        "file": SimpleUploadedFile("scan.pdf", h.simple_pdf(), "application/pdf"),
        "description": "Bằng", "applicant_name": "Y"})
    assert response.status_code == 403
    assert response.json()["code"] == "CERTIFIER_NOT_COMPETENT"
    assert not CertificationRegisterEntry.objects.exists()


def test_demo_registers_the_ward_chairman():
    from tinhso.accounts.demo import load_demo_accounts
    from tinhso.accounts.models import User
    from tinhso.documents.models import CompetentSigner
    from tinhso.units.demo import load_agencies, load_units

    load_units()
    load_agencies()
    load_demo_accounts()
    load_demo_accounts()  # reloading adds nothing
    chairman = User.objects.get(username="tanphu.lanhdao")
    assert signers.competent_position(chairman, chairman.agency) == "chairman"
    assert CompetentSigner.objects.count() == 1
    clerk = User.objects.get(username="tanphu.tiepnhan")
    assert signers.competent_position(clerk, clerk.agency) is None
