"""Two agencies of one installation (the province's People's Committee and a department),
each with its officials, a unit with a head, and a PKI with the leader's certificate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests import factories
from tests.signatures import pkihelpers as h


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example.vn"
    settings.TINHSO_EDXML_SEND_URL = ""


@dataclass
class Side:
    agency: Any
    unit: Any
    specialist: Any
    head: Any
    leader: Any
    clerk: Any


def make_side(code: str, name: str, abbr: str, unit_code: str, *, place: str = "Đồng Xoài",
              kind: str = "committee") -> Side:
    from tinhso.correspondence.models import AgencyProfile, OrgUnit

    agency = factories.make_agency(code=code, name=name, kind=kind)
    AgencyProfile.objects.create(agency=agency, abbreviation=abbr, place_name=place)
    specialist = factories.make_official(agency, "specialist")
    head = factories.make_official(agency, "specialist")
    leader = factories.make_official(agency, "leader")
    clerk = factories.make_official(agency, "clerk")
    unit = OrgUnit.objects.create(agency=agency, code=unit_code, name=f"Văn phòng {abbr}",
                                  head=head)
    unit.members.add(specialist, head)
    return Side(agency, unit, specialist, head, leader, clerk)


@pytest.fixture
def pki(db):
    return h.init_pki()


@pytest.fixture
def sides(db, pki):
    a = make_side("000.00.00.H10", "Ủy ban nhân dân tỉnh Bình Phước", "UBND", "VP")
    b = make_side("000.00.12.H10", "Sở Tư pháp tỉnh Bình Phước", "STP", "VP",
                  kind="department")
    operator = factories.make_official(a.agency, "province_admin")
    for side in (a, b):
        h.issue_personal(operator, side.leader)
    return a, b


def chain_to_issued(side: Side, *, subject: str = "Về việc triển khai văn bản điện tử",
                    doc_type: str = "QĐ") -> Any:
    from tinhso.correspondence import services_out as out

    doc = out.outgoing_create(acting_user=side.specialist, doc_type=doc_type, subject=subject,
                              body="Điều 1. Triển khai.\nĐiều 2. Thi hành.",
                              recipients_text="Như Điều 2\nSở Tư pháp")
    out.outgoing_submit(acting_user=side.specialist, document=doc)
    out.outgoing_approve(acting_user=side.head, document=doc)
    out.outgoing_sign(acting_user=side.leader, document=doc, signer_title="Chủ tịch",
                      authority="TM. Ủy ban nhân dân")
    return out.outgoing_seal(acting_user=side.clerk, document=doc)
