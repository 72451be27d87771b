"""Import/export, create/update: validation before any write, permissions, audit, round trip."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests import factories
from tinhso.accounts.models import AuditLog
from tinhso.catalog.models import Field, Procedure, ProcedureComponent
from tinhso.catalog.services import (
    ProcedureNotFound,
    catalog_export,
    catalog_import,
    procedure_create,
    procedure_update,
)
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.core.text import fold

pytestmark = pytest.mark.django_db


def _errors(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> list[dict[str, Any]]:
    assert excinfo.value.code == "CATALOG_INVALID"
    return list(excinfo.value.details["errors"])


# ------------------------------------------------------------------------------ import


def test_import_creates_everything_with_search_text_and_audit(
        entries: list[dict[str, Any]], province_admin: Any) -> None:
    report = catalog_import(acting_user=province_admin, data=entries)
    assert len(report.created) == len(entries) and not report.updated
    birth = Procedure.objects.get(code="1.001193")
    assert birth.search_text == "dang ky khai sinh"
    assert all(p.search_text == fold(p.name) for p in Procedure.objects.all())
    assert birth.components.count() == 3
    log = AuditLog.objects.get(action="catalog.import")
    assert log.actor == province_admin and log.data["created"] == len(entries)


def test_import_twice_is_idempotent(entries: list[dict[str, Any]]) -> None:
    catalog_import(acting_user=None, data=entries)
    counts = (Procedure.objects.count(), ProcedureComponent.objects.count(), Field.objects.count())
    report = catalog_import(acting_user=None, data=entries)
    assert len(report.unchanged) == len(entries) and not report.created and not report.updated
    assert counts == (Procedure.objects.count(), ProcedureComponent.objects.count(),
                      Field.objects.count())


@pytest.mark.parametrize(("mutate", "key", "words"), [
    (lambda e: e.pop("name"), "name", "missing"),
    (lambda e: e.update(fee=-1), "fee", "non-negative"),
    (lambda e: e.update(fee=1.5), "fee", "integer"),
    (lambda e: e.update(fee=True), "fee", "integer"),
    (lambda e: e.update(level="ward"), "level", "one of"),
    (lambda e: e.update(processing_days="3"), "processing_days", "number"),
    (lambda e: e.update(processing_days=0), "processing_days", "greater than 0"),
    (lambda e: e["process_template"][0].update(share=0.5), "process_template", "sum to 1"),
    (lambda e: e["process_template"][0].update(role="admin"), "process_template[0].role",
     "one of"),
    (lambda e: e.update(form_schema={"type": "object", "properties": {"x": {"type": "strin"}}}),
     "form_schema", "not a valid JSON Schema"),
    (lambda e: e.update(form_schema={"type": "array"}), "form_schema", "object"),
    (lambda e: e.update(announced_at="2024-13-01"), "announced_at", "date"),
    (lambda e: e.update(fees=0), "fees", "unknown key"),
    (lambda e: e["components"].append(dict(e["components"][0])), "components[3].code",
     "duplicate"),
    (lambda e: e.update(agencies=["KHONG-CO"]), "agencies", "unknown agency"),
])
def test_one_bad_entry_imports_nothing_and_reports_index_and_reason(
        entries: list[dict[str, Any]], mutate: Any, key: str, words: str) -> None:
    bad_index = next(i for i, e in enumerate(entries) if e["code"] == "1.001193")
    mutate(entries[bad_index])
    with pytest.raises(ValidationFailed) as excinfo:
        catalog_import(acting_user=None, data=entries)
    errors = _errors(excinfo)
    assert len(errors) == 1, errors
    assert errors[0]["index"] == bad_index and errors[0]["key"] == key
    assert words in errors[0]["reason"] and errors[0]["reason_vi"]
    assert not Procedure.objects.exists() and not Field.objects.exists()
    assert not AuditLog.objects.exists()


def test_bad_entry_leaves_an_existing_catalogue_untouched(entries: list[dict[str, Any]]) -> None:
    catalog_import(acting_user=None, data=entries)
    before = json.dumps(catalog_export(), sort_keys=True)
    changed = copy.deepcopy(entries)
    changed[0]["name"] = "Tên mới"
    changed[5]["fee"] = -5
    with pytest.raises(ValidationFailed):
        catalog_import(acting_user=None, data=changed)
    assert json.dumps(catalog_export(), sort_keys=True) == before


def test_duplicate_codes_and_non_objects_are_reported(entries: list[dict[str, Any]]) -> None:
    data = [entries[0], entries[1], copy.deepcopy(entries[0]), "không phải đối tượng"]
    with pytest.raises(ValidationFailed) as excinfo:
        catalog_import(acting_user=None, data=data)
    errors = _errors(excinfo)
    assert [(e["index"], e["key"]) for e in errors] == [(2, "code"), (3, "")]
    assert "duplicate" in errors[0]["reason"]


def test_not_a_list_is_rejected() -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        catalog_import(acting_user=None, data={"code": "1"})  # type: ignore[arg-type]
    assert _errors(excinfo)[0]["index"] == -1


def test_import_updates_components_by_code_and_keeps_their_ids(
        entries: list[dict[str, Any]]) -> None:
    catalog_import(acting_user=None, data=entries)
    birth = next(e for e in entries if e["code"] == "1.001193")
    kept_id = ProcedureComponent.objects.get(procedure__code="1.001193", code="to-khai").pk
    birth["components"] = [birth["components"][1], {**birth["components"][0], "copies": 2}]
    report = catalog_import(acting_user=None, data=[birth])
    assert report.updated == ["1.001193"]
    comps = list(ProcedureComponent.objects.filter(procedure__code="1.001193").order_by("order"))
    assert [c.code for c in comps] == ["giay-chung-sinh", "to-khai"]
    assert comps[1].pk == kept_id and comps[1].copies == 2


# ------------------------------------------------------------------------------ export


def test_export_import_round_trip(entries: list[dict[str, Any]], agency: Any) -> None:
    catalog_import(acting_user=None, data=entries)
    Procedure.objects.get(code="1.001193").agencies.add(agency)
    exported = catalog_export()
    assert exported[0]["code"] == min(e["code"] for e in entries)
    birth = next(e for e in exported if e["code"] == "1.001193")
    assert birth["agencies"] == [agency.code]
    # Through JSON text, as a file would carry it.
    again = json.loads(json.dumps(exported, ensure_ascii=False))
    # Disturb the database, then restore it from the exported text alone.
    Procedure.objects.filter(code="1.001193").update(name="Hỏng", fee=9, popularity=0)
    Procedure.objects.get(code="1.001193").agencies.clear()
    ProcedureComponent.objects.filter(procedure__code="2.000815").delete()
    report = catalog_import(acting_user=None, data=again)
    assert sorted(report.updated) == ["1.001193", "2.000815"]
    assert len(report.unchanged) == len(entries) - 2
    assert catalog_export() == exported
    assert Procedure.objects.get(code="1.001193").search_text == "dang ky khai sinh"


def test_export_matches_the_data_file(entries: list[dict[str, Any]]) -> None:
    catalog_import(acting_user=None, data=entries)
    exported = {e["code"]: e for e in catalog_export()}
    for entry in entries:
        got = exported[entry["code"]]
        assert got["agencies"] == []
        assert {k: v for k, v in got.items() if k != "agencies"} == entry


# ------------------------------------------------------------------------------ permissions


@pytest.mark.parametrize("roles", [(), ("receiver",), ("specialist", "leader"), ("clerk",)])
def test_only_admins_may_import(entries: list[dict[str, Any]], agency: Any,
                                roles: tuple[str, ...]) -> None:
    user = factories.make_official(agency, *roles)
    with pytest.raises(PermissionDenied):
        catalog_import(acting_user=user, data=entries)
    assert not Procedure.objects.exists()


def test_citizen_may_not_import(entries: list[dict[str, Any]], citizen: Any) -> None:
    with pytest.raises(PermissionDenied):
        catalog_import(acting_user=citizen, data=entries[:1])


def test_agency_admin_may_import(entries: list[dict[str, Any]], agency_admin: Any) -> None:
    assert len(catalog_import(acting_user=agency_admin, data=entries[:2]).created) == 2


# ------------------------------------------------------------------------------ create / update


def test_create_by_agency_admin_links_their_agency(entries: list[dict[str, Any]],
                                                   agency_admin: Any) -> None:
    entry = {**entries[0], "code": "1.999001", "name": "Thủ tục thử nghiệm Đặc biệt"}
    procedure = procedure_create(acting_user=agency_admin, data=entry)
    assert list(procedure.agencies.all()) == [agency_admin.agency]
    assert procedure.search_text == "thu tuc thu nghiem dac biet"
    assert AuditLog.objects.filter(action="catalog.procedure_create",
                                   object_id="1.999001").exists()


def test_create_refuses_duplicates_and_bad_data(entries: list[dict[str, Any]],
                                                province_admin: Any) -> None:
    procedure_create(acting_user=province_admin, data=entries[0])
    with pytest.raises(Conflict):
        procedure_create(acting_user=province_admin, data=entries[0])
    with pytest.raises(ValidationFailed):
        procedure_create(acting_user=province_admin, data={**entries[1], "fee": -1})
    assert Procedure.objects.count() == 1


def test_create_by_agency_admin_must_include_own_agency(
        entries: list[dict[str, Any]], agency_admin: Any, other_agency: Any) -> None:
    with pytest.raises(PermissionDenied):
        procedure_create(acting_user=agency_admin,
                         data={**entries[0], "agencies": [other_agency.code]})
    assert not Procedure.objects.exists()


def test_update_keeps_search_text_in_sync_and_audits(loaded_catalog: Any,
                                                     province_admin: Any) -> None:
    procedure = procedure_update(acting_user=province_admin, code="1.001193",
                                 changes={"name": "Đăng ký khai sinh (thử)", "fee": 0})
    assert procedure.search_text == "dang ky khai sinh (thu)"
    log = AuditLog.objects.get(action="catalog.procedure_update")
    assert log.object_id == "1.001193" and log.data["keys"] == ["fee", "name"]


def test_update_validates_the_merged_procedure(loaded_catalog: Any, province_admin: Any) -> None:
    with pytest.raises(ValidationFailed):
        procedure_update(acting_user=province_admin, code="1.001193",
                         changes={"process_template": [
                             {"code": "a", "name": "A", "role": "leader", "share": 0.9}]})
    with pytest.raises(ValidationFailed):
        procedure_update(acting_user=province_admin, code="1.001193", changes={"code": "x"})
    assert Procedure.objects.get(code="1.001193").process_template == next(
        e for e in loaded_catalog if e["code"] == "1.001193")["process_template"]
    with pytest.raises(ProcedureNotFound):
        procedure_update(acting_user=province_admin, code="9.999999", changes={})


def test_agency_admin_updates_only_own_procedures(loaded_catalog: Any, agency_admin: Any,
                                                  other_agency: Any) -> None:
    procedure = Procedure.objects.get(code="1.001193")
    procedure.agencies.add(other_agency)
    with pytest.raises(PermissionDenied):
        procedure_update(acting_user=agency_admin, code="1.001193", changes={"fee": 1})
    procedure.agencies.add(agency_admin.agency)
    assert procedure_update(acting_user=agency_admin, code="1.001193",
                            changes={"fee": 1}).fee == 1


def test_receiver_may_not_update(loaded_catalog: Any, receiver: Any) -> None:
    with pytest.raises(PermissionDenied):
        procedure_update(acting_user=receiver, code="1.001193", changes={"fee": 1})
    assert Procedure.objects.get(code="1.001193").fee == 0
