"""Back office: queues with counts, scope (404 elsewhere), actions with reasons, intake, receipt."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.backoffice.conftest import PDF_BYTES, pdf
from tinhso.dossiers import services
from tinhso.dossiers.models import Channel, Dossier, DossierEvent, Status

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_anonymous_is_sent_to_sign_in_and_citizens_are_refused(client, citizen):
    response = client.get(reverse("backoffice:home"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("portal:login"))
    login(client, citizen)
    assert client.get(reverse("backoffice:queue", args=["to_receive"])).status_code == 403


def test_receiver_starts_on_the_reception_queue_with_counts(client, officers, dossier):
    login(client, officers["receiver"])
    response = client.get(reverse("backoffice:home"))
    assert response["Location"] == reverse("backoffice:queue", args=["to_receive"])
    html = client.get(response["Location"]).content.decode()
    assert dossier.code in html
    assert 'id="queue-counts"' in html and "Chờ tiếp nhận" in html
    assert '<span class="count">1</span>' in html


def test_other_agencys_dossier_is_404(client, dossier, other_agency):
    outsider = factories.make_official(other_agency, "receiver", "specialist", "leader")
    login(client, outsider)
    assert client.get(reverse("backoffice:dossier", args=[dossier.code])).status_code == 404
    attachment = dossier.attachments.get()
    assert client.get(reverse("backoffice:attachment",
                              args=[dossier.code, attachment.pk])).status_code == 404
    assert client.get(reverse("backoffice:action",
                              args=[dossier.code, "receive"])).status_code == 404
    assert client.post(reverse("backoffice:action", args=[dossier.code, "receive"]),
                       {"version": dossier.version}).status_code == 404
    assert dossier.code not in client.get(
        reverse("backoffice:queue", args=["to_receive"])).content.decode()


def test_only_allowed_actions_are_shown(client, officers, dossier):
    login(client, officers["specialist"])
    html = client.get(reverse("backoffice:dossier", args=[dossier.code])).content.decode()
    assert reverse("backoffice:action", args=[dossier.code, "receive"]) not in html
    login(client, officers["receiver"])
    html = client.get(reverse("backoffice:dossier", args=[dossier.code])).content.decode()
    assert reverse("backoffice:action", args=[dossier.code, "receive"]) in html
    assert reverse("backoffice:action", args=[dossier.code, "approve"]) not in html


def test_action_not_allowed_now_changes_nothing(client, officers, dossier):
    login(client, officers["leader"])
    response = client.post(reverse("backoffice:action", args=[dossier.code, "approve"]),
                           {"version": dossier.version})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW


def test_refusal_requires_a_reason(client, officers, dossier):
    login(client, officers["receiver"])
    url = reverse("backoffice:action", args=[dossier.code, "refuse"])
    response = client.post(url, {"version": dossier.version, "reason": ""})
    assert response.status_code == 200
    assert "Trường này là bắt buộc." in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW
    client.post(url, {"version": dossier.version, "reason": "Hồ sơ không thuộc thẩm quyền."})
    dossier.refresh_from_db()
    assert dossier.status == Status.REFUSED
    assert DossierEvent.objects.filter(dossier=dossier, action="refuse",
                                       note="Hồ sơ không thuộc thẩm quyền.").exists()


def test_stale_version_gives_409_and_changes_nothing(client, officers, dossier):
    login(client, officers["receiver"])
    response = client.post(reverse("backoffice:action", args=[dossier.code, "receive"]),
                           {"version": dossier.version + 5, "note": ""})
    assert response.status_code == 409
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW


def test_full_processing_through_the_pages(client, officers, dossier):
    def act(user, action, **data):
        login(client, user)
        current = Dossier.objects.get(pk=dossier.pk)
        html = client.get(reverse("backoffice:dossier", args=[current.code])).content.decode()
        assert reverse("backoffice:action", args=[current.code, action]) in html
        response = client.post(reverse("backoffice:action", args=[current.code, action]),
                               {"version": current.version, **data})
        assert response.status_code == 302, response.content.decode()[:2000]
        return Dossier.objects.get(pk=dossier.pk)

    assert act(officers["receiver"], "receive").status == Status.RECEIVED
    assert act(officers["specialist"], "forward", note="Đủ điều kiện").current_role == "leader"
    assert act(officers["leader"], "approve").status == Status.PROCESSED
    assert act(officers["receiver"], "return_result").status == Status.RETURNED


def test_supplement_request_and_return_to_step(client, officers, dossier):
    login(client, officers["receiver"])
    client.post(reverse("backoffice:action", args=[dossier.code, "request_supplement"]),
                {"version": dossier.version, "reason": "Thiếu giấy chứng sinh."})
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED


def test_attachment_preview_is_inline_and_download_is_attachment(client, officers, dossier):
    login(client, officers["receiver"])
    attachment = dossier.attachments.get()
    url = reverse("backoffice:attachment", args=[dossier.code, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert client.get(url + "?tai_ve=1")["Content-Disposition"].startswith("attachment")


def test_counter_intake_creates_a_received_dossier_and_prints_the_receipt(
        client, officers, procedure):
    login(client, officers["receiver"])
    html = client.get(reverse("backoffice:intake"), {"q": "khai sinh"}).content.decode()
    assert procedure.name in html
    url = reverse("backoffice:intake_form", args=[procedure.code])
    response = client.post(url, {
        "applicant_kind": "citizen", "applicant_id_number": "070190012345",
        "applicant_name": "Phạm Thị Hoa", "applicant_phone": "0912345678",
        "channel": str(Channel.DIRECT), "_chung-ho_ten": "Phạm Minh Tú",
        "file_to-khai": pdf()})
    dossier = Dossier.objects.get(applicant_name="Phạm Thị Hoa")
    assert response["Location"] == reverse("backoffice:receipt", args=[dossier.code])
    assert dossier.status == Status.RECEIVED and dossier.channel == Channel.DIRECT
    assert dossier.form_data == {"ho_ten": "Phạm Minh Tú"}
    html = client.get(response["Location"]).content.decode()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in html and dossier.code in html
    assert "data-print" in html


def test_counter_intake_shows_field_errors_and_creates_nothing(client, officers, procedure):
    login(client, officers["receiver"])
    url = reverse("backoffice:intake_form", args=[procedure.code])
    response = client.post(url, {
        "applicant_kind": "citizen", "applicant_id_number": "123",
        "applicant_name": "Phạm Thị Hoa", "channel": str(Channel.DIRECT),
        "_chung-ho_ten": "", "file_to-khai": pdf()})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trường này là bắt buộc." in html
    assert not Dossier.objects.exists()
    response = client.post(url, {
        "applicant_kind": "citizen", "applicant_id_number": "123",
        "applicant_name": "Phạm Thị Hoa", "channel": str(Channel.DIRECT),
        "_chung-ho_ten": "Tú", "file_to-khai": pdf()})
    assert "Số định danh cá nhân không hợp lệ" in response.content.decode()
    assert not Dossier.objects.exists()


def test_specialist_cannot_do_counter_intake(client, officers, procedure):
    login(client, officers["specialist"])
    assert client.get(reverse("backoffice:intake"))["Location"] == reverse("backoffice:home")


def test_queue_filters_and_sorting(client, officers, submit):
    first, second = submit(), submit()
    login(client, officers["receiver"])
    url = reverse("backoffice:queue", args=["to_receive"])
    html = client.get(url, {"ma": second.code}).content.decode()
    assert second.code in html and first.code not in html
    html = client.get(url, {"sap_xep": "-submitted_at"}).content.decode()
    assert html.index(second.code) < html.index(first.code)
    html = client.get(url, {"kenh": str(Channel.DIRECT)}).content.decode()
    assert first.code not in html
    assert client.get(url, {"after": "garbage"}).status_code == 404
    assert client.get(reverse("backoffice:queue", args=["nope"])).status_code == 404


def test_queue_pagination_walks_every_row_once(client, officers, submit, monkeypatch):
    monkeypatch.setattr("tinhso.backoffice.views.PER_PAGE", 2)
    codes = [submit().code for _ in range(5)]
    login(client, officers["receiver"])
    url = reverse("backoffice:queue", args=["to_receive"])
    seen: list[str] = []
    params: dict[str, str] = {"sap_xep": "submitted_at"}
    for _ in range(5):
        response = client.get(url, params)
        page = response.context["page"]
        seen += [d.code for d in page.rows]
        if not page.has_next:
            break
        params = {"sap_xep": "submitted_at", "after": page.next_cursor}
    assert seen == codes


def test_pages_use_a_constant_number_of_queries(client, officers, submit,
                                                django_assert_max_num_queries):
    for _ in range(3):
        submit()
    login(client, officers["receiver"])
    url = reverse("backoffice:queue", args=["to_receive"])
    client.get(url)
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    for _ in range(10):
        services.dossier_receive(acting_user=officers["receiver"], dossier=submit())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    dossier = submit()
    services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    with django_assert_max_num_queries(14):
        client.get(reverse("backoffice:dossier", args=[dossier.code]))
