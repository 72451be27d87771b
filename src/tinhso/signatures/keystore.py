"""Loading private keys the platform keeps, once per process.

Decrypting a PKCS#8 key (PBKDF2/scrypt) costs far more than a signature, so decrypted keys
are cached by certificate fingerprint. A new key (rotation, renewal) has a new fingerprint, so
it is never served from a stale entry; ``forget`` drops entries on revocation.
"""

from __future__ import annotations

import threading

from tinhso.signatures import conf, pki

_lock = threading.Lock()
_keys: dict[str, pki.PrivateKey] = {}


def load_private_key(fingerprint: str, key_pem: str) -> pki.PrivateKey:
    key = _keys.get(fingerprint)
    if key is not None:
        return key
    key = pki.decrypt_key(key_pem, conf.pki_passphrase())
    with _lock:
        _keys[fingerprint] = key
    return key


def forget(fingerprint: str | None = None) -> None:
    with _lock:
        if fingerprint is None:
            _keys.clear()
        else:
            _keys.pop(fingerprint, None)
