from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example.vn"
    settings.TINHSO_MAIL_DOMAIN = "binhphuoc.gov.vn"


@pytest.fixture
def official(db, agency):
    return factories.make_official(agency, "specialist")


@pytest.fixture
def agency_address(db, agency):
    from tinhso.mail.models import AddressKind
    from tinhso.mail.services import address_entry_save

    return address_entry_save(acting_user=None, agency=agency, kind=AddressKind.AGENCY,
                              name=agency.name, email="sotuphap@binhphuoc.gov.vn")


@pytest.fixture
def smtp(tmp_path, settings):
    from tests.mail.servers import smtp_server

    with smtp_server(tmp_path) as server:
        settings.TINHSO_MAIL_SMTP_HOST = "127.0.0.1"
        settings.TINHSO_MAIL_SMTP_PORT = server.port
        settings.TINHSO_MAIL_SMTP_SECURITY = "none"
        settings.TINHSO_MAIL_SMTP_USER = ""
        yield server
