"""The HSM path against SoftHSM2: the key is generated on the token and never leaves it."""

from __future__ import annotations

import subprocess

import pytest

from tests.signatures import pkihelpers as h
from tests.signatures.tools import require_file, require_tool
from tinhso.signatures import hsm, services, signing
from tinhso.signatures.models import KeyStorage
from tinhso.signatures.verify import verify_pdf

MODULE_PATHS = ("/usr/lib/softhsm/libsofthsm2.so",
                "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")


@pytest.fixture
def softhsm_token(tmp_path, monkeypatch, settings):
    util = require_tool("softhsm2-util")
    module = next((p for p in MODULE_PATHS if __import__("os").path.exists(p)), MODULE_PATHS[0])
    require_file(module, "softhsm2")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run([util, "--init-token", "--free", "--label", "tinhso-test",
                    "--pin", "1234", "--so-pin", "123456"], check=True, capture_output=True)
    settings.TINHSO_PKCS11 = {"module": module, "token": "tinhso-test", "pin": "1234"}
    hsm.close_sessions()
    yield module
    signing.forget_all()
    hsm.close_sessions()


@pytest.mark.parametrize("algorithm", ["ec-p256", "rsa-2048"])
def test_pkcs11_key_generated_on_token_signs_and_verifies(softhsm_token, pki_ready, operator,
                                                          officer, algorithm):
    from pkcs11 import Attribute, ObjectClass

    req = services.certificate_request(acting_user=operator, kind="personal",
                                       holder_user=officer, key_storage=KeyStorage.PKCS11,
                                       key_algorithm=algorithm)
    cert = services.certificate_issue(acting_user=operator, request=req).certificate
    assert cert.key_pem == "" and cert.key_ref["id"]
    key = hsm.session().get_key(object_class=ObjectClass.PRIVATE_KEY,
                                id=bytes.fromhex(cert.key_ref["id"]))
    assert key[Attribute.EXTRACTABLE] is False and key[Attribute.SENSITIVE] is True
    pdf = signing.sign_with(h.simple_pdf(), cert, field_name="Hsm")
    report = verify_pdf(pdf)
    assert report.valid is True
    assert report.signatures[0].certificate_serial == cert.serial


def test_pkcs11_not_configured_is_a_clear_error(pki_ready, operator, officer, settings):
    settings.TINHSO_PKCS11 = None
    req = services.certificate_request(acting_user=operator, kind="personal",
                                       holder_user=officer, key_storage=KeyStorage.PKCS11)
    with pytest.raises(Exception) as exc:
        services.certificate_issue(acting_user=operator, request=req)
    assert getattr(exc.value, "code", "") == "PKCS11_NOT_CONFIGURED"
