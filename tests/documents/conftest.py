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


@pytest.fixture
def certifier(db, agency, officer):
    """The officer registered as a competent signer of certified copies (Decree 23/2015
    art. 5); the test agency is a department, so as deputy head of its justice office."""
    import datetime as dt

    from tinhso.documents.models import CompetentSigner, SignerPosition

    return CompetentSigner.objects.create(agency=agency, user=officer,
                                          position=SignerPosition.DEPUTY_HEAD,
                                          valid_from=dt.date(2020, 1, 1))
