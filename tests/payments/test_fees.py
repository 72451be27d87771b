"""Fee schedules: per copy, per page with a cap, exemptions, quoted and then requested."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.dossiers.conftest import pdf
from tinhso.core.errors import ValidationFailed
from tinhso.dossiers import services as ds
from tinhso.payments import fees
from tinhso.payments.models import FeeExemption, FeeKind, FeeRule


@pytest.fixture
def copy_procedure(agency):
    """Certified copies: 2.000 đ a page for the first two pages, 1.000 đ after, at most
    200.000 đ a copy (Circular 226/2016/TT-BTC)."""
    procedure = factories.make_procedure(agencies=[agency], name="Chứng thực bản sao")
    FeeRule.objects.create(procedure=procedure, kind=FeeKind.PER_PAGE, amount=2000,
                           first_pages=2, amount_after=1000, cap_per_copy=200_000,
                           legal_basis="Thông tư 226/2016/TT-BTC")
    return procedure


def test_per_page_with_a_cap(copy_procedure):
    assert fees.quote(copy_procedure, pages=1).amount == 2000
    assert fees.quote(copy_procedure, pages=5).amount == 2 * 2000 + 3 * 1000
    assert fees.quote(copy_procedure, pages=5, copies=3).amount == 3 * 7000
    assert fees.quote(copy_procedure, pages=1000).amount == 200_000  # the cap per copy
    text = fees.quote(copy_procedure, pages=5, copies=3).explanation
    assert "7.000 đ mỗi bản" in text and "× 3 bản" in text


def test_flat_per_copy_and_the_catalogue_figure(agency):
    plain = factories.make_procedure(agencies=[agency], fee=50_000)
    assert fees.quote(plain).amount == 50_000  # no rule: the catalogue's figure
    per_copy = factories.make_procedure(agencies=[agency])
    FeeRule.objects.create(procedure=per_copy, kind=FeeKind.PER_COPY, amount=8000)
    assert fees.quote(per_copy, copies=4).amount == 32_000


def test_exemptions_for_listed_groups(copy_procedure):
    FeeExemption.objects.create(group="ho_ngheo", group_name="Hộ nghèo", percent=100)
    FeeExemption.objects.create(group="nguoi_cao_tuoi", group_name="Người cao tuổi", percent=50)
    FeeExemption.objects.create(procedure=copy_procedure, group="nguoi_cao_tuoi",
                                group_name="Người cao tuổi", percent=20)
    assert fees.quote(copy_procedure, pages=2, group="ho_ngheo").amount == 0
    # The procedure's own row wins over the one for every procedure.
    assert fees.quote(copy_procedure, pages=2, group="nguoi_cao_tuoi").amount == 3200
    with pytest.raises(ValidationFailed) as exc:
        fees.quote(copy_procedure, group="khong_co")
    assert exc.value.code == "UNKNOWN_EXEMPTION_GROUP"
    for bad in (0, -1, "x", 10**9, True):
        with pytest.raises(ValidationFailed):
            fees.quote(copy_procedure, copies=bad)


def test_the_payment_request_charges_what_was_quoted(copy_procedure, agency, citizen,
                                                     media_root):
    receiver = factories.make_official(agency, "receiver")

    def received(form_data):
        dossier = ds.dossier_submit_online(
            acting_user=citizen, procedure_code=copy_procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Nguyễn Văn An", **form_data}, files=[("to-khai", pdf())])
        return ds.dossier_receive(acting_user=receiver, dossier=dossier)

    payment = ds.dossier_request_payment(acting_user=receiver,
                                         dossier=received({"so_ban": 2, "so_trang": 4}))
    assert payment.amount == 2 * 6000
    FeeExemption.objects.create(group="ho_ngheo", group_name="Hộ nghèo", percent=100)
    with pytest.raises(ValidationFailed) as exc:
        ds.dossier_request_payment(acting_user=receiver,
                                   dossier=received({"doi_tuong_mien_giam": "ho_ngheo"}))
    assert exc.value.code == "NO_FEE_DUE"


def test_quote_api_is_public(copy_procedure):
    FeeExemption.objects.create(group="ho_ngheo", group_name="Hộ nghèo", percent=100)
    anon = Client()
    body = anon.get(f"/api/v1/payments/fees/{copy_procedure.code}?so_ban=2&so_trang=3").json()
    assert body["amount"] == 2 * 5000 and body["exemptions"][0]["group"] == "ho_ngheo"
    assert anon.get(f"/api/v1/payments/fees/{copy_procedure.code}?so_ban=0").status_code == 422
    assert anon.get("/api/v1/payments/fees/9.999999").status_code == 404


def test_the_procedure_page_shows_the_schedule_before_submission(copy_procedure, agency):
    FeeExemption.objects.create(group="ho_ngheo", group_name="Hộ nghèo", percent=100)
    FeeExemption.objects.create(group="nguoi_cao_tuoi", group_name="Người cao tuổi", percent=50)
    html = Client().get(f"/thu-tuc/{copy_procedure.code}/").content.decode()
    assert "2.000 đ mỗi trang cho 2 trang đầu, 1.000 đ mỗi trang tiếp theo" in html
    assert "tối đa 200.000 đ mỗi bản" in html
    assert "Hộ nghèo: miễn" in html and "Người cao tuổi: giảm 50%" in html
