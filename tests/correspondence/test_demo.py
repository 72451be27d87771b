"""The demo registers of the Department of Justice: incoming and outgoing documents, drafts in
the chain; loading twice changes nothing."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.correspondence.demo import load_correspondence_demo
from tinhso.correspondence.models import IncomingDocument, OutgoingDocument
from tinhso.units.demo import JUSTICE_CODE


@pytest.mark.django_db
def test_demo_documents_load_once():
    justice = factories.make_agency(code=JUSTICE_CODE, name="Sở Tư pháp tỉnh Bình Phước")
    factories.make_official(justice, "specialist", username="stp.chuyenvien")
    leader = factories.make_official(justice, "leader", username="stp.lanhdao")
    assert load_correspondence_demo() == 38
    assert load_correspondence_demo() == 0
    assert IncomingDocument.objects.filter(agency=justice).count() == 24
    numbers = sorted(IncomingDocument.objects.values_list("incoming_number", flat=True))
    assert numbers == list(range(1, 25)) or len(set(numbers)) == 24
    assert OutgoingDocument.objects.filter(state="pending_leader").count() == 1
    from tinhso.correspondence import selectors

    assert len(selectors.outgoing_register(leader, query="chung thuc").items) >= 1
