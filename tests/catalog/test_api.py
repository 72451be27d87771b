"""/api/v1/procedures: public search and detail, fields, export; admin import; error format."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from tinhso.catalog.models import Procedure

pytestmark = pytest.mark.django_db
URL = "/api/v1/procedures/"


def test_search_is_public_and_paginated(client: Client, loaded_catalog: list[Any]) -> None:
    response = client.get(URL, {"q": "DANG KY KHAI SINH"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    first = body["items"][0]
    assert first["code"] == "1.001193" and first["name"] == "Đăng ký khai sinh"
    assert first["field_code"] == "ho-tich" and first["fee"] == 0
    assert first["processing_days"] == 1.0


def test_pagination_limit_and_offset(client: Client, loaded_catalog: list[Any]) -> None:
    total = len(loaded_catalog)
    page1 = client.get(URL, {"limit": 10}).json()
    page2 = client.get(URL, {"limit": 10, "offset": 10}).json()
    assert page1["count"] == page2["count"] == total
    assert len(page1["items"]) == 10
    assert not {i["code"] for i in page1["items"]} & {i["code"] for i in page2["items"]}
    default = client.get(URL).json()
    assert len(default["items"]) == 20


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"offset": -1},
                                    {"level": "ward"}, {"online_level": "x"}])
def test_bad_query_parameters_are_422(client: Client, loaded_catalog: list[Any],
                                      params: dict[str, Any]) -> None:
    response = client.get(URL, params)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_filters(client: Client, loaded_catalog: list[Any]) -> None:
    body = client.get(URL, {"field": "cu-tru", "level": "commune", "online_level": "full",
                            "limit": 100}).json()
    assert body["count"] == 7
    assert {i["field_code"] for i in body["items"]} == {"cu-tru"}


def test_detail(client: Client, loaded_catalog: list[Any], agency: Any) -> None:
    Procedure.objects.get(code="2.000815").agencies.add(agency)
    response = client.get(URL + "2.000815")
    assert response.status_code == 200
    body = response.json()
    assert body["fee"] == 2000 and "1.000 đồng" in body["fee_note"]
    assert [c["code"] for c in body["components"]] == ["ban-chinh", "ban-sao"]
    assert body["components"][1]["required"] is False
    assert body["form_schema"]["type"] == "object"
    assert abs(sum(s["share"] for s in body["process_template"]) - 1) < 1e-9
    assert body["agencies"] == [{"code": agency.code, "name": agency.name}]


def test_unknown_code_is_404_with_bilingual_error(client: Client, loaded_catalog: Any) -> None:
    response = client.get(URL + "9.999999")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "PROCEDURE_NOT_FOUND"
    assert "9.999999" in body["message_vi"] and "9.999999" in body["message_en"]
    assert body["details"] == {"code": "9.999999"}


def test_fields(client: Client, loaded_catalog: list[Any]) -> None:
    body = client.get(URL + "fields").json()
    by_code = {f["code"]: f for f in body}
    assert by_code["ho-tich"]["name"] == "Hộ tịch"
    assert sum(f["procedure_count"] for f in body) == len(loaded_catalog)


def test_export_then_import_round_trip(client: Client, loaded_catalog: list[Any],
                                       province_admin: Any) -> None:
    exported = client.get(URL + "export").json()
    assert exported["format"] == "tinhso-catalog" and len(exported["procedures"]) == len(
        loaded_catalog)
    client.force_login(province_admin)
    response = client.post(URL + "import", exported, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert len(response.json()["unchanged"]) == len(loaded_catalog)


def test_import_requires_authentication(client: Client, entries: list[Any]) -> None:
    response = client.post(URL + "import", {"procedures": entries[:1]},
                           content_type="application/json")
    assert response.status_code == 401
    assert not Procedure.objects.exists()


def test_import_forbidden_for_non_admins(client: Client, entries: list[Any],
                                         receiver: Any) -> None:
    client.force_login(receiver)
    response = client.post(URL + "import", {"procedures": entries[:1]},
                           content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    assert not Procedure.objects.exists()


def test_import_with_a_bad_entry_is_422_and_writes_nothing(client: Client, entries: list[Any],
                                                          province_admin: Any) -> None:
    data = copy.deepcopy(entries[:3])
    data[2]["process_template"][0]["share"] = 0.99
    client.force_login(province_admin)
    response = client.post(URL + "import", {"procedures": data}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "CATALOG_INVALID"
    assert [(e["index"], e["key"]) for e in body["details"]["errors"]] == [
        (2, "process_template")]
    assert not Procedure.objects.exists()


def test_import_malformed_json(client: Client, province_admin: Any) -> None:
    client.force_login(province_admin)
    response = client.post(URL + "import", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "MALFORMED_JSON"


def test_list_uses_constant_queries(client: Client, loaded_catalog: list[Any],
                                    django_assert_max_num_queries: Any) -> None:
    # count + page (field joined): no per-row queries whatever the page size.
    with django_assert_max_num_queries(2):
        assert client.get(URL, {"limit": 100}).status_code == 200
