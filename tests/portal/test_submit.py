"""Online submission: the JSON-Schema wizard, uploads checked by content, review, submit."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from tests import factories
from tests.portal.conftest import PDF_BYTES, PNG_BYTES
from tinhso.dossiers.models import Attachment, Dossier, DossierEvent, Status
from tinhso.portal.models import Draft, DraftFile

pytestmark = pytest.mark.django_db


def start(client, procedure) -> Draft:
    response = client.post(reverse("portal:draft_start", args=[procedure.code]))
    assert response.status_code == 302
    return Draft.objects.latest("created_at")


def fill_all(client, draft, agency):
    client.post(reverse("portal:draft_contact", args=[draft.pk]),
                {"agency": agency.code, "phone": "0912345678", "email": "", "address": ""})
    client.post(reverse("portal:draft_form", args=[draft.pk, "_chung"]), {
        "ho_ten": "Nguyễn Minh Khang", "ngay_sinh": "2026-01-15", "gioi_tinh": "nam",
        "so_ban_sao": "2"})
    client.post(reverse("portal:draft_form", args=[draft.pk, "me"]),
                {"ho_ten": "Nguyễn Thị Mai", "nam_sinh": "1995"})
    component = draft.procedure.components.get(code="to-khai")
    client.post(reverse("portal:draft_upload", args=[draft.pk, component.pk]),
                {"file": SimpleUploadedFile("to khai Nguyen.pdf", PDF_BYTES)},
                HTTP_HX_REQUEST="true")


def test_anonymous_user_is_asked_to_sign_in(client, rich_procedure):
    response = client.post(reverse("portal:draft_start", args=[rich_procedure.code]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert not Draft.objects.exists()


def test_official_cannot_start_an_online_draft(client, rich_procedure, receiver):
    client.force_login(receiver)
    client.post(reverse("portal:draft_start", args=[rich_procedure.code]))
    assert not Draft.objects.exists()


def test_wizard_steps_follow_the_schema(citizen_client, rich_procedure):
    draft = start(citizen_client, rich_procedure)
    html = citizen_client.get(reverse("portal:draft_contact", args=[draft.pk])).content.decode()
    for title in ("Nơi nộp, liên hệ", "Thông tin chung", "Thông tin người mẹ",
                  "Thông tin người cha", "Giấy tờ", "Xem lại và nộp"):
        assert title in html
    html = citizen_client.get(
        reverse("portal:draft_form", args=[draft.pk, "_chung"])).content.decode()
    assert 'type="date"' in html and '<option value="nu">Nữ</option>' in html
    assert 'type="checkbox"' in html and 'type="number"' in html


def test_full_submission_creates_the_dossier(citizen_client, citizen, rich_procedure, agency):
    draft = start(citizen_client, rich_procedure)
    fill_all(citizen_client, draft, agency)
    assert DraftFile.objects.filter(draft=draft).count() == 1
    html = citizen_client.get(reverse("portal:draft_review", args=[draft.pk])).content.decode()
    assert "Nguyễn Minh Khang" in html and "15/01/2026" in html and "Nam" in html
    response = citizen_client.post(reverse("portal:draft_review", args=[draft.pk]),
                                   {"confirm": "1"})
    dossier = Dossier.objects.get(applicant=citizen)
    assert response["Location"] == reverse("portal:my_dossier", args=[dossier.code])
    assert dossier.status == Status.NEW
    assert dossier.form_data == {"ho_ten": "Nguyễn Minh Khang", "ngay_sinh": "2026-01-15",
                                 "gioi_tinh": "nam", "so_ban_sao": 2, "song_sinh": False,
                                 "me": {"ho_ten": "Nguyễn Thị Mai", "nam_sinh": 1995}}
    assert dossier.applicant_phone == "0912345678"
    attachment = Attachment.objects.get(dossier=dossier)
    assert attachment.content_type == "application/pdf"
    assert not DraftFile.objects.filter(draft=draft).exists()
    # A second click on "submit" finds the same dossier instead of creating another.
    again = citizen_client.post(reverse("portal:draft_review", args=[draft.pk]),
                                {"confirm": "1"})
    assert again.status_code == 302
    assert Dossier.objects.filter(applicant=citizen).count() == 1
    assert DossierEvent.objects.filter(dossier=dossier).count() == 1


def test_required_fields_show_vietnamese_errors(citizen_client, rich_procedure):
    draft = start(citizen_client, rich_procedure)
    response = citizen_client.post(reverse("portal:draft_form", args=[draft.pk, "_chung"]),
                                   {"ho_ten": "", "ngay_sinh": "15/13/2026",
                                    "so_ban_sao": "99"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trường này là bắt buộc." in html
    assert "Nhập một ngày hợp lệ." in html
    assert "nhỏ hơn hoặc bằng 10" in html  # our corrected translation (no stray "với")
    assert 'id="error-summary"' in html
    draft.refresh_from_db()
    assert draft.form_data == {}


def test_optional_nested_object_may_stay_empty_but_not_half_filled(citizen_client,
                                                                  rich_procedure):
    draft = start(citizen_client, rich_procedure)
    url = reverse("portal:draft_form", args=[draft.pk, "cha"])
    assert citizen_client.post(url, {"ho_ten": ""}).status_code == 302
    draft.refresh_from_db()
    assert "cha" not in draft.form_data


def test_upload_rejects_a_file_by_content_not_name(citizen_client, rich_procedure):
    draft = start(citizen_client, rich_procedure)
    component = rich_procedure.components.get(code="to-khai")
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf at all",
                              content_type="application/pdf")
    response = citizen_client.post(reverse("portal:draft_upload", args=[draft.pk, component.pk]),
                                   {"file": fake}, HTTP_HX_REQUEST="true")
    assert "không đúng định dạng cho phép" in response.content.decode()
    assert not DraftFile.objects.exists()


def test_upload_rejects_oversize_files(citizen_client, rich_procedure, settings):
    settings.TINHSO_MAX_UPLOAD_BYTES = 100
    draft = start(citizen_client, rich_procedure)
    component = rich_procedure.components.get(code="to-khai")
    big = SimpleUploadedFile("anh.png", PNG_BYTES + b"\0" * 200)
    response = citizen_client.post(reverse("portal:draft_upload", args=[draft.pk, component.pk]),
                                   {"file": big}, HTTP_HX_REQUEST="true")
    assert "vượt quá dung lượng cho phép" in response.content.decode()
    assert not DraftFile.objects.exists()


def test_file_inputs_carry_client_side_limits(citizen_client, rich_procedure):
    draft = start(citizen_client, rich_procedure)
    html = citizen_client.get(reverse("portal:draft_files", args=[draft.pk])).content.decode()
    assert 'data-max-bytes="' in html and "application/pdf" in html
    assert 'hx-encoding="multipart/form-data"' in html and "<progress" in html


def test_remove_uploaded_file(citizen_client, rich_procedure):
    draft = start(citizen_client, rich_procedure)
    component = rich_procedure.components.get(code="to-khai")
    citizen_client.post(reverse("portal:draft_upload", args=[draft.pk, component.pk]),
                        {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)})
    row = DraftFile.objects.get()
    citizen_client.post(reverse("portal:draft_remove_file", args=[draft.pk, row.pk]))
    assert not DraftFile.objects.exists()


def test_files_step_blocks_when_a_required_document_is_missing(citizen_client, rich_procedure):
    draft = start(citizen_client, rich_procedure)
    response = citizen_client.post(reverse("portal:draft_files", args=[draft.pk]), follow=True)
    assert "Còn thiếu giấy tờ bắt buộc" in response.content.decode()


def test_submit_without_confirmation_or_with_bad_data_changes_nothing(
        citizen_client, citizen, rich_procedure, agency):
    draft = start(citizen_client, rich_procedure)
    fill_all(citizen_client, draft, agency)
    html = citizen_client.post(reverse("portal:draft_review", args=[draft.pk]),
                               {}).content.decode()
    assert "Vui lòng xác nhận" in html
    Draft.objects.filter(pk=draft.pk).update(form_data={"ho_ten": "X"})
    html = citizen_client.post(reverse("portal:draft_review", args=[draft.pk]),
                               {"confirm": "1"}).content.decode()
    assert "Tờ khai chưa hợp lệ" in html
    assert not Dossier.objects.filter(applicant=citizen).exists()


def test_another_users_draft_is_404(client, rich_procedure, citizen):
    client.force_login(citizen)
    draft = start(client, rich_procedure)
    other = factories.make_citizen(id_number="070090005555")
    client.force_login(other)
    for url in (reverse("portal:draft_contact", args=[draft.pk]),
                reverse("portal:draft_review", args=[draft.pk]),
                reverse("portal:draft_files", args=[draft.pk])):
        assert client.get(url).status_code == 404


def test_save_and_exit_keeps_the_draft(citizen_client, rich_procedure, agency):
    draft = start(citizen_client, rich_procedure)
    response = citizen_client.post(reverse("portal:draft_contact", args=[draft.pk]),
                                   {"agency": agency.code, "phone": "0912345678",
                                    "save_exit": "1"})
    assert response["Location"] == reverse("portal:my_dossiers")
    html = citizen_client.get(reverse("portal:my_dossiers")).content.decode()
    assert "Hồ sơ đang soạn" in html and rich_procedure.name in html
    resume = citizen_client.get(reverse("portal:draft_resume", args=[draft.pk]))
    assert resume["Location"] == reverse("portal:draft_form", args=[draft.pk, "_chung"])


def test_delete_draft_leaves_its_files_to_the_sweep(citizen_client, rich_procedure):
    """Requests never delete stored files (another row may share one: issue 9); the sweep
    removes a deleted draft's file once nothing references it."""
    from tinhso.core.blobsweep import sweep_orphans

    draft = start(citizen_client, rich_procedure)
    component = rich_procedure.components.get(code="to-khai")
    citizen_client.post(reverse("portal:draft_upload", args=[draft.pk, component.pk]),
                        {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)})
    path = DraftFile.objects.get().file.path
    with TestCase.captureOnCommitCallbacks(execute=True):
        citizen_client.post(reverse("portal:draft_delete", args=[draft.pk]))
    assert not Draft.objects.exists()
    assert os.path.exists(path)
    sweep_orphans(min_age=0)
    assert not os.path.exists(path)
