"""Stored files are served only through permission-checked views, and only when their bytes
still match their hash; MEDIA_ROOT is never a public URL, debug or not (issue 9)."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.urls import clear_url_caches

from tests.dossiers.conftest import PDF_BYTES, pdf
from tinhso.accounts.models import AuditLog
from tinhso.dossiers import services
from tinhso.dossiers.models import Attachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachment(citizen, procedure, agency, media_root) -> Attachment:
    services.dossier_submit_online(acting_user=citizen, procedure_code=procedure.code,
                                   agency_code=agency.code, form_data={"ho_ten": "A"},
                                   files=[("to-khai", pdf())])
    return Attachment.objects.select_related("dossier").get()


def urls(attachment: Attachment) -> dict[str, str]:
    code = attachment.dossier.code
    return {"citizen": f"/ho-so-cua-toi/{code}/tep/{attachment.pk}/",
            "receiver": f"/mot-cua/ho-so/{code}/tep/{attachment.pk}/?tai_ve=1"}


def get(user, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


def test_good_file_is_served_to_citizen_and_officer(attachment, citizen, officers):
    for who, user in (("citizen", citizen), ("receiver", officers["receiver"])):
        response = get(user, urls(attachment)[who])
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES


@pytest.mark.parametrize("damage", ["truncated", "deleted"])
def test_damaged_file_is_never_served_and_is_reported(attachment, citizen, officers,
                                                      media_root, damage):
    path = f"{media_root}/{attachment.file.name}"
    if damage == "truncated":
        with open(path, "wb") as handle:
            handle.write(PDF_BYTES[:10])
    else:
        import os

        os.unlink(path)
    for who, user in (("citizen", citizen), ("receiver", officers["receiver"])):
        response = get(user, urls(attachment)[who])
        assert response.status_code == 500
        body = response.content.decode()
        assert "FILE_DAMAGED" in body or "FILE_MISSING" in body
        assert "Tệp lưu trữ bị hỏng hoặc bị mất" in body
        assert PDF_BYTES[:10].decode() not in body
    assert AuditLog.objects.filter(action__in=["file_damaged", "file_missing"]).count() == 2


def test_media_url_serves_nothing_even_with_debug(attachment, settings, media_root):
    """With TINHSO_DEBUG on, Django's static() used to publish MEDIA_ROOT without sign-in."""
    import tinhso.urls

    settings.DEBUG = True
    try:
        importlib.reload(tinhso.urls)
        clear_url_caches()
        response = Client().get(f"/media/{attachment.file.name}")
        assert response.status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(tinhso.urls)
        clear_url_caches()
