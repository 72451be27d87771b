"""GET /api/v1/ioc/index: shape, errors and who may see which scope."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.ioc.builders import at, make_dossier
from tinhso.dossiers.models import Action

URL = "/api/v1/ioc/index"
JAN = {"from": "2026-01-01", "to": "2026-01-31"}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def some_dossiers(world):
    for agency in (world.commune_pc, world.commune_pc_691):
        make_dossier(procedure=world.birth, agency=agency,
                     events=[(at(2026, 1, 5), Action.CREATE_DIRECT),
                             (at(2026, 1, 6), Action.APPROVE)])


def test_index_shape(world, some_dossiers):
    res = login(world.admin).get(URL, {"scope": "70", **JAN})
    assert res.status_code == 200
    doc = res.json()
    assert list(doc) == ["scope", "from", "to", "score", "max", "covered_score", "covered_max",
                         "covered_percent", "groups", "data_up_to", "lag_seconds"]
    assert doc["lag_seconds"] == 0  # the builder applies its events at once
    assert (doc["scope"], doc["from"], doc["to"]) == ("70", "2026-01-01", "2026-01-31")
    assert [g["code"] for g in doc["groups"]] == [
        "G1_PUBLICITY", "G2_PROGRESS", "G3_ONLINE", "G4_PAYMENT", "G5_DIGITIZATION",
        "G6_SATISFACTION"]
    # The national portal's nominal maxima (issue 11).
    assert [g["max"] for g in doc["groups"]] == [18, 20, 12, 10, 22, 18]
    for group in doc["groups"]:
        assert list(group) == ["code", "name_vi", "score", "max", "covered_max", "no_data",
                               "indicators"]
        for indicator in group["indicators"]:
            assert list(indicator) == ["code", "name_vi", "numerator", "denominator", "ratio",
                                       "score", "max", "no_data"]
    codes = {i["code"] for g in doc["groups"] for i in g["indicators"]}
    assert {"ON_TIME_RATE", "ONLINE_SUBMISSION_RATE", "ONLINE_PAYMENT_RATE"} <= codes
    progress = doc["groups"][1]["indicators"][0]
    assert (progress["numerator"], progress["denominator"], progress["ratio"]) == (2, 2, 1.0)
    # Indicators without a data source are "no data" and earn nothing on the 100-point scale;
    # the data-covered score sits beside the total.
    no_data = [i for g in doc["groups"] for i in g["indicators"] if i["numerator"] is None]
    assert {"G1_NATIONAL_SYNC", "G5_PERSONAL_DATA_STORE", "G5_POPULATION_DATA"} <= {
        i["code"] for i in no_data}
    assert all(i["score"] is None and i["ratio"] is None and i["no_data"] for i in no_data)
    scored = [i for g in doc["groups"] for i in g["indicators"] if i["score"] is not None]
    assert not any(i["no_data"] for i in scored)
    assert doc["max"] == 100
    assert doc["covered_max"] == sum(i["max"] for i in scored) < 100
    assert doc["score"] == pytest.approx(sum(i["score"] for i in scored), abs=0.02)
    assert doc["covered_score"] == doc["score"]
    assert doc["covered_percent"] == pytest.approx(
        doc["score"] / doc["covered_max"] * 100, abs=0.01)
    g1 = doc["groups"][0]
    # Only "records complete" (2) has data here; the national sync (6) has no source.
    assert g1["covered_max"] < g1["max"] == 18


def test_scope_resolution_by_code_and_prefix(world, some_dossiers):
    client = login(world.admin)
    for scope in ("689", "legacy3:25001", "current2:26001", "26002", "000.01.22.H10",
                  "agency:000.01.22.H10", "1.001193", "procedure:1.001193", "field:ho-tich"):
        assert client.get(URL, {"scope": scope, **JAN}).status_code == 200, scope
    # The current commune 26002 succeeds the legacy commune 25101: its dossier is there.
    doc = client.get(URL, {"scope": "26002", **JAN}).json()
    assert doc["groups"][1]["indicators"][0]["denominator"] == 1
    doc = client.get(URL, {"scope": "current2:75", **JAN}).json()
    assert doc["groups"][1]["indicators"][0]["denominator"] == 2


def test_unknown_scope(world):
    res = login(world.admin).get(URL, {"scope": "nowhere", **JAN})
    assert res.status_code == 404
    assert res.json()["code"] == "SCOPE_NOT_FOUND"


@pytest.mark.parametrize("params", [
    {"from": "2026-02-01", "to": "2026-01-31"},
    {"from": "2026-13-01", "to": "2026-12-31"},
    {"from": "hôm qua", "to": "2026-01-31"},
])
def test_bad_periods(world, params):
    res = login(world.admin).get(URL, {"scope": "70", **params})
    assert res.status_code == 422
    assert res.json()["code"] == "PERIOD_INVALID"


def test_missing_parameters(world):
    res = login(world.admin).get(URL, {"scope": "70"})
    assert res.status_code == 422


def test_anonymous_is_refused(world):
    assert Client().get(URL, {"scope": "70", **JAN}).status_code == 401


def test_district_leader_sees_own_district_only(world, some_dossiers):
    client = login(world.district_leader)
    assert client.get(URL, {"scope": "689", **JAN}).status_code == 200
    assert client.get(URL, {"scope": "25001", **JAN}).status_code == 200
    assert client.get(URL, {"scope": "agency:000.01.22.H10", **JAN}).status_code == 200
    for scope in ("70", "691", "25101", "current2:75", "agency:000.00.13.H10", "1.001193",
                  "field:ho-tich"):
        res = client.get(URL, {"scope": scope, **JAN})
        assert res.status_code == 403, scope
        assert res.json()["code"] == "FORBIDDEN"


def test_agency_official_sees_own_agency(world):
    client = login(world.dept_official)
    assert client.get(URL, {"scope": "agency:000.00.13.H10", **JAN}).status_code == 200
    # The branch is under the department.
    assert client.get(URL, {"scope": "agency:000.01.13.H10", **JAN}).status_code == 200
    assert client.get(URL, {"scope": "70", **JAN}).status_code == 403
    assert client.get(URL, {"scope": "agency:000.00.22.H10", **JAN}).status_code == 403


def test_citizen_sees_nothing(world):
    assert login(world.citizen).get(URL, {"scope": "70", **JAN}).status_code == 403


def test_future_period_is_judged_today(world):
    doc = login(world.admin).get(URL, {"scope": "70", "from": "2026-01-01",
                                       "to": "2099-12-31"}).json()
    from django.utils import timezone

    assert doc["to"] == timezone.localdate().isoformat()


def test_ioc_viewer_sees_the_whole_province(world):
    from tests import factories

    viewer = factories.make_official(world.commune_pc, "ioc_viewer")
    client = login(viewer)
    for scope in ("70", "current2:75", "1.001193", "agency:000.00.13.H10"):
        assert client.get(URL, {"scope": scope, **JAN}).status_code == 200, scope
