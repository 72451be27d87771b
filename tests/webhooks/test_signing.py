"""Standard Webhooks signatures, checked against the spec's own example and an independent
verifier."""

from __future__ import annotations

import datetime as dt
import time

from tests.webhooks.receiver import verify_independently
from tinhso.webhooks import signing


def test_a_known_vector_agrees_with_the_reference_library() -> None:
    # The secret, id, timestamp and body of the spec's example; the expected value was
    # computed with the reference ``standardwebhooks`` package (checked again below).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    sig = signing.sign(secret, "msg_p5jXN8AQM2LWM0D4loKWxJek", 1614265330, body)
    assert sig == "v1,PxHZe96mbQZz2qjqqFruykIqYbPOK6W3bwdPtIj4ocY="
    try:
        from standardwebhooks.webhooks import Webhook
    except ImportError:
        return
    ts = dt.datetime.fromtimestamp(1614265330, dt.UTC)
    assert Webhook(secret).sign("msg_p5jXN8AQM2LWM0D4loKWxJek", ts, body.decode()) == sig


def test_secrets_have_the_prefix_and_decode_to_the_key() -> None:
    s = signing.secret_generate()
    assert s.startswith("whsec_") and len(signing.secret_key(s)) == signing.KEY_BYTES
    assert signing.secret_generate() != s


def test_two_secrets_give_two_signatures_each_verifiable() -> None:
    old, new = signing.secret_generate(), signing.secret_generate()
    body = signing.envelope("dossier.received", "2026-03-02T09:00:00+07:00", {"a": "Hồ sơ"})
    ts = int(time.time())
    headers = signing.headers([new, old], "msg_1", ts, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify_independently(old, headers, body)
    assert verify_independently(new, headers, body)
    assert not verify_independently(signing.secret_generate(), headers, body)
    assert not verify_independently(new, headers, body + b" ")
