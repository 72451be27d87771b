"""`tinhso demo` seeds the official address book from the demo agencies and officials."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tinhso.mail.models import AddressEntry, AddressKind
from tinhso.units.models import Agency


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_gives_every_agency_an_official_address():
    call_command("demo", dossiers=0, no_progress=True)
    agencies = Agency.objects.filter(is_active=True).count()
    book = AddressEntry.objects.filter(kind=AddressKind.AGENCY)
    assert book.count() == agencies > 10
    assert all(e.endswith("@binhphuoc.gov.vn") for e in book.values_list("email", flat=True))
    assert AddressEntry.objects.filter(kind=AddressKind.OFFICIAL, user__isnull=False).exists()
    # Searchable without diacritics.
    assert AddressEntry.objects.filter(search_text__contains="tu phap").exists()
