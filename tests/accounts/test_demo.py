"""Demo accounts: every listed account exists once with its roles and agency, reloading is safe."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from tinhso.accounts.demo import DEMO_ACCOUNTS, demo_account, load_demo_accounts
from tinhso.accounts.models import AccountKind, AuditLog, Role, User
from tinhso.accounts.validators import validate_id_number, validate_tax_code
from tinhso.units.demo import load_agencies, load_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    load_units()
    load_agencies()
    load_demo_accounts()


def test_every_demo_account_exists(demo: None) -> None:
    assert User.objects.count() == len(DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.kind == account.kind
        assert user.role_set == frozenset(account.roles)
        assert (user.agency.code if user.agency else None) == account.agency_code


def test_kinds_and_roles_covered() -> None:
    kinds = {a.kind for a in DEMO_ACCOUNTS}
    assert kinds == {AccountKind.CITIZEN, AccountKind.ORGANISATION, AccountKind.OFFICIAL}
    roles = {r for a in DEMO_ACCOUNTS for r in a.roles}
    assert roles == set(Role.values)
    assert len({a.username for a in DEMO_ACCOUNTS}) == len(DEMO_ACCOUNTS)


def test_identifiers_are_valid() -> None:
    assert validate_id_number(demo_account("congdan").id_number) == "070190012345"
    assert validate_tax_code(demo_account("doanhnghiep").tax_code) == "3800123454"


def test_password_and_admin_flags(demo: None) -> None:
    account = demo_account("quantri")
    user = authenticate(username="quantri", password=account.password)
    assert user is not None and user.is_superuser and user.is_staff
    assert user.is_province_admin
    assert authenticate(username="congdan", password="wrong") is None
    assert not User.objects.get(username="stp.quantri").is_superuser


def test_commune_officials_sit_in_the_structure_in_force(demo: None) -> None:
    """Tân Phú's officials moved to Phường Bình Phước, the ward it became on 1 July 2025; the
    provincial officials work for Đồng Nai."""
    user = User.objects.select_related("agency").get(username="tanphu.tiepnhan")
    assert user.agency.name == "UBND phường Bình Phước"
    assert user.agency.parent.name == "Ủy ban nhân dân tỉnh Đồng Nai"
    officials = User.objects.filter(kind="official").select_related("agency__unit")
    assert {u.agency.unit.structure for u in officials} == {"current2"}


def test_reload_is_idempotent_and_repairs_roles(demo: None) -> None:
    user = User.objects.get(username="stp.lanhdao")
    user.role_assignments.all().delete()
    user.role_assignments.create(role=Role.PROVINCE_ADMIN)
    users_before = sorted(User.objects.values_list("pk", "username"))
    audits_before = AuditLog.objects.count()
    load_demo_accounts()
    assert sorted(User.objects.values_list("pk", "username")) == users_before
    assert AuditLog.objects.count() == audits_before
    fresh = User.objects.get(username="stp.lanhdao")
    assert fresh.role_set == frozenset({Role.LEADER})


def test_refused_in_production(settings, db) -> None:
    settings.PRODUCTION = True
    with pytest.raises(RuntimeError):
        load_demo_accounts()
    assert not User.objects.exists()
