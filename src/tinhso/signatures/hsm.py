"""PKCS#11 keys (an HSM, a USB token, SoftHSM2 in tests): generated on the token, never exported.

Only the public key leaves the token, to be certified by our CA; signing goes through
``pyhanko.sign.pkcs11.PKCS11Signer`` with the session opened here. Sessions are kept open per
process (opening one means loading the module and logging in with the PIN).
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from cryptography.hazmat.primitives import serialization

from tinhso.core.errors import DomainError
from tinhso.signatures import conf, pki

_lock = threading.Lock()
_sessions: dict[tuple[str, str], Any] = {}


def _config() -> dict[str, str]:
    cfg = conf.pkcs11_config()
    if not cfg:
        raise DomainError(
            "PKCS11_NOT_CONFIGURED",
            "Chưa cấu hình thiết bị ký số PKCS#11 (TINHSO_PKCS11_MODULE).",
            "No PKCS#11 token is configured (TINHSO_PKCS11_MODULE).",
            status=409,
        )
    return cfg


def session() -> Any:
    """An open, logged-in read/write session on the configured token."""
    import pkcs11

    cfg = _config()
    key = (cfg["module"], cfg["token"])
    with _lock:
        sess = _sessions.get(key)
        if sess is not None:
            return sess
        if not os.path.exists(cfg["module"]):
            raise DomainError("PKCS11_MODULE_MISSING", "Không tìm thấy thư viện PKCS#11.",
                              "The PKCS#11 module file does not exist.",
                              {"module": cfg["module"]}, status=409)
        lib = pkcs11.lib(cfg["module"])
        token = lib.get_token(token_label=cfg["token"])
        sess = token.open(rw=True, user_pin=cfg["pin"])
        _sessions[key] = sess
        return sess


def close_sessions() -> None:
    with _lock:
        for sess in _sessions.values():
            with contextlib.suppress(Exception):  # closing a dead session is harmless
                sess.close()
        _sessions.clear()


def generate_keypair(label: str, algorithm: str) -> tuple[pki.PublicKey, dict[str, str]]:
    """Generate a non-extractable key pair on the token; return its public key and reference."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
    from pkcs11.util.rsa import encode_rsa_public_key

    sess = session()
    key_id = os.urandom(16)
    private_template = {
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.SIGN: True,
        Attribute.TOKEN: True,
        Attribute.PRIVATE: True,
    }
    if algorithm == pki.EC_P256:
        params = sess.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
            local=True,
        )
        public, _private = params.generate_keypair(
            store=True, label=label, id=key_id, private_template=private_template,
        )
        der = encode_ec_public_key(public)
    elif algorithm == pki.RSA_2048:
        public, _private = sess.generate_keypair(
            KeyType.RSA, 2048, store=True, label=label, id=key_id,
            private_template=private_template,
        )
        der = encode_rsa_public_key(public)
    else:
        raise ValueError(f"Unsupported algorithm {algorithm!r}")
    public_key = serialization.load_der_public_key(der)
    return public_key, {"label": label, "id": key_id.hex()}  # type: ignore[return-value]


def signer(cert_der: bytes, key_ref: dict[str, str], chain: list[Any]) -> Any:
    """A pyhanko signer whose key operations happen on the token."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.pkcs11 import PKCS11Signer

    cert = asn1_x509.Certificate.load(cert_der)
    return PKCS11Signer(
        session(),
        signing_cert=cert,
        # Tokens (SoftHSM2 among them) often lack hash-then-sign ECDSA mechanisms: hash here,
        # let the token do raw CKM_ECDSA on the digest.
        use_raw_mechanism=cert.public_key.algorithm == "ec",
        ca_chain=chain,
        key_id=bytes.fromhex(key_ref["id"]),
        key_label=key_ref.get("label"),
    )
