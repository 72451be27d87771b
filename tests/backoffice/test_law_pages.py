"""The back office links the dossier register (form 07) of the officer's agency, and offers
forms 05–06 for issuing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.backoffice.test_backoffice import login

pytestmark = pytest.mark.django_db


def test_queue_page_offers_the_register_of_the_own_agency(client, officers, agency, dossier):
    login(client, officers["receiver"])
    html = client.get(reverse("backoffice:queue", args=["to_receive"])).content.decode()
    assert 'action="/api/v1/documents/register"' in html
    assert f'name="agency" value="{agency.code}"' in html
    html = client.get(reverse("backoffice:dossier", args=[dossier.code])).content.decode()
    assert 'value="05"' in html and 'value="06"' in html
