"""Row-level agency scope and role checks, per role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from tests import factories
from tinhso.accounts.models import Role, User
from tinhso.accounts.permissions import (
    can_act_on_agency,
    can_grant_role,
    can_manage_user,
    dashboard_agency_ids,
    require_agency,
    require_role,
    visible_agency_ids,
)
from tinhso.core.errors import PermissionDenied
from tinhso.units.models import Agency

pytestmark = pytest.mark.django_db

WORKING_ROLES = [Role.RECEIVER, Role.SPECIALIST, Role.LEADER, Role.CLERK, Role.AGENCY_ADMIN,
                 Role.IOC_VIEWER]


@pytest.mark.parametrize("role", WORKING_ROLES)
def test_officials_see_only_their_agency(role: str, agency: Agency,
                                         other_agency: Agency) -> None:
    user = factories.make_official(agency, role)
    assert visible_agency_ids(user) == {agency.pk}
    assert can_act_on_agency(user, agency.pk)
    assert not can_act_on_agency(user, other_agency.pk)
    with pytest.raises(PermissionDenied):
        require_agency(user, other_agency.pk)
    require_agency(user, agency.pk)


def test_province_admin_sees_all(province_admin: User, other_agency: Agency) -> None:
    assert visible_agency_ids(province_admin) is None
    assert can_act_on_agency(province_admin, other_agency.pk)
    assert dashboard_agency_ids(province_admin) is None


def test_district_leader_does_not_see_communes(province) -> None:
    district = factories.make_agency(unit=province, name="UBND huyện A")
    commune = factories.make_agency(unit=province, name="UBND xã B", parent=district)
    leader = factories.make_official(district, Role.LEADER)
    assert visible_agency_ids(leader) == {district.pk}
    assert not can_act_on_agency(leader, commune.pk)


def test_ioc_viewer_dashboard_scope(agency: Agency, other_agency: Agency) -> None:
    viewer = factories.make_official(agency, Role.LEADER, Role.IOC_VIEWER)
    assert dashboard_agency_ids(viewer) is None
    assert visible_agency_ids(viewer) == {agency.pk}
    leader = factories.make_official(agency, Role.LEADER)
    assert dashboard_agency_ids(leader) == {agency.pk}


def test_applicants_and_anonymous_see_no_agency(citizen: User, agency: Agency) -> None:
    for user in (citizen, AnonymousUser(), None):
        assert visible_agency_ids(user) == set()
        assert not can_act_on_agency(user, agency.pk)
        with pytest.raises(PermissionDenied):
            require_role(user, Role.RECEIVER)


def test_inactive_or_agencyless_official(agency: Agency) -> None:
    user = factories.make_official(agency, Role.PROVINCE_ADMIN)
    user.is_active = False
    assert visible_agency_ids(user) == set()
    loner = factories.make_official(agency, Role.RECEIVER)
    loner.agency = None
    assert visible_agency_ids(loner) == set()
    assert not can_act_on_agency(loner, None)


def test_require_role(receiver: User, province_admin: User) -> None:
    require_role(receiver, Role.RECEIVER, Role.SPECIALIST)
    with pytest.raises(PermissionDenied) as excinfo:
        require_role(receiver, Role.LEADER)
    assert excinfo.value.details == {"required_roles": ["leader"]}
    # Roles are not implied: a province admin is not a receiver unless granted.
    with pytest.raises(PermissionDenied):
        require_role(province_admin, Role.RECEIVER)


def test_manage_and_grant_rules(agency_admin: User, receiver: User, other_receiver: User,
                                province_admin: User, citizen: User) -> None:
    assert can_manage_user(agency_admin, receiver)
    assert not can_manage_user(agency_admin, other_receiver)
    assert not can_manage_user(agency_admin, citizen)
    assert not can_manage_user(receiver, receiver)
    assert can_manage_user(province_admin, other_receiver)
    assert can_manage_user(province_admin, citizen)
    assert can_grant_role(agency_admin, receiver, Role.LEADER)
    assert not can_grant_role(agency_admin, receiver, Role.PROVINCE_ADMIN)
    assert not can_grant_role(agency_admin, receiver, Role.IOC_VIEWER)
    assert not can_grant_role(agency_admin, receiver, "superhero")
    assert can_grant_role(province_admin, other_receiver, Role.PROVINCE_ADMIN)
