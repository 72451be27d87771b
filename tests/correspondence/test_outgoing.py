"""Outgoing documents: versions and comments, the approval chain, Decree 30 numbering and
notation, the two PAdES signatures (leader, agency seal) that both verify."""

from __future__ import annotations

import pytest

from tests.correspondence.conftest import chain_to_issued
from tinhso.core.errors import DomainError
from tinhso.correspondence import services_out as out
from tinhso.correspondence.doctypes import notation, retain_until
from tinhso.correspondence.models import OutgoingEvent, OutgoingVersion, OutState
from tinhso.correspondence.render import date_line

pytestmark = pytest.mark.django_db


def test_notation_follows_decree_30():
    assert notation(123, "QĐ", "UBND") == "123/QĐ-UBND"
    assert notation(5, "CV", "UBND", "VP") == "05/UBND-VP"
    assert notation(7, "TB", "STP") == "07/TB-STP"
    assert retain_until("QĐ", 2026) is None and retain_until("GM", 2026) == 2031


def test_date_line_zero_pads_days_and_first_two_months():
    import datetime as dt

    assert date_line("Đồng Xoài", dt.date(2026, 1, 5)) == "Đồng Xoài, ngày 05 tháng 01 năm 2026"
    assert date_line("Đồng Xoài", dt.date(2026, 11, 25)) == "Đồng Xoài, ngày 25 tháng 11 năm 2026"


def test_each_edit_is_an_immutable_version_and_comments_are_kept(sides):
    a, _ = sides
    doc = out.outgoing_create(acting_user=a.specialist, doc_type="CV", subject="Về việc A",
                              body="Nội dung 1")
    out.outgoing_edit(acting_user=a.specialist, document=doc, subject="Về việc B",
                      body="Nội dung 2", expected_version=1)
    out.outgoing_comment(acting_user=a.head, document=doc, text="Đề nghị bổ sung căn cứ.")
    versions = list(OutgoingVersion.objects.filter(document=doc).values_list(
        "number", "subject", "body"))
    assert versions == [(1, "Về việc A", "Nội dung 1"), (2, "Về việc B", "Nội dung 2")]
    with pytest.raises(DomainError) as err:
        out.outgoing_edit(acting_user=a.specialist, document=doc, subject="C", body="",
                          expected_version=1)
    assert err.value.code == "CORR_VERSION_CONFLICT"
    assert OutgoingEvent.objects.filter(document=doc, action="comment").get().note == \
        "Đề nghị bổ sung căn cứ."
    # Another agency's official cannot touch it.
    with pytest.raises(DomainError):
        out.outgoing_comment(acting_user=sides[1].specialist, document=doc, text="x")


def test_chain_specialist_head_leader_then_two_signatures_verify(sides):
    from tinhso.signatures.verify import verify_pdf

    a, _ = sides
    doc = out.outgoing_create(acting_user=a.specialist, doc_type="QĐ", subject="Về việc X",
                              body="Điều 1.")
    with pytest.raises(DomainError) as err:  # the leader cannot skip the head of unit
        out.outgoing_sign(acting_user=a.leader, document=doc)
    assert err.value.code == "CORR_WRONG_STATE"
    out.outgoing_submit(acting_user=a.specialist, document=doc)
    doc.refresh_from_db()
    assert doc.state == OutState.PENDING_HEAD
    with pytest.raises(DomainError) as err:
        out.outgoing_approve(acting_user=a.specialist, document=doc)
    assert err.value.code == "CORR_NOT_HEAD"
    out.outgoing_return(acting_user=a.head, document=doc, note="Sửa căn cứ")
    out.outgoing_submit(acting_user=a.specialist, document=doc)
    out.outgoing_approve(acting_user=a.head, document=doc)
    with pytest.raises(DomainError):  # a clerk is not a leader
        out.outgoing_sign(acting_user=a.clerk, document=doc)
    out.outgoing_sign(acting_user=a.leader, document=doc, signer_title="Chủ tịch")
    doc.refresh_from_db()
    assert doc.state == OutState.SIGNED and doc.notation == "01/QĐ-UBND"
    report = verify_pdf(out.signed_pdf(doc))
    assert report.valid and len(report.signatures) == 1
    out.outgoing_seal(acting_user=a.clerk, document=doc)
    doc.refresh_from_db()
    report = verify_pdf(out.signed_pdf(doc))
    assert report.valid, report.as_dict()
    assert [s.signer for s in report.signatures][0] == a.leader.full_name
    assert len(report.signatures) == 2
    actions = list(OutgoingEvent.objects.filter(document=doc).values_list("action", flat=True))
    assert actions == ["create", "submit", "return", "submit", "approve", "sign", "seal"]


def test_head_step_is_skipped_when_the_author_heads_the_unit(sides):
    a, _ = sides
    doc = out.outgoing_create(acting_user=a.head, doc_type="TB", subject="Thông báo lịch họp")
    out.outgoing_submit(acting_user=a.head, document=doc)
    doc.refresh_from_db()
    assert doc.state == OutState.PENDING_LEADER


def test_numbers_run_per_agency_type_and_year(sides):
    a, b = sides
    first = chain_to_issued(a)
    second = chain_to_issued(a)
    letter = chain_to_issued(a, doc_type="CV")
    other = chain_to_issued(b)
    assert [first.notation, second.notation, letter.notation, other.notation] == [
        "01/QĐ-UBND", "02/QĐ-UBND", "01/UBND-VP", "01/QĐ-STP"]


def test_a_failed_signature_gives_the_number_back(sides, monkeypatch):
    from tinhso.signatures import signing

    a, _ = sides
    doc = out.outgoing_create(acting_user=a.head, doc_type="QĐ", subject="Về việc Y")
    out.outgoing_submit(acting_user=a.head, document=doc)

    def boom(*args, **kwargs):
        raise RuntimeError("HSM unreachable")

    monkeypatch.setattr(signing, "sign_with", boom)
    with pytest.raises(RuntimeError):
        out.outgoing_sign(acting_user=a.leader, document=doc)
    monkeypatch.undo()
    doc.refresh_from_db()
    assert doc.state == OutState.PENDING_LEADER and doc.number is None
    out.outgoing_sign(acting_user=a.leader, document=doc)
    doc.refresh_from_db()
    assert doc.number == 1


def test_draft_pdf_renders_without_number(sides):
    a, _ = sides
    doc = out.outgoing_create(acting_user=a.specialist, doc_type="CV",
                              subject="Về việc đôn đốc báo cáo", body="Kính gửi: các sở.")
    pdf = out.draft_pdf(doc)
    assert pdf.startswith(b"%PDF-")
