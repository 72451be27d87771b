"""Fixtures for the accounts tests: officials of two agencies, with the roles the tests need."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.accounts.models import Role, User
from tinhso.units.models import Agency


@pytest.fixture
def province_admin(agency: Agency) -> User:
    return factories.make_official(agency, Role.PROVINCE_ADMIN)


@pytest.fixture
def agency_admin(agency: Agency) -> User:
    return factories.make_official(agency, Role.AGENCY_ADMIN)


@pytest.fixture
def receiver(agency: Agency) -> User:
    return factories.make_official(agency, Role.RECEIVER)


@pytest.fixture
def other_receiver(other_agency: Agency) -> User:
    return factories.make_official(other_agency, Role.RECEIVER)


@pytest.fixture
def other_admin(other_agency: Agency) -> User:
    return factories.make_official(other_agency, Role.AGENCY_ADMIN)
