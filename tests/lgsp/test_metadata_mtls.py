"""X-Road metaservices (PR-MREST, PR-META listClients) and mutual TLS client certificates."""

from __future__ import annotations

import json
from urllib.parse import quote

from tests.lgsp.conftest import CLIENT_ID, PROVIDER_ID, xroad
from tests.signatures.pkihelpers import ca_operator
from tinhso.lgsp import services
from tinhso.lgsp.models import LogEntry
from tinhso.signatures import services as sig


def test_list_methods_and_allowed_methods(client, world) -> None:
    services.service_add(acting_user=None, subsystem=world.provider, code="plain",
                         url="http://127.0.0.1:9/x")
    data = client.get(f"/lgsp/r1/{PROVIDER_ID}/listMethods", **xroad(world)).json()
    by_code = {s["service_code"]: s for s in data["service"]}
    assert set(by_code) == {"citizens", "plain"}
    citizens = by_code["citizens"]
    assert {k: citizens[k] for k in ("xroad_instance", "member_class", "member_code",
                                     "subsystem_code", "object_type", "service_type")} == {
        "xroad_instance": "VN", "member_class": "GOV", "member_code": "000.00.01.H10",
        "subsystem_code": "DANCU", "object_type": "SERVICE", "service_type": "OPENAPI"}
    assert {"method": "GET", "path": "/echo/*"} in citizens["endpoint_list"]
    assert {"method": "POST", "path": "/echo/*"} in citizens["endpoint_list"]
    assert by_code["plain"]["endpoint_list"] == [{"method": "*", "path": "**"}]
    allowed = client.get(f"/lgsp/r1/{PROVIDER_ID}/allowedMethods", **xroad(world)).json()
    assert [s["service_code"] for s in allowed["service"]] == ["citizens"]
    assert allowed["service"][0]["endpoint_list"] == [{"method": "*", "path": "**"}]
    response = client.get(f"/lgsp/r1/{PROVIDER_ID}/allowedMethods", **xroad(world))
    assert response["X-Road-Service"] == f"{PROVIDER_ID}/allowedMethods"
    assert LogEntry.objects.filter(service=f"{PROVIDER_ID}/listMethods").count() == 1


def test_get_openapi(client, world) -> None:
    response = client.get(f"/lgsp/r1/{PROVIDER_ID}/getOpenAPI", {"serviceCode": "citizens"},
                          **xroad(world))
    assert response.status_code == 200
    assert json.loads(response.content)["info"]["title"] == "Dân cư"
    missing = client.get(f"/lgsp/r1/{PROVIDER_ID}/getOpenAPI", {"serviceCode": "nope"},
                         **xroad(world))
    assert missing.status_code == 404
    assert missing["X-Road-Error"] == "Server.ServerProxy.UnknownService"


def test_list_clients_json_and_xml(client, world) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token}"}
    data = client.get("/lgsp/listClients", HTTP_ACCEPT="application/json", **auth).json()
    ids = [m["id"] for m in data["member"]]
    assert {"member_class": "GOV", "member_code": "000.00.00.H10", "object_type": "SUBSYSTEM",
            "subsystem_code": "MOTCUA", "xroad_instance": "VN"} in ids
    assert {"member_class": "GOV", "member_code": "000.00.01.H10", "object_type": "MEMBER",
            "xroad_instance": "VN"} in ids
    xml = client.get("/lgsp/listClients", **auth)
    assert xml["Content-Type"].startswith("text/xml")
    assert b"<ns2:clientList" in xml.content and "Bình Phước" in xml.content.decode()
    assert client.get("/lgsp/listClients", {"xRoadInstance": "LA"}, HTTP_ACCEPT=
                      "application/json", **auth).json() == {"member": []}
    assert client.get("/lgsp/listClients").status_code == 401


def test_mutual_tls_certificate_checked_against_the_crl(client, world, settings, tmp_path
                                                        ) -> None:
    settings.TINHSO_TRUSTED_PROXY = "127.0.0.1"
    issued = services.certificate_issue(acting_user=None, subsystem=world.client)
    header = {"HTTP_X_SSL_CLIENT_CERT": quote(issued.certificate_pem),
              "HTTP_X_ROAD_CLIENT": CLIENT_ID}
    url = f"/lgsp/r1/{PROVIDER_ID}/citizens/echo/1"
    response = client.get(url, **header)
    assert response.status_code == 200, response.content
    b"".join(response.streaming_content)
    # Speaking for another subsystem with this certificate is refused.
    other = {**header, "HTTP_X_ROAD_CLIENT": "VN/GOV/000.00.00.H10/KHAC"}
    assert client.get(url, **other).status_code == 401
    # A certificate the CA did not issue (self-made PEM garbage) is refused.
    assert client.get(url, **{**header, "HTTP_X_SSL_CLIENT_CERT": "junk"}).status_code == 401
    # Revoked at the CA: on the next CRL, refused.
    sig.certificate_revoke(acting_user=ca_operator(), certificate=issued.binding.certificate,
                           reason="key_compromise")
    response = client.get(url, **header)
    assert response.status_code == 401
    assert response["X-Road-Error"] == "Server.ClientProxy.SslAuthenticationFailed"


def test_certificate_header_ignored_without_a_trusted_proxy(client, world, settings) -> None:
    settings.TINHSO_TRUSTED_PROXY = ""
    issued = services.certificate_issue(acting_user=None, subsystem=world.client)
    response = client.get(f"/lgsp/r1/{PROVIDER_ID}/citizens/echo/1",
                          HTTP_X_SSL_CLIENT_CERT=quote(issued.certificate_pem),
                          HTTP_X_ROAD_CLIENT=CLIENT_ID)
    assert response.status_code == 401
