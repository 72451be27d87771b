"""The Django admin's accounts pages, for an agency admin given staff access: only the officials
of their own agency are listed, opened or changed; new accounts land in that agency; the staff
and superuser flags stay out of reach; a province-wide role cannot be granted. A superuser and a
province admin see every account (tests/units/test_admin.py loads the superuser's pages)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests import factories
from tinhso.accounts.models import AccountKind, Role, RoleAssignment, User

pytestmark = pytest.mark.django_db
PERMISSIONS = [f"{action}_{model}" for action in ("view", "change", "add", "delete")
               for model in ("user", "roleassignment")]


@pytest.fixture
def staff_admin(agency_admin: User) -> User:
    agency_admin.is_staff = True
    agency_admin.save(update_fields=["is_staff"])
    agency_admin.user_permissions.set(Permission.objects.filter(
        content_type__app_label="accounts", codename__in=PERMISSIONS))
    return agency_admin


@pytest.fixture
def staff_client(client: Client, staff_admin: User) -> Client:
    client.force_login(staff_admin)  # the second factor is asked at sign-in, not per page
    return client


def change_data(user: User, **extra: str) -> dict[str, str]:
    data = {"username": user.username, "full_name": user.full_name, "email": user.email,
            "phone": user.phone, "address": "", "id_number": "", "tax_code": "",
            "is_active": "on", "last_login_0": "", "last_login_1": "",
            "date_joined_0": "2026-12-06", "date_joined_1": "08:00:00",
            "role_assignments-TOTAL_FORMS": "0", "role_assignments-INITIAL_FORMS": "0",
            "role_assignments-MIN_NUM_FORMS": "0", "role_assignments-MAX_NUM_FORMS": "1000"}
    data.update(extra)
    return data


def test_the_list_holds_only_the_agencys_officials(staff_client, receiver, other_receiver,
                                                   citizen):
    page = staff_client.get("/admin/accounts/user/")
    assert page.status_code == 200, page.content[:300]
    listed = {u.username for u in page.context["cl"].result_list}
    assert receiver.username in listed
    assert other_receiver.username not in listed and citizen.username not in listed
    assert staff_client.get(f"/admin/accounts/user/{receiver.pk}/change/").status_code == 200
    for stranger in (other_receiver, citizen):
        response = staff_client.get(f"/admin/accounts/user/{stranger.pk}/change/")
        assert response.status_code in (302, 403, 404)
        response = staff_client.post(f"/admin/accounts/user/{stranger.pk}/change/",
                                     change_data(stranger, full_name="Đã sửa"))
        stranger.refresh_from_db()
        assert stranger.full_name != "Đã sửa"


def test_staff_flags_cannot_be_raised(staff_client, receiver):
    response = staff_client.post(f"/admin/accounts/user/{receiver.pk}/change/",
                                 change_data(receiver, is_staff="on", is_superuser="on",
                                             full_name="Cán bộ mới tên"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    receiver.refresh_from_db()
    assert receiver.full_name == "Cán bộ mới tên"
    assert not receiver.is_staff and not receiver.is_superuser


def test_new_accounts_belong_to_the_admins_agency(staff_client, staff_admin, other_agency):
    response = staff_client.post("/admin/accounts/user/add/", {
        "username": "can.bo.moi", "full_name": "Lê Văn Mới", "agency": other_agency.pk,
        "kind": AccountKind.CITIZEN, "password1": "mat-khau-rat-dai-2026",
        "password2": "mat-khau-rat-dai-2026", "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "0", "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000", "role_assignments-0-role": Role.RECEIVER})
    assert response.status_code == 302, response.content[:500]
    created = User.objects.get(username="can.bo.moi")
    assert created.agency_id == staff_admin.agency_id and created.kind == AccountKind.OFFICIAL
    assert list(created.role_assignments.values_list("role", flat=True)) == [Role.RECEIVER]


def test_a_province_wide_role_is_refused(staff_client, receiver):
    data = change_data(receiver, **{"role_assignments-TOTAL_FORMS": "1",
                                    "role_assignments-0-role": Role.PROVINCE_ADMIN,
                                    "role_assignments-0-user": str(receiver.pk)})
    response = staff_client.post(f"/admin/accounts/user/{receiver.pk}/change/", data)
    assert response.status_code == 200
    assert "ROLE_GRANT_FORBIDDEN" not in response.content.decode()  # the code is not shown
    assert "không được cấp hoặc bỏ vai trò" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=receiver, role=Role.PROVINCE_ADMIN).exists()


def test_a_province_admin_sees_every_official(client, agency, other_receiver):
    admin = factories.make_official(agency, Role.PROVINCE_ADMIN)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    admin.user_permissions.set(Permission.objects.filter(
        content_type__app_label="accounts", codename__in=PERMISSIONS))
    client.force_login(admin)
    page = client.get("/admin/accounts/user/")
    assert other_receiver.username in {u.username for u in page.context["cl"].result_list}


def test_a_province_admin_of_the_same_agency_is_out_of_reach(staff_client, agency):
    """Else an agency admin could set a province admin's password and sign in as them."""
    chief = factories.make_official(agency, Role.PROVINCE_ADMIN)
    page = staff_client.get("/admin/accounts/user/")
    assert chief.username not in {u.username for u in page.context["cl"].result_list}
    for url in (f"/admin/accounts/user/{chief.pk}/change/",
                f"/admin/accounts/user/{chief.pk}/password/"):
        assert staff_client.get(url).status_code in (302, 403, 404)
    new = "mat-khau-chiem-quyen-1"
    staff_client.post(f"/admin/accounts/user/{chief.pk}/password/",
                      {"password1": new, "password2": new})
    chief.refresh_from_db()
    assert not chief.check_password(new)


def test_roles_are_removed_only_within_reach(staff_client, receiver, agency):
    """A role row deleted in the inline is a revocation: allowed for a working role of the
    agency; an official holding a province-wide role is out of reach, roles and all."""
    kept = RoleAssignment.objects.get(user=receiver, role=Role.RECEIVER)
    data = change_data(receiver, **{
        "role_assignments-TOTAL_FORMS": "1", "role_assignments-INITIAL_FORMS": "1",
        "role_assignments-0-id": str(kept.pk), "role_assignments-0-user": str(receiver.pk),
        "role_assignments-0-role": Role.RECEIVER, "role_assignments-0-DELETE": "on"})
    response = staff_client.post(f"/admin/accounts/user/{receiver.pk}/change/", data)
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=kept.pk).exists()
    viewer = factories.make_official(agency, Role.IOC_VIEWER)
    held = RoleAssignment.objects.get(user=viewer)
    data = change_data(viewer, **{
        "role_assignments-TOTAL_FORMS": "1", "role_assignments-INITIAL_FORMS": "1",
        "role_assignments-0-id": str(held.pk), "role_assignments-0-user": str(viewer.pk),
        "role_assignments-0-role": Role.IOC_VIEWER, "role_assignments-0-DELETE": "on"})
    response = staff_client.post(f"/admin/accounts/user/{viewer.pk}/change/", data)
    assert response.status_code in (302, 403, 404)
    assert RoleAssignment.objects.filter(pk=held.pk).exists()
