"""Officers' rough edges (issue 11): the receipt lists each component once, the steps table
says who handled each step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.backoffice.conftest import pdf
from tinhso.dossiers import services

pytestmark = pytest.mark.django_db


def test_receipt_lists_a_component_answered_twice_once(client, officers, dossier, citizen):
    receiver = officers["receiver"]
    dossier = services.dossier_receive(acting_user=receiver, dossier=dossier)
    dossier = services.dossier_request_supplement(acting_user=receiver, dossier=dossier,
                                                  reason="Bản chụp rõ hơn.")
    services.dossier_supplement(acting_user=citizen, dossier=dossier,
                                files=[("to-khai", pdf("to-khai-2.pdf"))])
    client.force_login(receiver)
    html = client.get(reverse("backoffice:receipt", args=[dossier.code])).content.decode()
    assert "— đã nhận — đã nhận" not in html
    assert html.count("— đã nhận") == 1 and "— đã nhận (2 tệp)" in html


def test_steps_table_shows_who_handled_each_step(client, officers, dossier):
    receiver, specialist = officers["receiver"], officers["specialist"]
    dossier = services.dossier_receive(acting_user=receiver, dossier=dossier)
    dossier = services.dossier_forward(acting_user=specialist, dossier=dossier)
    client.force_login(officers["leader"])
    html = client.get(reverse("backoffice:dossier", args=[dossier.code])).content.decode()
    table = html[html.index('id="steps-title"'):html.index('id="events-title"')]
    rows = table.split("<tr")[2:]
    assert str(receiver) in rows[0]  # reception: the receiver who received it
    assert str(specialist) in rows[1]  # processing: forwarded by the specialist (no assignee)
    assert "Chưa phân công (Lãnh đạo)" in rows[2]  # approval: still open to the leaders


def test_provincial_leaders_land_on_the_ioc_other_officials_on_their_queue(client, agency):
    from tests import factories

    watcher = factories.make_official(agency, "ioc_viewer", username="lanh-dao-tinh")
    leader = factories.make_official(agency, "leader", username="lanh-dao-xa")
    for user, landing in ((watcher, reverse("ioc:overview")),
                          (leader, reverse("backoffice:home"))):
        client.logout()
        response = client.post(reverse("portal:login"), {
            "username": user.username, "password": "matkhau-thu-nghiem-123"})
        assert response.status_code == 302 and response["Location"] == landing
