"""“My dossiers”: timeline in plain words, supplements, downloads, rating, withdrawal, scope."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from tests.portal.conftest import PDF_BYTES, pdf_upload
from tinhso.dossiers import services
from tinhso.dossiers.models import Attachment, AttachmentKind, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers(agency):
    return {role: factories.make_official(agency, role) for role in
            ("receiver", "specialist", "leader")}


@pytest.fixture
def dossier(citizen, procedure, agency):
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf_upload())])


def test_list_shows_own_dossiers_only(citizen_client, dossier, procedure, agency):
    other = factories.make_citizen(id_number="070090005555")
    theirs = services.dossier_submit_online(
        acting_user=other, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Người khác"}, files=[("to-khai", pdf_upload())])
    html = citizen_client.get(reverse("portal:my_dossiers")).content.decode()
    assert dossier.code in html and theirs.code not in html
    assert citizen_client.get(reverse("portal:my_dossier", args=[theirs.code])).status_code == 404


def test_detail_shows_plain_timeline_and_appointment(citizen_client, dossier, officers):
    services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    dossier.refresh_from_db()
    html = citizen_client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    assert "Hồ sơ đã được nộp trực tuyến." in html
    assert "Cơ quan đã tiếp nhận hồ sơ. Ngày hẹn trả kết quả:" in html
    assert "Hẹn trả kết quả" in html


def test_answer_a_supplement_request_by_uploading(citizen_client, dossier, officers):
    services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    services.dossier_request_supplement(acting_user=officers["receiver"], dossier=dossier,
                                        reason="Thiếu bản chụp giấy chứng sinh rõ nét.")
    html = citizen_client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    assert "Thiếu bản chụp giấy chứng sinh rõ nét." in html
    assert "Gửi bổ sung" in html
    response = citizen_client.post(reverse("portal:my_supplement", args=[dossier.code]), {
        "file_to-khai": SimpleUploadedFile("bo-sung.pdf", PDF_BYTES), "note": "Đã chụp lại"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.SUPPLEMENT).exists()


def test_supplement_without_files_is_refused(citizen_client, dossier, officers):
    services.dossier_request_supplement(acting_user=officers["receiver"], dossier=dossier,
                                        reason="Bổ sung tờ khai.")
    response = citizen_client.post(reverse("portal:my_supplement", args=[dossier.code]), {},
                                   follow=True)
    assert "Vui lòng chọn ít nhất một tệp" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED


def test_download_own_attachment_and_not_others(citizen_client, dossier, client):
    attachment = dossier.attachments.get()
    response = citizen_client.get(reverse("portal:my_download",
                                          args=[dossier.code, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    other = factories.make_citizen(id_number="070090005555")
    client.force_login(other)
    assert client.get(reverse("portal:my_download",
                              args=[dossier.code, attachment.pk])).status_code == 404


def _returned(dossier, officers):
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    dossier = services.dossier_approve(acting_user=officers["leader"], dossier=dossier)
    return services.dossier_return_result(acting_user=officers["receiver"], dossier=dossier)


def test_rating_after_the_result(citizen_client, dossier, officers):
    dossier = _returned(dossier, officers)
    html = citizen_client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    assert "Đã trả kết quả." in html and "Gửi đánh giá" in html
    citizen_client.post(reverse("portal:my_rate", args=[dossier.code]), {"rating": "1"})
    dossier.refresh_from_db()
    assert dossier.rating == 1
    html = citizen_client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    assert "Gửi đánh giá" not in html


def test_withdraw_needs_a_reason(citizen_client, dossier):
    citizen_client.post(reverse("portal:my_withdraw", args=[dossier.code]), {"reason": ""})
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW
    citizen_client.post(reverse("portal:my_withdraw", args=[dossier.code]),
                        {"reason": "Nộp nhầm thủ tục"})
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN


def test_internal_notes_of_officials_are_not_shown(citizen_client, dossier, officers):
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    services.dossier_forward(acting_user=officers["specialist"], dossier=dossier,
                             note="Ghi chú nội bộ: kiểm tra kỹ")
    html = citizen_client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    assert "Ghi chú nội bộ" not in html
    assert "Hồ sơ đang được xử lý." in html


def test_pages_use_a_constant_number_of_queries(citizen_client, citizen, procedure, agency,
                                                 officers, django_assert_max_num_queries):
    for _ in range(6):
        d = services.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf_upload())])
        services.dossier_receive(acting_user=officers["receiver"], dossier=d)
    with django_assert_max_num_queries(6):
        citizen_client.get(reverse("portal:my_dossiers"))
    with django_assert_max_num_queries(12):
        citizen_client.get(reverse("portal:my_dossier", args=[d.code]))


def test_tracking_by_code_and_id_number_uses_post(client, dossier, citizen):
    response = client.post(reverse("portal:track"), {"code": dossier.code,
                                                     "id_number": citizen.id_number})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hồ sơ đã được gửi, đang chờ cơ quan tiếp nhận." in html
    assert citizen.full_name not in html
    # GET never looks anything up, whatever its query string says.
    html = client.get(reverse("portal:track"), {"code": dossier.code,
                                                "id_number": citizen.id_number}).content
    assert "đang chờ cơ quan tiếp nhận" not in html.decode()


def test_tracking_with_the_wrong_number_reveals_nothing_and_is_rate_limited(client, dossier,
                                                                           settings):
    settings.TINHSO_TRACK_MAX_FAILURES = 2
    for _ in range(2):
        response = client.post(reverse("portal:track"), {"code": dossier.code,
                                                         "id_number": "070090009999"})
        assert response.status_code == 404
    response = client.post(reverse("portal:track"), {"code": dossier.code,
                                                     "id_number": dossier.applicant_id_number})
    assert response.status_code == 429


def test_payment_due_offers_online_payment(citizen_client, dossier, officers):
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    payment = services.dossier_request_payment(acting_user=officers["specialist"],
                                               dossier=dossier, amount=50000)
    html = citizen_client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    assert "50.000 đ" in html
    assert f'action="/thanh-toan/{payment.pk}/vnpay"' in html
    assert f'/phan-anh/gui/?ho_so={dossier.code}' in html
