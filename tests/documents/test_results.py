"""The real result of a decision (issue 11): an uploaded PDF sealed by the platform or one
generated from the procedure's template, exactly one per decision; replacement is explicit,
audited and keeps the old result."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from reportlab.pdfgen import canvas

from tests import factories
from tests.dossiers.conftest import pdf
from tests.dossiers.test_api import bearer
from tests.signatures import pkihelpers
from tinhso.accounts.models import AuditLog
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.documents import results
from tinhso.documents.models import Document, DossierResult, ResultSource
from tinhso.dossiers import services
from tinhso.outbox.models import OutboxEvent
from tinhso.signatures.verify import verify_known_or_full, verify_pdf


def decision_pdf(text: str = "Quyết định cấp phép số 12/QĐ-UBND") -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text.encode("ascii", "replace").decode())
    page.showPage()
    page.save()
    return out.getvalue()


def upload(name: str = "quyet-dinh.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or decision_pdf(), content_type="application/pdf")


@pytest.fixture
def staff(agency):
    return {role: factories.make_official(agency, role, username=f"kq-{role}")
            for role in ("receiver", "specialist", "leader")}


def approved(citizen, agency, staff, *, result_type: str = "paper"):
    procedure = factories.make_procedure(agencies=[agency], result_type=result_type)
    dossier = services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Phạm Thị Hoa"}, files=[("to-khai", pdf())])
    dossier = services.dossier_receive(acting_user=staff["receiver"], dossier=dossier)
    dossier = services.dossier_assign(acting_user=staff["leader"], dossier=dossier,
                                      assignee=staff["specialist"])
    dossier = services.dossier_forward(acting_user=staff["specialist"], dossier=dossier)
    return services.dossier_approve(acting_user=staff["leader"], dossier=dossier)


@pytest.mark.django_db
def test_an_uploaded_pdf_is_sealed_by_the_agency_and_verifies(citizen, agency, staff):
    pkihelpers.init_pki()
    dossier = approved(citizen, agency, staff)
    original = decision_pdf()
    result = results.result_attach(acting_user=staff["specialist"], dossier=dossier,
                                   source="uploaded", upload=upload(content=original))
    doc = result.document
    assert (result.source, doc.form, doc.dossier_id) == (ResultSource.UPLOADED, "result",
                                                         dossier.pk)
    assert [s["kind"] for s in doc.signers] == ["organisation"]
    signed = doc.attachment.file.open("rb").read()
    assert signed.startswith(original)  # sealed incrementally: the agency's bytes untouched
    assert doc.attachment.original_name == "quyet-dinh.pdf"
    assert verify_known_or_full(signed).valid is True  # the public page's path
    full = verify_pdf(signed)  # and the full PAdES validation, signature by signature
    assert full.valid is True and [s.trusted and s.intact for s in full.signatures] == [True]
    audit = AuditLog.objects.get(action="result_attach", object_id=dossier.code)
    assert audit.data["source"] == "uploaded" and audit.data["document"] == str(doc.uuid)
    event = OutboxEvent.objects.get(type="dossier.result_attached")
    assert event.payload["document_uuid"] == str(doc.uuid)


@pytest.mark.django_db
def test_a_second_attach_is_refused_and_changes_nothing(citizen, agency, staff):
    pkihelpers.init_pki()
    dossier = approved(citizen, agency, staff)
    results.result_attach(acting_user=staff["specialist"], dossier=dossier, source="uploaded",
                          upload=upload())
    for source, file in (("uploaded", upload("khac.pdf")), ("generated", None)):
        with pytest.raises(Conflict) as exc:
            results.result_attach(acting_user=staff["leader"], dossier=dossier, source=source,
                                  upload=file)
        assert exc.value.code == "RESULT_ALREADY_ATTACHED"
    assert DossierResult.objects.filter(dossier=dossier).count() == 1
    assert Document.objects.filter(dossier=dossier, form="result").count() == 1


@pytest.mark.django_db
def test_the_generated_result_of_an_electronic_approval_is_the_one_result(
        citizen, agency, staff, django_capture_on_commit_callbacks):
    pkihelpers.init_pki()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = approved(citizen, agency, staff, result_type="electronic")
    result = results.current_result(dossier)
    assert result is not None and result.source == ResultSource.GENERATED
    assert result.document is not None and result.document == result.job.document
    with pytest.raises(Conflict):
        results.result_attach(acting_user=staff["specialist"], dossier=dossier,
                              source="uploaded", upload=upload())
    # The "Phát hành PDF" button re-signs nothing and adds no second result.
    from tinhso.documents import issuing

    issuing.document_request(acting_user=staff["receiver"], dossier=dossier, form="result")
    assert Document.objects.filter(dossier=dossier, form="result").count() == 1


@pytest.mark.django_db
def test_generated_on_request_for_a_paper_procedure(citizen, agency, staff,
                                                    django_capture_on_commit_callbacks):
    pkihelpers.init_pki()
    dossier = approved(citizen, agency, staff)
    assert results.current_result(dossier) is None  # a paper result: nothing generated
    with django_capture_on_commit_callbacks(execute=True):
        result = results.result_attach(acting_user=staff["specialist"], dossier=dossier,
                                       source="generated")
    result.refresh_from_db()
    assert result.document is not None and result.document.form == "result"
    # Generating again is refused like any second attach.
    with pytest.raises(Conflict):
        results.result_attach(acting_user=staff["specialist"], dossier=dossier,
                              source="generated")


@pytest.mark.django_db
def test_replacing_is_a_leaders_explicit_audited_act_that_keeps_the_old_result(
        citizen, agency, staff):
    pkihelpers.init_pki()
    dossier = approved(citizen, agency, staff)
    first = results.result_attach(acting_user=staff["specialist"], dossier=dossier,
                                  source="uploaded", upload=upload("sai.pdf"))
    with pytest.raises(PermissionDenied):
        results.result_attach(acting_user=staff["specialist"], dossier=dossier,
                              source="uploaded", upload=upload(), replace=True, reason="Sai tên")
    with pytest.raises(ValidationFailed) as exc:
        results.result_attach(acting_user=staff["leader"], dossier=dossier, source="uploaded",
                              upload=upload(), replace=True, reason="   ")
    assert exc.value.code == "REASON_REQUIRED"
    second = results.result_attach(acting_user=staff["leader"], dossier=dossier,
                                   source="uploaded", upload=upload("dung.pdf"), replace=True,
                                   reason="Sai họ tên người được cấp")
    first.refresh_from_db()
    assert first.replaced_at is not None and first.replaced_by == staff["leader"]
    assert first.replace_reason == "Sai họ tên người được cấp"
    assert results.current_result(dossier) == second
    assert DossierResult.objects.filter(dossier=dossier).count() == 2  # history kept
    audit = AuditLog.objects.get(action="result_replace")
    assert audit.data["replaced_result"] == first.pk
    assert OutboxEvent.objects.filter(type="dossier.result_attached").count() == 2


@pytest.mark.django_db
def test_refusals_before_the_decision_and_for_bad_files(citizen, agency, staff):
    pkihelpers.init_pki()
    procedure = factories.make_procedure(agencies=[agency], result_type="paper")
    dossier = services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Phạm Thị Hoa"}, files=[("to-khai", pdf())])
    with pytest.raises(Conflict) as exc:
        results.result_attach(acting_user=staff["leader"], dossier=dossier, source="uploaded",
                              upload=upload())
    assert exc.value.code == "RESULT_NO_DECISION"
    dossier = approved(citizen, agency, staff)
    active = decision_pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction "
                                    b"<< /S /JavaScript /JS (app.alert(1)) >>", 1)
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
    for file, code in ((upload(content=active), "FILE_ACTIVE_CONTENT"),
                       (SimpleUploadedFile("a.png", png, "image/png"), "RESULT_NOT_PDF"),
                       (None, "RESULT_FILE_REQUIRED")):
        with pytest.raises(ValidationFailed) as exc:
            results.result_attach(acting_user=staff["leader"], dossier=dossier,
                                  source="uploaded", upload=file)
        assert exc.value.code == code
    with pytest.raises(PermissionDenied):
        results.result_attach(acting_user=citizen, dossier=dossier, source="generated")
    assert not DossierResult.objects.exists()


@pytest.mark.django_db
def test_api_attach_get_and_409(citizen, agency, staff):
    pkihelpers.init_pki()
    dossier = approved(citizen, agency, staff)
    client, auth = Client(), bearer(staff["specialist"])
    url = f"/api/v1/dossiers/{dossier.code}/result"
    assert client.get(url, **auth).json()["code"] == "RESULT_NOT_FOUND"
    response = client.post(url, {"source": "uploaded", "file": upload()}, **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "uploaded" and body["state"] == "signed"
    assert body["verify_url"].endswith(body["document_uuid"])
    again = client.post(url, {"source": "generated"}, **auth)
    assert again.status_code == 409 and again.json()["code"] == "RESULT_ALREADY_ATTACHED"
    assert client.get(url, **auth).json()["document_uuid"] == body["document_uuid"]
    # The citizen reads it too (their own dossier), and cannot attach.
    citizen_auth = bearer(citizen)
    assert client.get(url, **citizen_auth).status_code == 200
    assert client.post(url, {"source": "generated", "replace": "true", "reason": "x"},
                       **citizen_auth).status_code == 403


@pytest.mark.django_db
def test_back_office_form_then_the_citizen_downloads_it(citizen, agency, staff):
    pkihelpers.init_pki()
    dossier = approved(citizen, agency, staff)
    officer = Client()
    officer.force_login(staff["specialist"])
    page = officer.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "data-result-section" in page and 'name="tep"' in page
    response = officer.post(f"/mot-cua/ho-so/{dossier.code}/ket-qua/",
                            {"nguon": "uploaded", "tep": upload()})
    assert response.status_code == 302
    result = results.current_result(dossier)
    assert result is not None
    page = officer.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert 'data-result-source="uploaded"' in page
    # A second attach from the page: refused with its code, shown as a message.
    officer.post(f"/mot-cua/ho-so/{dossier.code}/ket-qua/", {"nguon": "generated"})
    page = officer.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "RESULT_ALREADY_ATTACHED" in page
    web = Client()
    web.force_login(citizen)
    page = web.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    link = f"/ho-so-cua-toi/{dossier.code}/tep/{result.document.attachment_id}/"
    assert "data-result" in page and link in page
    assert "theo quy định" not in page.split("data-result", 1)[1].split("</section>", 1)[0]
    download = web.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == result.document.file.open("rb").read()


@pytest.mark.django_db
def test_the_citizen_sees_only_the_current_result(citizen, agency, staff):
    pkihelpers.init_pki()
    dossier = approved(citizen, agency, staff)
    first = results.result_attach(acting_user=staff["specialist"], dossier=dossier,
                                  source="uploaded", upload=upload("sai.pdf"))
    results.result_attach(acting_user=staff["leader"], dossier=dossier, source="uploaded",
                          upload=upload("dung.pdf", decision_pdf("Quyet dinh 13")),
                          replace=True, reason="Sai số quyết định")
    web = Client()
    web.force_login(citizen)
    page = web.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "dung.pdf" in page and "sai.pdf" not in page
    assert f"/tep/{first.document.attachment_id}/" not in page


@pytest.mark.django_db(transaction=True)
def test_two_racing_attaches_one_wins_the_other_gets_409(citizen, agency, staff, monkeypatch):
    """Both requests pass the early check and sign; the barrier lets neither commit before
    both have signed. The database decides: one 201, one 409, one current result."""
    pkihelpers.init_pki()
    dossier = approved(citizen, agency, staff)
    barrier = threading.Barrier(2, timeout=60)
    real_seal = results._seal

    def seal_then_wait(content, agency_):
        sealed = real_seal(content, agency_)
        barrier.wait()
        return sealed

    monkeypatch.setattr(results, "_seal", seal_then_wait)
    auths = [bearer(staff["specialist"]), bearer(staff["leader"])]
    statuses: list[int] = []

    def attach(auth):
        from django.db import connection

        try:
            response = Client().post(f"/api/v1/dossiers/{dossier.code}/result",
                                     {"source": "uploaded", "file": upload()}, **auth)
            statuses.append(response.status_code)
            if response.status_code == 409:
                assert response.json()["code"] == "RESULT_ALREADY_ATTACHED"
        finally:
            connection.close()

    threads = [threading.Thread(target=attach, args=(a,)) for a in auths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert sorted(statuses) == [201, 409]
    assert DossierResult.objects.filter(dossier=dossier).count() == 1
    assert Document.objects.filter(dossier=dossier, form="result").count() == 1
