from __future__ import annotations

import pytest

from tests import factories
from tests.signatures import pkihelpers as h


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example.vn"


@pytest.fixture
def pki_ready(db):
    return h.init_pki()


@pytest.fixture
def operator(db, agency):
    return factories.make_official(agency, "province_admin")


@pytest.fixture
def officer(db, agency):
    return factories.make_official(agency, "receiver")


@pytest.fixture
def officer_cert(pki_ready, operator, officer):
    return h.issue_personal(operator, officer)
