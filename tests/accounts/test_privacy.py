"""`tinhso privacy erase-citizen`: the account's personal data goes, the dossiers (legal records)
stay; refused while a dossier is open; audited without the erased values; dry run changes
nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories
from tests.signatures.pkihelpers import make_dossier
from tinhso.accounts import auditchain
from tinhso.accounts.models import ApiToken, AuditLog, User
from tinhso.dossiers.models import Dossier, Status
from tinhso.notifications.models import Notification
from tinhso.portal.models import OidcIdentity

pytestmark = pytest.mark.django_db
ID = "070090004321"


@pytest.fixture
def person(agency):
    citizen = factories.make_citizen(id_number=ID)
    User.objects.filter(pk=citizen.pk).update(phone="0912345678", email="an@example.vn",
                                              address="Tổ 3, Đồng Xoài")
    procedure = factories.make_procedure(agencies=[agency])
    done = make_dossier(agency, procedure, applicant=citizen)
    Dossier.objects.filter(pk=done.pk).update(status=Status.RETURNED)
    OidcIdentity.objects.create(user=citizen, issuer="https://vneid", subject="s-1")
    Notification.objects.create(event_key="e1", recipient_key=f"u{citizen.pk}",
                                recipient=citizen, kind="dossier_returned", title="Đã trả")
    ApiToken.objects.create(user=citizen, name="t", prefix="tsk_x", key_hash="a" * 64)
    return citizen


def _erase(*extra: str) -> dict:
    out = io.StringIO()
    call_command("privacy", "erase-citizen", ID, "--reason", "Đơn số 12/2026 ngày 1/12",
                 *extra, stdout=out)
    return json.loads(out.getvalue())


def test_erasure_removes_personal_data_and_keeps_the_dossier(person):
    report = _erase()
    assert report["removed"]["oidc_links"] == 1 and report["removed"]["notifications"] == 1
    assert report["removed"]["api_tokens"] == 1 and report["kept"] == {"dossiers": 1}
    user = User.objects.get(pk=person.pk)
    assert user.username == f"da-xoa-{person.pk}" and not user.is_active
    assert (user.full_name, user.id_number, user.phone, user.email, user.address) == (
        "", "", "", "", "")
    assert not user.has_usable_password()
    assert not OidcIdentity.objects.filter(user=person).exists()
    assert not Notification.objects.filter(recipient=person).exists()
    dossier = Dossier.objects.get(applicant=person)  # the legal record stays whole
    assert dossier.applicant_name == "Nguyễn Thị Bích Ngọc"
    row = AuditLog.objects.get(action="citizen_erase")
    assert row.data["reason"].startswith("Đơn số 12/2026") and ID not in json.dumps(row.data)
    assert auditchain.verify().ok


def test_open_dossier_blocks_erasure_and_changes_nothing(person, agency):
    procedure = factories.make_procedure(agencies=[agency])
    make_dossier(agency, procedure, applicant=person, code=f"{agency.code}-260105-0002")
    with pytest.raises(CommandError, match="ERASURE_BLOCKED"):
        _erase()
    user = User.objects.get(pk=person.pk)
    assert user.is_active and user.id_number == ID
    assert OidcIdentity.objects.filter(user=person).exists()
    assert not AuditLog.objects.filter(action="citizen_erase").exists()


def test_dry_run_changes_nothing(person):
    report = _erase("--dry-run")
    assert report["dry_run"] and report["removed"]["oidc_links"] == 1
    assert User.objects.get(pk=person.pk).id_number == ID
    assert OidcIdentity.objects.filter(user=person).exists()
    assert not AuditLog.objects.filter(action="citizen_erase").exists()


def test_reason_required_and_unknown_person(person):
    with pytest.raises(CommandError, match="ERASURE_REASON_REQUIRED"):
        call_command("privacy", "erase-citizen", ID, "--reason", "x", stdout=io.StringIO())
    with pytest.raises(CommandError, match="NOT_FOUND"):
        call_command("privacy", "erase-citizen", "070090000000", "--reason", "Đơn số 1",
                     stdout=io.StringIO())
    assert User.objects.get(pk=person.pk).is_active
