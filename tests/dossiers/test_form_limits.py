"""Bounds on schema-driven form data (issue 9): a 19,000,000-character field and a birth date
of 9999-12-31 were accepted. Refused now with FORM_INVALID / FORM_TOO_LARGE; nothing stored."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.core.errors import ValidationFailed
from tinhso.dossiers import services
from tinhso.dossiers.form_limits import DEFAULT_MAX_LENGTH
from tinhso.dossiers.models import Dossier

pytestmark = pytest.mark.django_db

SCHEMA = {
    "type": "object", "required": ["ho_ten"],
    "properties": {
        "ho_ten": {"type": "string", "minLength": 1},
        "ghi_chu": {"type": "string", "maxLength": 5000},
        "ngay_sinh": {"type": "string", "format": "date"},
        "tu_ngay": {"type": "string", "format": "date"},
    },
}


@pytest.fixture
def form_procedure(agency):
    procedure = factories.make_procedure(agencies=[agency], form_schema=SCHEMA)
    procedure.components.update(required=False)
    return procedure


def _submit(citizen, procedure, agency, form_data):
    return services.dossier_submit_online(acting_user=citizen, procedure_code=procedure.code,
                                          agency_code=agency.code, form_data=form_data)


@pytest.mark.parametrize("form_data,rule", [
    ({"ho_ten": "x" * (DEFAULT_MAX_LENGTH + 1)}, "maxLength"),
    ({"ho_ten": "An", "ngay_sinh": "9999-12-31"}, "format"),
    ({"ho_ten": "An", "ngay_sinh": "1899-12-31"}, "format"),
    ({"ho_ten": "An", "ngay_sinh": "31/12/1990"}, "format"),
    ({"ho_ten": "An", "tu_ngay": "2999-01-01"}, "format"),
])
def test_bad_form_data_is_refused(citizen, form_procedure, agency, form_data, rule):
    with pytest.raises(ValidationFailed) as excinfo:
        _submit(citizen, form_procedure, agency, form_data)
    assert excinfo.value.code == "FORM_INVALID"
    assert {e["rule"] for e in excinfo.value.details["errors"]} == {rule}
    assert not Dossier.objects.exists()


def test_whole_form_is_capped(citizen, form_procedure, agency, settings):
    settings.TINHSO_MAX_FORM_BYTES = 2000
    with pytest.raises(ValidationFailed) as excinfo:
        _submit(citizen, form_procedure, agency, {"ho_ten": "An", "ghi_chu": "y" * 2500})
    assert excinfo.value.code == "FORM_TOO_LARGE"
    assert not Dossier.objects.exists()


def test_good_form_data_is_accepted(citizen, form_procedure, agency):
    dossier = _submit(citizen, form_procedure, agency,
                      {"ho_ten": "x" * DEFAULT_MAX_LENGTH, "ngay_sinh": "1990-01-02",
                       "tu_ngay": "2030-05-01", "ghi_chu": "z" * 5000})
    assert dossier.form_data["ngay_sinh"] == "1990-01-02"
