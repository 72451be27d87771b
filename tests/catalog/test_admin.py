"""Admin: diacritics-insensitive search, form validation like the import, search_text sync."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tinhso.catalog.admin import ProcedureForm
from tinhso.catalog.models import Procedure

pytestmark = pytest.mark.django_db


def test_changelist_search_ignores_diacritics(admin_client: Client, loaded_catalog: Any) -> None:
    response = admin_client.get("/admin/catalog/procedure/", {"q": "DANG KY khai sinh"})
    assert response.status_code == 200
    shown = {p.code for p in response.context["cl"].result_list}
    assert shown == {"1.001193", "1.004884", "1.000689", "2.000528"}


def test_change_form_renders_in_vietnamese(admin_client: Client, loaded_catalog: Any) -> None:
    pk = Procedure.objects.get(code="1.001193").pk
    page = admin_client.get(f"/admin/catalog/procedure/{pk}/change/").content.decode()
    assert "Thành phần hồ sơ" in page or "thành phần hồ sơ" in page
    assert "Biểu mẫu và quy trình" in page


def _form_data(procedure: Procedure, **overrides: Any) -> dict[str, Any]:
    import json

    data = {
        "code": procedure.code, "name": procedure.name, "field": procedure.field_id,
        "level": procedure.level, "implementing_body": procedure.implementing_body,
        "is_active": True, "popularity": 1, "processing_days": "3", "fee": 0,
        "fee_note": "", "applicant_type": "citizen", "online_level": "full",
        "result_type": "paper", "result_name": "", "description": "", "legal_basis": "",
        "note": "", "form_schema": json.dumps(procedure.form_schema),
        "process_template": json.dumps(procedure.process_template),
    }
    data.update(overrides)
    return data


def test_form_rejects_bad_template_and_schema(loaded_catalog: Any) -> None:
    procedure = Procedure.objects.get(code="1.001193")
    bad = ProcedureForm(data=_form_data(procedure, process_template='[{"code": "a", '
                                        '"name": "A", "role": "leader", "share": 0.5}]',
                                        form_schema='{"type": 5}'), instance=procedure)
    assert not bad.is_valid()
    assert set(bad.errors) == {"process_template", "form_schema"}
    good = ProcedureForm(data=_form_data(procedure), instance=procedure)
    assert good.is_valid(), good.errors


def test_admin_save_syncs_search_text(admin_client: Client, loaded_catalog: Any) -> None:
    procedure = Procedure.objects.get(code="1.004746")
    comps = list(procedure.components.all())
    data = _form_data(procedure, name="Đăng ký lại kết hôn (sửa)")
    data.update({
        "components-TOTAL_FORMS": str(len(comps)), "components-INITIAL_FORMS": str(len(comps)),
        "components-MIN_NUM_FORMS": "0", "components-MAX_NUM_FORMS": "1000",
    })
    for i, c in enumerate(comps):
        data.update({f"components-{i}-id": c.pk, f"components-{i}-procedure": procedure.pk,
                     f"components-{i}-order": c.order, f"components-{i}-code": c.code,
                     f"components-{i}-name": c.name, f"components-{i}-copies": c.copies,
                     f"components-{i}-required": "on" if c.required else ""})
    response = admin_client.post(f"/admin/catalog/procedure/{procedure.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    procedure.refresh_from_db()
    assert procedure.search_text == "dang ky lai ket hon (sua)"
