"""The GS1 Digital Link resolver: the public journey page, the linkset, the QR code, and the
``lot_journey`` selector the marketplace calls."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.signatures.pkihelpers import init_pki
from tests.trace.conftest import WHEN, harvest, post_event, sscc
from tinhso.trace import flows, ledger
from tinhso.trace.models import Certificate, Product
from tinhso.trace.selectors import lot_journey

pytestmark = pytest.mark.django_db


@pytest.fixture
def cashew(client: Client, trace_world):
    w = trace_world
    bag = sscc("8930001", 7)
    Product.objects.create(gtin=w.raw_gtin, party=w.farm, name="Hạt điều thô", crop="cashew")
    Product.objects.create(gtin=w.kernel_gtin, party=w.proc, name="Nhân điều W320",
                           crop="cashew")
    Certificate.objects.create(party=w.proc, gtin=w.kernel_gtin, kind="ocop",
                               decision_number="1234/QĐ-UBND", issuer="UBND tỉnh Bình Phước",
                               issued_on=dt.date(2025, 9, 1), stars=4)
    Certificate.objects.create(party=w.farm, kind="vietgap", decision_number="VG-0042",
                               issuer="Trung tâm chứng nhận", issued_on=dt.date(2025, 1, 5))
    steps = [
        (w.farm_token, harvest(w)),
        (w.farm_token, flows.bagging(gln=w.farm_gln, sscc=bag, gtin=w.raw_gtin,
                                     lot="L2026-001", kg=1200, when=WHEN.replace(day=4))),
        (w.farm_token, flows.shipping(gln=w.farm_gln, sscc=bag, to_gln=w.proc_gln,
                                      when=WHEN.replace(day=5))),
        (w.proc_token, flows.receiving(gln=w.proc_gln, sscc=bag, from_gln=w.farm_gln,
                                       when=WHEN.replace(day=5, hour=15))),
        (w.proc_token, flows.processing(gln=w.proc_gln,
                                        inputs=[(w.raw_gtin, "L2026-001", 1200)],
                                        outputs=[(w.kernel_gtin, "K-0310", 250)],
                                        when=WHEN.replace(day=10))),
    ]
    for token, event in steps:
        assert post_event(client, w, event, token).status_code == 201, event
    init_pki()
    ledger.head_publish()
    return w


def test_lot_journey_of_the_raw_lot(cashew) -> None:
    journey = lot_journey(gtin=cashew.raw_gtin, lot="L2026-001")
    assert journey["found"] is True
    assert journey["product"]["name"] == "Hạt điều thô"
    assert journey["origin"] == {"commune": "Xã Lộc Hưng", "harvest_date": "2026-03-02"}
    assert [s["biz_step"] for s in journey["steps"]] == [
        "commissioning", "packing", "shipping", "receiving", "commissioning"]
    # No personal data: the household farm is not named; the co-operative is.
    assert {s["party"] for s in journey["steps"]} == {"", "HTX Điều Bình Phước"}
    assert "Nguyễn" not in str(journey)
    assert {c["decision_number"] for c in journey["certificates"]} == {"VG-0042"}


def test_lot_journey_of_the_kernels_goes_back_to_the_farm(cashew) -> None:
    journey = lot_journey(gtin=cashew.kernel_gtin, lot="K-0310")
    assert [s["biz_step"] for s in journey["steps"]] == ["commissioning"]
    assert journey["inputs"][0]["lot"] == "L2026-001"
    assert journey["origin"]["commune"] == "Xã Lộc Hưng"
    kinds = {c["kind"]: c for c in journey["certificates"]}
    assert kinds["OCOP"]["stars"] == 4 and kinds["OCOP"]["decision_number"] == "1234/QĐ-UBND"
    assert "VietGAP" in kinds


def test_resolver_page_in_vietnamese(client: Client, cashew) -> None:
    response = client.get(f"/01/{cashew.kernel_gtin}/10/K-0310")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Nhân điều W320", "Xã Lộc Hưng", "Hành trình", "Chứng nhận", "1234/QĐ-UBND",
                 "bằng chứng", "Hạt điều thô"):
        assert text in html
    assert "Nguyễn Văn An" not in html
    assert "style=" not in html and "<script>" not in html
    assert 'rel="linkset"' in response["Link"]
    proof_link = html.split('class="trace-proof" href="')[1].split('"')[0]
    proof = client.get(proof_link.replace("&amp;", "&")).json()
    assert proof["verified"] is True


def test_linkset_for_machines(client: Client, cashew) -> None:
    for kwargs in ({"HTTP_ACCEPT": "application/linkset+json"},
                   {"HTTP_ACCEPT": "application/json"}, {"data": {"linkType": "all"}}):
        response = client.get(f"/01/{cashew.kernel_gtin}/10/K-0310", **kwargs)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/linkset+json"
        links = response.json()["linkset"][0]
        assert links["anchor"] == f"https://id.gs1.org/01/{cashew.kernel_gtin}/10/K-0310"
        assert "https://gs1.org/voc/defaultLink" in links
        assert "https://gs1.org/voc/certificationInfo" in links
        assert links["https://gs1.org/voc/epcis"][0]["href"].endswith(
            "MATCH_epcClass=https%3A%2F%2Fid.gs1.org%2F01%2F" + cashew.kernel_gtin
            + "%2F10%2FK-0310")
    trace = client.get(f"/01/{cashew.kernel_gtin}/10/K-0310", {"linkType": "gs1:epcis"})
    assert trace.status_code == 302 and trace["Location"].startswith("/epcis/events?")


def test_unknown_lot_and_bad_gtin(client: Client, cashew) -> None:
    assert client.get(f"/01/{cashew.kernel_gtin}/10/NOPE").status_code == 404
    bad = cashew.kernel_gtin[:-1] + str((int(cashew.kernel_gtin[-1]) + 1) % 10)
    assert client.get(f"/01/{bad}/10/K-0310").status_code == 404


def test_qr_code_svg(client: Client, cashew) -> None:
    response = client.get(f"/truy-xuat/qr/01/{cashew.kernel_gtin}/10/K-0310.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


def test_parcel_sensor_elements_from_iot_rollups(trace_world) -> None:
    from tinhso.iot.models import Device, Farm, Parcel, Rollup

    farm = Farm.objects.create(name="Vườn điều", owner_kind="household", owner_name="X",
                               commune=trace_world.commune)
    parcel = Parcel.objects.create(farm=farm, name="Thửa 1", area_ha=1, crop="cashew")
    device = Device.objects.create(parcel=parcel, name="Trạm 1", token_prefix="t",
                                   token_hash="h", mqtt_username="u1")
    day = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    for i, (t, h) in enumerate([(30.0, 70.0), (34.0, 60.0)]):
        bucket = day + dt.timedelta(days=i)
        Rollup.objects.create(device=device, key="air_temperature", period="d", bucket=bucket,
                              count=2, total=2 * t, low=t - 5, high=t + 2)
        Rollup.objects.create(device=device, key="air_humidity", period="d", bucket=bucket,
                              count=2, total=2 * h, low=h - 10, high=h + 5)
    sensors = flows.parcel_sensor_elements(parcel, start=day, end=day + dt.timedelta(days=30))
    reports = {r["type"]: r for r in sensors[0]["sensorReport"]}
    assert reports["gs1:Temperature"] == {"type": "gs1:Temperature", "minValue": 25.0,
                                          "maxValue": 36.0, "meanValue": 32.0, "uom": "CEL"}
    assert reports["gs1:RelativeHumidity"]["meanValue"] == 65.0
    event = flows.harvest(gln=trace_world.farm_gln, gtin=trace_world.raw_gtin, lot="S1",
                          kg=10, when=WHEN, sensors=sensors)
    from tinhso.trace.validation import validate_event

    assert validate_event(event) == []
