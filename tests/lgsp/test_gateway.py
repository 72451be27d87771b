"""The gateway over real HTTP to a real provider: X-Road headers, errors, rights, the log."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from tests.lgsp.conftest import CLIENT_ID, SERVICE_ID, xroad
from tinhso.lgsp import gateway, messagelog, services
from tinhso.lgsp.models import LogEntry

URL = f"/lgsp/r1/{SERVICE_ID}"


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_get_passes_through_with_xroad_headers_and_is_logged(client, world) -> None:
    response = client.get(f"{URL}/echo/42?q=1&q=2", **xroad(
        world, HTTP_X_ROAD_ID="abc-123", HTTP_X_ROAD_USERID="VN001203004567",
        HTTP_X_ROAD_ISSUE="HS-2026-1", HTTP_X_PRIVATE="kept"))
    assert response.status_code == 200
    raw = body(response)
    seen = json.loads(raw)
    assert seen["path"] == "/echo/42" and seen["query"] == "q=1&q=2"
    h = seen["headers"]
    assert h["x-road-client"] == CLIENT_ID and h["x-road-service"] == SERVICE_ID
    assert h["x-road-id"] == "abc-123" and h["x-road-userid"] == "VN001203004567"
    assert h["x-road-issue"] == "HS-2026-1" and h["x-private"] == "kept"
    assert "authorization" not in h  # the gateway's credential never reaches the provider
    assert response["X-Road-Id"] == "abc-123"
    assert response["X-Road-Client"] == CLIENT_ID
    assert response["X-Road-Service"] == SERVICE_ID
    assert response["X-Provider"] == "yes"
    assert response["X-Road-Request-Id"] == h["x-road-request-id"]
    # The provider's forged hash is replaced by the gateway's (PR-REST §4.3).
    expected = gateway.request_hash(gateway.canonical_headers(
        "GET", f"{URL}/echo/42?q=1&q=2",
        {"x-road-client": CLIENT_ID, "x-road-id": "abc-123", "x-road-userid": "VN001203004567",
         "x-road-issue": "HS-2026-1"}), None)
    assert response["X-Road-Request-Hash"] == expected
    assert len(base64.b64decode(expected)) == 64  # SHA-512
    entry = LogEntry.objects.get()
    assert (entry.index, entry.client, entry.service, entry.method, entry.path, entry.status) \
        == (0, CLIENT_ID, SERVICE_ID, "GET", "/echo/42", 200)
    assert entry.x_road_id == "abc-123" and entry.request_hash == expected
    assert entry.response_sha256 == hashlib.sha256(raw).hexdigest()
    assert entry.response_bytes == len(raw)
    assert entry.request_bytes == 0 and entry.request_sha256 == hashlib.sha256().hexdigest()


def test_post_body_is_hashed_both_ways_and_id_generated(client, world) -> None:
    payload = b'{"so_cccd": "001203004567"}'
    response = client.post(f"{URL}/echo/7", data=payload, content_type="application/json",
                           **xroad(world))
    assert response.status_code == 200
    raw = body(response)
    seen = json.loads(raw)
    assert seen["sha256"] == hashlib.sha256(payload).hexdigest()
    assert seen["headers"]["content-type"] == "application/json"
    generated = response["X-Road-Id"]
    assert len(generated) == 36 and seen["headers"]["x-road-id"] == generated
    head = gateway.canonical_headers("POST", f"{URL}/echo/7", {
        "x-road-client": CLIENT_ID, "x-road-id": generated, "content-type": "application/json"})
    assert response["X-Road-Request-Hash"] == gateway.request_hash(
        head, hashlib.sha512(payload).digest())
    entry = LogEntry.objects.get()
    assert entry.request_sha256 == hashlib.sha256(payload).hexdigest()
    assert entry.response_sha256 == hashlib.sha256(raw).hexdigest()
    assert entry.request_bytes == len(payload) and entry.response_bytes == len(raw)


def error_of(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    data = json.loads(response.content)
    assert response["X-Road-Error"] == data["type"]
    assert response["Content-Type"].startswith("application/json")
    assert data["detail"] and data["message"] and data["message_vi"]
    return data


def test_missing_or_malformed_client_header(client, world) -> None:
    response = client.get(f"{URL}/echo/1", HTTP_AUTHORIZATION=f"Bearer {world.token}")
    assert response.status_code == 400 and error_of(response)["type"] == "Client.MissingHeader"
    response = client.get(f"{URL}/echo/1", **xroad(world, HTTP_X_ROAD_CLIENT="VN/GOV/x"))
    assert response.status_code == 400
    response = client.get("/lgsp/r1/VN/GOV/only", **xroad(world))
    assert response.status_code == 400 and error_of(response)["type"] == "Client.BadRequest"
    assert LogEntry.objects.count() == 0  # nothing authenticated, nothing logged


def test_credential_must_exist_and_match_the_client_header(client, world) -> None:
    response = client.get(f"{URL}/echo/1", HTTP_X_ROAD_CLIENT=CLIENT_ID)
    assert response.status_code == 401
    assert error_of(response)["type"] == "Server.ClientProxy.SslAuthenticationFailed"
    response = client.get(f"{URL}/echo/1", **xroad(world, HTTP_AUTHORIZATION="Bearer lgsp_x"))
    assert response.status_code == 401
    # Another subsystem's valid token cannot speak for MOTCUA.
    response = client.get(f"{URL}/echo/1", **xroad(
        world, HTTP_AUTHORIZATION=f"Bearer {world.other_token}"))
    assert response.status_code == 401
    issued = services.ClientToken.objects.get(subsystem=world.client)
    services.token_revoke(acting_user=None, token=issued)
    assert client.get(f"{URL}/echo/1", **xroad(world)).status_code == 401


def test_unknown_service_and_access_rights(client, world) -> None:
    response = client.get("/lgsp/r1/VN/GOV/000.00.01.H10/DANCU/nope/x", **xroad(world))
    assert response.status_code == 404
    assert error_of(response)["type"] == "Server.ServerProxy.UnknownService"
    # Only GET on /echo/* for the other subsystem.
    services.access_grant(acting_user=None, client=world.other, service=world.service,
                          method="GET", path="/echo/*")
    other = {"HTTP_X_ROAD_CLIENT": "VN/GOV/000.00.00.H10/KHAC",
             "HTTP_AUTHORIZATION": f"Bearer {world.other_token}"}
    assert client.get(f"{URL}/echo/5", **other).status_code == 200
    response = client.post(f"{URL}/echo/5", data=b"x", content_type="text/plain", **other)
    assert response.status_code == 403
    assert error_of(response)["type"] == "Server.ServerProxy.AccessDenied"
    assert client.get(f"{URL}/echo/5/deeper", **other).status_code == 403
    assert client.get(f"{URL}/big?n=1", **other).status_code == 403
    services.access_revoke(acting_user=None, client=world.client, service=world.service)
    assert client.get(f"{URL}/echo/1", **xroad(world)).status_code == 403
    # Refusals after authentication are exchanges too: logged with their error type.
    assert set(LogEntry.objects.values_list("error_type", flat=True)) >= {
        "Server.ServerProxy.UnknownService", "Server.ServerProxy.AccessDenied"}


def test_disabled_service(client, world) -> None:
    services.service_update(acting_user=None, service=world.service, enabled=False)
    response = client.get(f"{URL}/echo/1", **xroad(world))
    assert response.status_code == 503
    assert error_of(response)["type"] == "Server.ServerProxy.ServiceDisabled"


def test_rate_limit_per_client(client, world) -> None:
    world.client.rate_limit = "2/h"
    world.client.save()
    assert client.get(f"{URL}/echo/1", **xroad(world)).status_code == 200
    assert client.get(f"{URL}/echo/1", **xroad(world)).status_code == 200
    response = client.get(f"{URL}/echo/1", **xroad(world))
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert error_of(response)["type"] == "Server.ClientProxy.RateLimited"
    # Another client is not affected.
    services.access_grant(acting_user=None, client=world.other, service=world.service)
    other = {"HTTP_X_ROAD_CLIENT": "VN/GOV/000.00.00.H10/KHAC",
             "HTTP_AUTHORIZATION": f"Bearer {world.other_token}"}
    assert client.get(f"{URL}/echo/1", **other).status_code == 200


def test_provider_unreachable_and_retry_only_idempotent(client, world, monkeypatch) -> None:
    from tests.processes import free_port

    services.service_update(acting_user=None, service=world.service,
                            url=f"http://127.0.0.1:{free_port()}")
    calls: list[str] = []
    real_send = gateway.http_client().send

    def counting(request, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(request.method)
        return real_send(request, **kwargs)

    monkeypatch.setattr(gateway.http_client(), "send", counting)
    response = client.get(f"{URL}/echo/1", **xroad(world))
    assert response.status_code == 502
    assert error_of(response)["type"] == "Server.ServerProxy.NetworkError"
    assert calls == ["GET", "GET"]
    calls.clear()
    response = client.post(f"{URL}/echo/1", data=b"{}", content_type="application/json",
                           **xroad(world))
    assert response.status_code == 502 and calls == ["POST"]


def test_provider_timeout(client, world) -> None:
    services.service_update(acting_user=None, service=world.service, timeout_seconds=1)
    response = client.get(f"{URL}/hold", **xroad(world))
    assert response.status_code == 504
    assert error_of(response)["type"] == "Server.ServerProxy.ServiceFailed.Timeout"


def test_redirects_are_passed_on_not_followed(client, world) -> None:
    response = client.get(f"{URL}/redirect", **xroad(world))
    assert response.status_code == 302
    assert response["Location"] == "http://127.0.0.1:1/elsewhere"


@pytest.mark.parametrize("keep", [True, False])
def test_bodies_kept_encrypted_only_when_configured(client, world, settings, keep) -> None:
    settings.TINHSO_LGSP_KEEP_BODIES = "true" if keep else "false"
    payload = "Nguyễn Văn A".encode()
    body(client.post(f"{URL}/echo/1", data=payload, content_type="text/plain", **xroad(world)))
    entry = LogEntry.objects.get()
    kept = messagelog.read_body(entry)
    if not keep:
        assert kept is None
        return
    assert kept is not None and kept[0] == payload and b"sha256" in kept[1]
    stored = bytes(entry.body.request_enc)
    assert payload not in stored  # encrypted at rest


def test_paths_are_reencoded_and_cannot_climb(client, world) -> None:
    response = client.get(f"{URL}/echo/a%20b%3Fc/Đắk", **xroad(world))
    seen = json.loads(body(response))
    # The provider's WSGI server decodes its PATH_INFO: what arrives is what was sent.
    assert seen["path"].encode("latin-1").decode("utf-8") == "/echo/a b?c/Đắk"
    assert seen["query"] == ""
    for bad in ("/echo/../../admin", "/echo/%2e%2e/x"):
        response = client.get(URL + bad, **xroad(world))
        assert response.status_code == 400 and error_of(response)["type"] == "Client.BadRequest"
