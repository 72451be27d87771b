"""Who sees what: the NGSI-LD export, parcel series, alarms list and the IOC pages are scoped
(IOC viewers: the province; commune officers: their communes; owners: their farms)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.iot.test_alarms import START, feed
from tinhso.accounts.models import Role
from tinhso.iot import alarms
from tinhso.iot.models import AgriOfficer, Alarm


@pytest.fixture
def world(farm, parcel, device_token):
    device = device_token[0]
    owner = factories.make_citizen(username="chu-trang-trai")
    farm.owner = owner
    farm.save()
    viewer = factories.make_official(factories.make_agency(), Role.IOC_VIEWER)
    stranger = factories.make_citizen(username="nguoi-la")
    feed(device, 72, soil_moisture=45, rain=1.0, air_temperature=27)
    alarms.evaluate_parcel(parcel)
    return {"owner": owner, "viewer": viewer, "stranger": stranger, "device": device}


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_ngsi_ld_entities(client, world, farm, parcel):
    owner = world["owner"]
    body = get(client, owner, f"/api/v1/iot/ngsi-ld/AgriParcel/{parcel.pk}").json()
    assert body["id"] == f"urn:ngsi-ld:AgriParcel:{parcel.pk}" and body["type"] == "AgriParcel"
    assert body["location"]["value"] == {"type": "Point", "coordinates": [106.58, 11.83]}
    assert body["hasAgriCrop"]["object"] == "urn:ngsi-ld:AgriCrop:pepper"
    assert body["area"] == {"type": "Property", "value": 1.5, "unitCode": "HAR"}
    assert any("Agrifood" in c for c in body["@context"])
    r = get(client, owner, f"/api/v1/iot/ngsi-ld/AgriFarm/{farm.pk}")
    assert r["Content-Type"] == "application/ld+json"
    assert r.json()["hasAgriParcel"]["object"] == [f"urn:ngsi-ld:AgriParcel:{parcel.pk}"]
    record = get(client, owner, f"/api/v1/iot/ngsi-ld/AgriParcelRecord/{parcel.pk}").json()
    assert record["soilMoistureVwc"]["value"] == 0.45
    weather = get(client, owner, f"/api/v1/iot/ngsi-ld/WeatherObserved/{parcel.pk}").json()
    assert weather["temperature"]["value"] == 27 and weather["precipitation"]["value"] == 1
    crop = get(client, owner, "/api/v1/iot/ngsi-ld/AgriCrop/pepper").json()
    assert crop["name"]["value"] == "Hồ tiêu"
    device = get(client, owner, f"/api/v1/iot/ngsi-ld/Device/{world['device'].pk}").json()
    assert "soil_moisture" in device["controlledProperty"]["value"]


def test_strangers_and_unknown_types_get_404(client, world, parcel):
    r = get(client, world["stranger"], f"/api/v1/iot/ngsi-ld/AgriParcel/{parcel.pk}")
    assert r.status_code == 404 and r.json()["code"] == "IOT_NOT_FOUND"
    assert get(client, world["owner"], "/api/v1/iot/ngsi-ld/Car/1").status_code == 404
    assert get(client, world["owner"], "/api/v1/iot/ngsi-ld/AgriCrop/tea").status_code == 404
    client.logout()
    assert client.get(f"/api/v1/iot/ngsi-ld/AgriParcel/{parcel.pk}").status_code == 401


def test_series_from_rollups(client, world, parcel):
    url = f"/api/v1/iot/parcels/{parcel.pk}/series"
    start, end = START.isoformat(), (START + dt.timedelta(days=3)).isoformat()
    # Day buckets start at local (UTC+7) midnight: widen the range to hold them all.
    wide = {"start": (START - dt.timedelta(days=1)).isoformat(),
            "end": (START + dt.timedelta(days=4)).isoformat()}
    rows = get(client, world["viewer"], url, key="rain", period="d", **wide).json()
    assert len(rows) == 4  # 72 UTC hours from 07:00 local touch four local days
    assert sum(r["count"] for r in rows) == 72 and sum(r["avg"] * r["count"] for r in rows) == 72
    hourly = get(client, world["owner"], url, key="rain", period="h", start=start,
                 end=end).json()
    assert len(hourly) == 72
    bad = get(client, world["owner"], url, key="rain", period="w", start=start, end=end)
    assert bad.status_code == 422 and bad.json()["code"] == "IOT_BAD_PERIOD"
    assert get(client, world["stranger"], url, key="rain").status_code == 404


def test_alarms_list_and_acknowledge_scoped(client, world, commune):
    alarm = Alarm.objects.get(active=True)
    assert [a["id"] for a in get(client, world["viewer"], "/api/v1/iot/alarms").json()] == [
        alarm.pk]
    assert get(client, world["stranger"], "/api/v1/iot/alarms").json() == []
    client.force_login(world["stranger"])
    r = client.post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge")
    assert r.status_code == 404
    officer = factories.make_official(factories.make_agency(), Role.SPECIALIST)
    AgriOfficer.objects.create(user=officer, commune=commune)
    client.force_login(officer)
    r = client.post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge")
    assert r.status_code == 200 and r.json()["acknowledged_at"]
    assert client.post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge").status_code == 409


def test_ioc_pages(client, world, parcel, commune):
    commune.latitude, commune.longitude = 11.83, 106.58
    commune.save()
    page = get(client, world["viewer"], "/ioc/nong-nghiep/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Nguy cơ bệnh chết nhanh hồ tiêu" in html and 'data-commune="Xã Lộc Ninh"' in html
    # SVG numbers with a decimal point, whatever the locale (Vietnamese writes "30,5").
    import re
    assert re.search(r'<circle cx="[0-9]+(\.[0-9]+)?" cy="[0-9]+(\.[0-9]+)?" r="[0-9]+"', html)
    chart = get(client, world["owner"], f"/ioc/nong-nghiep/thua/{parcel.pk}/", ngay="365")
    assert chart.status_code == 200 and 'data-chart="soil_moisture"' in chart.content.decode()
    assert get(client, world["stranger"], f"/ioc/nong-nghiep/thua/{parcel.pk}/").status_code \
        == 404
    stranger_page = get(client, world["stranger"], "/ioc/nong-nghiep/").content.decode()
    assert "Nguy cơ bệnh chết nhanh" not in stranger_page
    client.logout()
    assert client.get("/ioc/nong-nghiep/").status_code == 302
