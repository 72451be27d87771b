from __future__ import annotations

import base64

from cryptography.hazmat.primitives.serialization import pkcs12

from tinhso.signatures.models import Certificate, CertificateEvent

BASE = "/api/v1/signatures"


def test_certificate_lifecycle_over_the_api(client, pki_ready, operator, officer):
    client.force_login(officer)
    created = client.post(f"{BASE}/certificates/requests",
                          {"kind": "personal", "holder_user_id": officer.pk},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    req_id = created.json()["id"]
    # The officer may ask but not issue.
    denied = client.post(f"{BASE}/certificates/requests/{req_id}/issue", {},
                         content_type="application/json")
    assert denied.status_code == 403 and denied.json()["code"] == "FORBIDDEN"

    client.force_login(operator)
    issued = client.post(f"{BASE}/certificates/requests/{req_id}/issue",
                         {"pkcs12_passphrase": "p12-mat-khau"}, content_type="application/json")
    assert issued.status_code == 200
    body = issued.json()
    bundle = base64.b64decode(body["pkcs12_base64"])
    assert pkcs12.load_key_and_certificates(bundle, b"p12-mat-khau")[1] is not None
    cert_id = body["certificate"]["id"]

    bad = client.post(f"{BASE}/certificates/{cert_id}/revoke", {"reason": "vì thích"},
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "REVOCATION_REASON_INVALID"
    revoked = client.post(f"{BASE}/certificates/{cert_id}/revoke",
                          {"reason": "affiliation_changed", "note": "Chuyển công tác"},
                          content_type="application/json")
    assert revoked.json()["status"] == "revoked"
    again = client.post(f"{BASE}/certificates/{cert_id}/suspend", {},
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "CERTIFICATE_STATE_INVALID"
    assert CertificateEvent.objects.filter(certificate_id=cert_id).count() == 2

    counts = client.get(f"{BASE}/certificates/counts").json()
    assert counts["by_kind"]["personal"]["revoked"] == 1 and counts["revoked"] == 1


def test_certificate_list_is_scoped(client, pki_ready, operator, officer, officer_cert, agency):
    from tests import factories
    from tests.signatures import pkihelpers as h

    other = factories.make_official(agency, "specialist")
    h.issue_personal(operator, other)
    client.force_login(officer)
    mine = client.get(f"{BASE}/certificates").json()
    assert [c["id"] for c in mine] == [officer_cert.pk]
    client.force_login(operator)
    everything = client.get(f"{BASE}/certificates", {"kind": "personal"}).json()
    assert len(everything) == Certificate.objects.filter(kind="personal").count() == 2


def test_anonymous_cannot_list_certificates(client, pki_ready):
    assert client.get(f"{BASE}/certificates").status_code == 401
