"""A leader approves and signs an outgoing document on a phone (390 px wide): the page does
not scroll sideways, the signing form works, the PDF gets the leader's signature; the clerk
then seals it. No CSP violation on the way (checked by the browser fixture)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password

from tests.browser.test_journeys import PASSWORD, _css, _page_has, _wait, login
from tests.correspondence.conftest import make_side

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting(settings, tmp_path):
    from tests import factories
    from tests.signatures.pkihelpers import init_pki, issue_personal
    from tinhso.correspondence import services_out as out

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example.vn"
    init_pki()
    side = make_side("000.00.00.H10", "Ủy ban nhân dân tỉnh Bình Phước", "UBND", "VP")
    issue_personal(factories.make_official(side.agency, "province_admin"), side.leader)
    for user in (side.leader, side.clerk):
        user.password = make_password(PASSWORD)
        user.save(update_fields=["password"])
    doc = out.outgoing_create(acting_user=side.head, doc_type="QĐ",
                              subject="Về việc ban hành quy chế làm việc",
                              body="Điều 1. Ban hành kèm theo Quyết định này Quy chế.")
    out.outgoing_submit(acting_user=side.head, document=doc)
    return side, doc


def test_leader_approves_and_signs_on_a_phone(browser, shot, live_server, waiting):
    from tinhso.correspondence.models import OutState

    side, doc = waiting
    browser.set_window_size(390, 844)
    login(browser, live_server.url, side.leader.username)
    browser.get(f"{live_server.url}/van-ban/di/{doc.pk}/")
    _wait(browser, _page_has("Duyệt và ký số"))
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, "no horizontal scrolling on a phone"
    shot("phone-before-sign")
    button = _css(browser, "#btn-sign")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    _wait(browser, _page_has("Đã thực hiện"))
    shot("phone-signed")
    doc.refresh_from_db()
    assert doc.state == OutState.SIGNED and doc.notation == "01/QĐ-UBND"
    browser.delete_all_cookies()
    login(browser, live_server.url, side.clerk.username)
    browser.get(f"{live_server.url}/van-ban/di/{doc.pk}/")
    _css(browser, "#btn-seal").click()
    _wait(browser, _page_has("Đã thực hiện"))
    doc.refresh_from_db()
    assert doc.state == OutState.ISSUED
